"""The ``[sources.macos_unified_log]`` table, validated by ``xlapulse collector run``.

Reads and writes nothing; the collector service never imports it (see
``collectors/sources/settings.py``)."""

from __future__ import annotations

from pydantic import Field

from xlapulse.collectors.sources.settings import Table


class MacosUnifiedLogSettings(Table):
    """The macOS unified log."""

    enabled: bool = Field(default=True, description="Read the unified log (macOS only).")
    interval_s: int = Field(default=60, ge=1, description="Seconds between two reads.")
    log_command: str = Field(default="/usr/bin/log", description="Path of the log tool.")
    lpstat: str = Field(
        default="/usr/bin/lpstat",
        description="Path of lpstat, run to find the print server behind each queue (its "
        "device URI); empty: report queue names only.",
    )
