"""The ``[sources.globalprotect]`` table, validated by ``xlapulse collector run``.

Reads and writes nothing; the collector service never imports it (see
``collectors/sources/settings.py``)."""

from __future__ import annotations

from pydantic import Field

from xlapulse.collectors.sources.settings import Table


class GlobalProtectSettings(Table):
    """Palo Alto GlobalProtect's event log, pan_gp_event.log (Windows, macOS, Linux)."""

    enabled: bool = Field(
        default=False, description="Read GlobalProtect's event log (where GlobalProtect is used)."
    )
    interval_s: int = Field(default=60, ge=1, description="Seconds between two reads.")
    path: str = Field(
        default="",
        description=(
            "pan_gp_event.log; empty: where GlobalProtect writes it on this OS (Windows "
            "C:\\Program Files\\Palo Alto Networks\\GlobalProtect, macOS "
            "/Library/Logs/PaloAltoNetworks/GlobalProtect, Linux "
            "/opt/paloaltonetworks/globalprotect)."
        ),
    )
