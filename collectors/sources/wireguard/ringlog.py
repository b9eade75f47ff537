"""WireGuard for Windows' ring log, ``Data\\log.bin``: the container, read directly.

Reads: the file the client's manager and tunnel services map and write
(``ringlogger/ringlogger.go`` of wireguard-windows), little-endian as on every Windows
it runs on:

* a header of 8 bytes: ``magic`` (uint32, ``0x0badbabe``) and ``nextIndex`` (uint32, the
  count of lines ever written; a writer takes ``nextIndex`` and adds one);
* 2048 lines of 520 bytes each, line ``nextIndex % 2048`` written next: ``timeNs``
  (int64, nanoseconds since 1970 UTC; 0 while the line is being written) and 512 bytes of
  UTF-8 text ``[<tag>] <message>``, NUL-terminated (the writer cuts it at 511 bytes,
  possibly inside a character).

Writes: nothing; :func:`read_ring` returns the ring's lines and :func:`new_lines` the
ones after a cursor, as ``FollowFromCursor`` in ringlogger.go follows them: by index,
oldest first, stopping at a line still being written. The index, not the time, is what
orders the ring: the driver's lines carry the driver's own time and land after lines
stamped later (``Interface created`` 94 ms before the ``Enabling firewall rules`` line
before it, in the captures of tests/data/os/windows/wireguard). The newest time read is
kept for when the index cannot be trusted: a ring that was reset (the client zeroes a
file whose magic is wrong) or replaced restarts at a lower index, and then the lines
newer than that time are the new ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from xlapulse.collectors.sources.base import SourceError

MAGIC = 0x0BADBABE
MAX_LINES = 2048
HEADER_BYTES = 8
TEXT_BYTES = 512
LINE_BYTES = 8 + TEXT_BYTES
FILE_BYTES = HEADER_BYTES + MAX_LINES * LINE_BYTES
#: 9999-12-31T00:00:00Z in nanoseconds since 1970, the last day a datetime holds: a line
#: stamped later (or at or before 1970) is corrupt
MAX_TIME_NS = 253_402_214_400 * 10**9


@dataclass(frozen=True)
class RingLine:
    """One written line: its index (``nextIndex`` when it was written), time and text."""

    index: int
    time_ns: int
    text: str


@dataclass(frozen=True)
class Ring:
    """The ring's ``nextIndex`` and its slots as read (``None``: no slot in the file)."""

    next_index: int
    slots: list[bytes | None]
    size: int


@dataclass
class NewLines:
    """The lines after a cursor, the cursor after them, and what could not be read."""

    lines: list[RingLine] = field(default_factory=list)
    cursor: int = 0
    newest_ns: int = 0
    overwritten: int = 0
    unreadable: list[str] = field(default_factory=list)


def read_ring(path: Path) -> Ring:
    """The ring in ``path``; a missing or unreadable file, or one that is not a ring log,
    is a :class:`SourceError` (the round is retried with the same bookmark)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{path} does not exist (is WireGuard for Windows installed?)") from None
    except PermissionError:
        raise SourceError(
            f"{path} is not readable: the collector service must run as LocalSystem "
            "(WireGuard's Data folder is for SYSTEM and Administrators only)"
        ) from None
    if len(data) < HEADER_BYTES:
        raise SourceError(f"{path} is truncated: {len(data)} bytes, no ring log header")
    magic = int.from_bytes(data[0:4], "little")
    if magic != MAGIC:
        raise SourceError(
            f"{path} is not a WireGuard ring log: magic 0x{magic:08x}, not 0x{MAGIC:08x}"
        )
    slots: list[bytes | None] = []
    for slot in range(MAX_LINES):
        start = HEADER_BYTES + slot * LINE_BYTES
        whole = len(data) >= start + LINE_BYTES
        slots.append(data[start : start + LINE_BYTES] if whole else None)
    return Ring(int.from_bytes(data[4:8], "little"), slots, len(data))


def parse_slot(index: int, slot: bytes) -> RingLine | None:
    """The line in ``slot``, or None while it is empty or being written; a ValueError
    names what is wrong with a corrupt one."""
    time_ns = int.from_bytes(slot[:8], "little", signed=True)
    if time_ns == 0:
        return None
    text = slot[8:]
    end = text.find(b"\0")
    if not 0 < time_ns <= MAX_TIME_NS:
        raise ValueError(f"line {index}: time {time_ns} ns is out of range")
    if end < 1 or text[:1] != b"[":
        raise ValueError(f"line {index}: no '[tag] text' ending in NUL")
    return RingLine(index, time_ns, text[:end].decode("utf-8", errors="replace"))


def new_lines(ring: Ring, cursor: int | None, newest_ns: int, waited: bool) -> NewLines:
    """The lines written since ``cursor`` (None: every line in the ring), oldest first.

    ``waited`` says the last round stopped at ``cursor`` because that line was being
    written: if it is still empty it is counted as unreadable and passed."""
    first = max(0, ring.next_index - MAX_LINES)
    reset = cursor is not None and cursor > ring.next_index
    start = first if cursor is None or reset else max(cursor, first)
    found = NewLines(cursor=start, newest_ns=newest_ns)
    if cursor is not None and not reset:
        found.overwritten = start - cursor
    for index in range(start, ring.next_index):
        slot = ring.slots[index % MAX_LINES]
        if slot is None:  # past the end of a truncated file: counted by its size
            found.cursor = index + 1
            continue
        try:
            line = parse_slot(index, slot)
        except ValueError as error:
            found.unreadable.append(str(error))
            found.cursor = index + 1
            continue
        if line is None and cursor is not None and not reset:
            if not (waited and index == cursor):
                break  # being written: read it next round
            found.unreadable.append(f"line {index}: still empty one round later")
        elif line is not None and (not reset or line.time_ns > newest_ns):
            found.lines.append(line)
            found.newest_ns = max(found.newest_ns, line.time_ns)
        found.cursor = index + 1
    return found
