"""The ``[sources.wireguard]`` table, validated by ``xlapulse collector run``.

Reads and writes nothing; the collector service never imports it (see
``collectors/sources/settings.py``)."""

from __future__ import annotations

from pydantic import Field

from xlapulse.collectors.sources.settings import Table


class WireguardSettings(Table):
    """WireGuard tunnels, read with wg (wireguard-tools on Linux, WireGuard for Windows)."""

    enabled: bool = Field(
        default=False,
        description="Read WireGuard tunnels with 'wg show all dump' (needs root or Administrator).",
    )
    interval_s: int = Field(default=60, ge=1, description="Seconds between two reads.")
    wg: str = Field(
        default="wg",
        description=(
            "Path of wg; on Windows 'wg' means the wg.exe WireGuard for Windows installs "
            "(C:\\Program Files\\WireGuard\\wg.exe)."
        ),
    )
