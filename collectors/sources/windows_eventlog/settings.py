"""The ``[sources.windows_eventlog]`` table, validated by ``xlapulse collector run``.

Reads and writes nothing; the collector service never imports it (see
``collectors/sources/settings.py``)."""

from __future__ import annotations

from pydantic import Field

from xlapulse.collectors.sources.settings import Table


class WindowsEventLogSettings(Table):
    """Windows event log channels (Diagnostics-Performance, GroupPolicy, Defender, ...)."""

    enabled: bool = Field(default=True, description="Read the Windows event log (Windows only).")
    interval_s: int = Field(default=60, ge=1, description="Seconds between two reads.")
    wevtutil: str = Field(default="wevtutil", description="Path of wevtutil.exe.")
