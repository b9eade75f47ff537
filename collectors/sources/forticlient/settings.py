"""The ``[sources.forticlient]`` table, validated by ``xlapulse collector run``.

Reads and writes nothing; the collector service never imports it (see
``collectors/sources/settings.py``)."""

from __future__ import annotations

from pydantic import Field

from xlapulse.collectors.sources.settings import Table


class FortiClientSettings(Table):
    """Fortinet FortiClient's own VPN log files (Windows, Linux)."""

    enabled: bool = Field(
        default=False, description="Read FortiClient's VPN logs (where FortiClient is used)."
    )
    interval_s: int = Field(default=60, ge=1, description="Seconds between two reads.")
    paths: list[str] = Field(
        default=[],
        description=(
            "FortiClient log files to follow; empty: on Linux /var/log/forticlient/sslvpn.log "
            "and ipsecvpn.log. On Windows name the exported or on-disk FortiClient log."
        ),
    )
