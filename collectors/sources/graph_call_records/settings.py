"""The ``[sources.graph_call_records]`` table, validated by ``xlapulse collector run``.

Reads and writes nothing; the collector service never imports it (see
``collectors/sources/settings.py``)."""

from __future__ import annotations

from pydantic import Field

from xlapulse.collectors.sources.settings import Table


class GraphCallRecordsSettings(Table):
    """Microsoft Graph callRecords exported as JSON files (run centrally, not on laptops)."""

    enabled: bool = Field(default=False, description="Read Graph callRecord files (central only).")
    interval_s: int = Field(default=300, ge=1, description="Seconds between two folder scans.")
    folder: str = Field(default="", description="Folder that receives callRecord *.json files.")
    directory_file: str = Field(
        default="",
        description="CSV id,userPrincipalName to name participants known only by object id.",
    )
