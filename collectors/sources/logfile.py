"""Follow a text log file between rounds, like ``tail -F``: the new complete lines only.

Reads: one log file from the byte offset of the last round; a smaller file or a new
inode means it was rotated (or truncated) and is read from the start. A half-written
last line waits for the next round; at most :data:`MAX_READ_BYTES` are read a round.
Writes: nothing; :func:`read_new_lines` returns the lines and the position to store in
the source's bookmark (``{"inode": ..., "offset": ...}``); :func:`map_lines` parses
and maps them one record at a time into the round's ``Collected``. Shared by the sources that
follow a log file: CUPS's ``error_log`` (``cups_error_log``) and the VPN clients' own
logs (``globalprotect``, ``cisco_secure_client``, ``forticlient``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from xlapulse.collectors.sources.base import Collected, SourceError, one_record

MAX_READ_BYTES = 4 * 1024 * 1024
T = TypeVar("T")


@dataclass(frozen=True)
class NewLines:
    """The complete lines added since ``position`` and the position after them."""

    lines: list[str]
    position: dict
    at_end: bool


def read_new_lines(
    path: Path, position: dict | None, what: str, grant: str | None = None
) -> NewLines:
    """The lines of ``path`` after ``position``; ``what`` names the file in errors,
    ``grant`` (optional) says how to let the collector read it."""
    reader = f"; {grant}" if grant else f" by the collector ({what})"
    unreadable = f"{path} is not readable{reader}"
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise SourceError(f"{path} does not exist (is {what} installed?)") from None
    except PermissionError:
        raise SourceError(unreadable) from None
    saved = position or {"inode": None, "offset": 0}
    offset = saved.get("offset", 0)
    if saved.get("inode") != status.st_ino or status.st_size < offset:
        offset = 0  # rotated or truncated
    try:
        with path.open("rb") as log:
            log.seek(offset)
            chunk = log.read(MAX_READ_BYTES)
    except PermissionError:
        raise SourceError(unreadable) from None
    complete = chunk[: chunk.rfind(b"\n") + 1]
    text = complete.decode("utf-8", errors="replace").lstrip("\ufeff")
    new_offset = offset + len(complete)
    return NewLines(
        lines=text.splitlines(),
        position={"inode": status.st_ino, "offset": new_offset},
        at_end=new_offset >= status.st_size,
    )


def map_lines(
    lines: list[str],
    collected: Collected,
    parse: Callable[[str], T | None],
    feed: Callable[[T], object],
) -> None:
    """``feed`` each line ``parse`` reads; one it cannot read (None) is a skipped record
    unless blank, one that raises is counted as ``rejected (...)`` (``base.one_record``)."""
    for text in lines:
        with one_record(collected.unparsed, text):
            parsed = parse(text)
            if parsed is None:
                collected.skipped_records += bool(text.strip())
            else:
                feed(parsed)
