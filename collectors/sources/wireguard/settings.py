"""The ``[sources.wireguard]`` table, validated by ``xlapulse collector run``.

Reads and writes nothing; the collector service never imports it (see
``collectors/sources/settings.py``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from xlapulse.collectors.sources.settings import Table


class WireguardSettings(Table):
    """WireGuard tunnels: wg (wireguard-tools) or WireGuard for Windows' own log."""

    enabled: bool = Field(
        default=False,
        description=(
            "Read WireGuard tunnels (needs root or Administrator; the collector service "
            "runs as LocalSystem on Windows)."
        ),
    )
    interval_s: int = Field(default=60, ge=1, description="Seconds between two reads.")
    read: Literal["auto", "wg", "log"] = Field(
        default="auto",
        description=(
            "What to read: 'log' WireGuard for Windows' ring log (log_path), with the reason "
            "of each failure; 'wg' the output of 'wg show all dump'; 'auto' the log on "
            "Windows or where log_path is set, else wg. Never both: each reports the same "
            "tunnels."
        ),
    )
    log_path: str = Field(
        default="",
        description=(
            "WireGuard for Windows' ring log; empty: C:\\Program Files\\WireGuard\\Data\\log.bin."
        ),
    )
    wg: str = Field(
        default="wg",
        description=(
            "Path of wg; on Windows 'wg' means the wg.exe WireGuard for Windows installs "
            "(C:\\Program Files\\WireGuard\\wg.exe)."
        ),
    )
