"""The ``[sources.zoom_qos]`` table, validated by ``xlapulse collector run``.

Reads and writes nothing; the collector service never imports it (see
``collectors/sources/settings.py``)."""

from __future__ import annotations

from pydantic import Field

from xlapulse.collectors.sources.settings import Table


class ZoomQosSettings(Table):
    """Zoom Dashboard meeting participants QoS exported as JSON files (run centrally)."""

    enabled: bool = Field(default=False, description="Read Zoom QoS files (central only).")
    interval_s: int = Field(default=300, ge=1, description="Seconds between two folder scans.")
    folder: str = Field(
        default="",
        description=(
            "Folder that receives the participants QoS responses, one page a file: "
            "<meetingId>.json or <meetingId>.<page>.json."
        ),
    )
    directory_file: str = Field(
        default="",
        description="CSV id,email naming Zoom users by their sign-in name (from GET /users).",
    )
