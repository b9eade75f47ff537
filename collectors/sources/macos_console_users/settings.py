"""The ``[sources.macos_console_users]`` table, validated by ``xlapulse collector run``.

Reads and writes nothing; the collector service never imports it (see
``collectors/sources/settings.py``)."""

from __future__ import annotations

from pydantic import Field

from xlapulse.collectors.sources.settings import Table


class MacosConsoleUsersSettings(Table):
    """macOS sign-in sessions: who is signed in, on the screen, locked (IOConsoleUsers)."""

    enabled: bool = Field(
        default=True, description="Read the console sessions with ioreg (macOS only)."
    )
    interval_s: int = Field(
        default=60,
        ge=1,
        description=(
            "Seconds between two reads: a sign-in, lock, unlock or sign-out is dated to "
            "the read that saw it."
        ),
    )
    ioreg: str = Field(default="/usr/sbin/ioreg", description="Path of the ioreg tool.")
