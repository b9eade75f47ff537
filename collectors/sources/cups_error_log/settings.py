"""The ``[sources.cups_error_log]`` table, validated by ``xlapulse collector run``.

Reads and writes nothing; the collector service never imports it (see
``collectors/sources/settings.py``)."""

from __future__ import annotations

from pydantic import Field

from xlapulse.collectors.sources.settings import Table


class CupsErrorLogSettings(Table):
    """The CUPS error_log file."""

    enabled: bool = Field(default=True, description="Read the CUPS error_log (Linux, macOS).")
    interval_s: int = Field(default=60, ge=1, description="Seconds between two reads.")
    path: str = Field(default="/var/log/cups/error_log", description="Where cupsd logs.")
    cupsd_conf: str = Field(
        default="/etc/cups/cupsd.conf",
        description="cupsd's configuration, read by 'collector check' for its LogLevel.",
    )
    lpstat: str = Field(
        default="lpstat",
        description="Path of lpstat, run to find the print server behind each queue (its "
        "device URI); empty: report queue names only.",
    )
