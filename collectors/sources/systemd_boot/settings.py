"""The ``[sources.systemd_boot]`` table, validated by ``xlapulse collector run``.

Reads and writes nothing; the collector service never imports it (see
``collectors/sources/settings.py``)."""

from __future__ import annotations

from pydantic import Field

from xlapulse.collectors.sources.settings import Table


class SystemdBootSettings(Table):
    """systemd-analyze (Linux)."""

    enabled: bool = Field(default=True, description="Report each boot's duration (Linux only).")
    interval_s: int = Field(default=300, ge=1, description="Seconds between two checks.")
    systemd_analyze: str = Field(default="systemd-analyze", description="Path of the tool.")
    proc: str = Field(default="/proc", description="Where procfs is mounted.")
