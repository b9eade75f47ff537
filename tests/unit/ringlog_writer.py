"""A WireGuard for Windows ring log (``log.bin``) built from exported log lines, for tests.

Reads: text lines as the client's "Export log" and ``wireguard /dumplog`` write them
(``2022-06-11 18:41:54.154956: [TUN] [USA-Miami] ...``; the log window's copy has
milliseconds), the captures of tests/data/os/windows/wireguard; their times are read as
UTC (the export prints local time, whose zone the posts do not give). Writes: the bytes
of a log.bin laid out as ``logMem`` in wireguard-windows' ``ringlogger/ringlogger.go``,
each line stored as ``WriteWithTimestamp`` stores it (slot ``nextIndex % 2048``, time in
ns, text NUL-terminated, cut at 511 bytes). So the container is a reconstruction; the
texts and times are the captures'.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from xlapulse.collectors.sources.wireguard.ringlog import (
    FILE_BYTES,
    HEADER_BYTES,
    LINE_BYTES,
    MAGIC,
    MAX_LINES,
    TEXT_BYTES,
)

EXPORTED = re.compile(r"^(?P<stamp>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{1,6}): (?P<text>\[.*)$")


def exported_lines(path: Path) -> list[tuple[int, str]]:
    """Each line of an exported log as (time in ns since 1970, ring text)."""
    lines = []
    for row in path.read_text(encoding="utf-8").splitlines():
        matched = EXPORTED.match(row)
        assert matched, f"not an exported log line: {row!r}"
        at = datetime.fromisoformat(matched["stamp"]).replace(tzinfo=UTC)
        seconds = int(at.replace(microsecond=0).timestamp())
        lines.append((seconds * 10**9 + at.microsecond * 1000, matched["text"]))
    return lines


class RingWriter:
    """A log.bin in memory, written line by line as the client's services write it."""

    def __init__(self, next_index: int = 0) -> None:
        self.data = bytearray(FILE_BYTES)
        self.data[0:4] = MAGIC.to_bytes(4, "little")
        self.next_index = next_index
        self._store_index()

    def write(self, time_ns: int, text: str) -> int:
        """Store one line (``[TAG] message``) in the next slot; returns its index."""
        index = self.next_index
        start = HEADER_BYTES + (index % MAX_LINES) * LINE_BYTES
        encoded = text.encode("utf-8")[: TEXT_BYTES - 1]
        self.data[start : start + LINE_BYTES] = bytes(LINE_BYTES)
        self.data[start + 8 : start + 8 + len(encoded)] = encoded
        self.data[start : start + 8] = time_ns.to_bytes(8, "little", signed=True)
        self.next_index += 1
        self._store_index()
        return index

    def write_all(self, lines: list[tuple[int, str]]) -> None:
        for time_ns, text in lines:
            self.write(time_ns, text)

    def slot_offset(self, index: int) -> int:
        """Where the line of ``index`` starts in the file (its time; the text 8 bytes on)."""
        return HEADER_BYTES + (index % MAX_LINES) * LINE_BYTES

    def save(self, path: Path) -> Path:
        path.write_bytes(bytes(self.data))
        return path

    def _store_index(self) -> None:
        self.data[4:8] = (self.next_index & 0xFFFFFFFF).to_bytes(4, "little")
