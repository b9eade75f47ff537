"""The ``[sources.journald]`` table, validated by ``xlapulse collector run``.

Reads and writes nothing; the collector service never imports it (see
``collectors/sources/settings.py``)."""

from __future__ import annotations

from pydantic import Field

from xlapulse.collectors.sources.settings import Table


class JournaldSettings(Table):
    """The systemd journal (Linux)."""

    enabled: bool = Field(default=True, description="Read the systemd journal (Linux only).")
    interval_s: int = Field(default=60, ge=1, description="Seconds between two reads.")
    journalctl: str = Field(default="journalctl", description="Path of journalctl.")
    journal_file: str = Field(
        default="", description="Read this journal file instead of the system journal."
    )
    networkmanager_conf_dir: str = Field(
        default="/etc/NetworkManager",
        description="NetworkManager's configuration, read by 'collector check' for its log level.",
    )
    lpstat: str = Field(
        default="lpstat",
        description="Path of lpstat, run to find the print server behind each queue (its "
        "device URI); empty: report queue names only.",
    )
