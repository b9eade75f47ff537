"""WireGuard source reading WireGuard for Windows' ring log instead of ``wg show all dump``.

Reads: ``C:\\Program Files\\WireGuard\\Data\\log.bin`` (or the configured ``log_path``),
the whole file each round (1 MB), directly: no ``wireguard /dumplog`` subprocess
(``ringlog.py`` reads the container, ``tunnel_log.py`` maps the tunnels' lines). Writes:
vpn_session events; the bookmark keeps the ring's cursor (the index of the next line to
read), the newest line time read, whether the round stopped at a line being written, and
each tunnel's state (``tunnel_log.py``).

Every line is handled once: the cursor follows the ring's own write index across rounds
and wrap-around. More than 2048 lines written between two rounds overwrite some before
they are read: they are counted (``wg-log-lines-overwritten``). A ring whose index went
back (reset or replaced) is read from the newest time read on. A line that cannot be read
(a time out of range, text without its tag or NUL) is counted (``wg-log-line-unreadable``)
and passed; a file cut short is read as far as it goes and counted
(``wg-log-file-truncated``); a file that is missing, unreadable, shorter than its header
or not a ring log is a ``SourceError`` naming the file: the round is retried with the
same bookmark.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from xlapulse.collectors.sources.base import Collected, Identity, Source, one_record
from xlapulse.collectors.sources.wireguard.ringlog import (
    FILE_BYTES,
    HEADER_BYTES,
    LINE_BYTES,
    MAX_LINES,
    new_lines,
    read_ring,
)
from xlapulse.collectors.sources.wireguard.tunnel_log import TunnelLogMapper

if TYPE_CHECKING:
    from xlapulse.collectors.sources.wireguard.settings import WireguardSettings

#: where WireGuard for Windows keeps its ring log (conf.LogFile: <root>\Data\log.bin)
WINDOWS_LOG = r"C:\Program Files\WireGuard\Data\log.bin"


class WireguardLogSource(Source):
    """Follows the ring log and reports each tunnel's sessions, with failure reasons."""

    name = "wireguard"
    event_types = ("vpn_session",)
    description = "WireGuard for Windows' log: tunnels connected, dropped, failed (why)"

    def __init__(self, settings: WireguardSettings, identity: Identity) -> None:
        self.path = Path(settings.log_path or WINDOWS_LOG)
        self.identity = identity

    def prerequisite_warnings(self) -> list[str]:
        """The ring log where it is expected, or a warning naming the path."""
        if self.path.exists():
            return []
        return [
            f"{self.path} does not exist: is WireGuard for Windows installed? Set "
            '[sources.wireguard] log_path where its log.bin is, or read = "wg"'
        ]

    def collect(self, bookmark: str | None) -> Collected:
        saved = json.loads(bookmark) if bookmark else {}
        ring_saved = saved.get("ring") or {}
        ring = read_ring(self.path)
        found = new_lines(
            ring,
            ring_saved.get("cursor"),
            ring_saved.get("newest_ns", 0),
            ring_saved.get("waited", False),
        )
        collected = Collected(unparsed=self.identity.unparsed())
        self._count_losses(found.overwritten, found.unreadable, ring.size, collected)
        mapper = TunnelLogMapper(self.identity, saved.get("tunnels") or {}, collected)
        for line in found.lines:
            with one_record(collected.unparsed, line.text):
                mapper.feed(line)
        collected.bookmark = json.dumps(
            {
                "ring": {
                    "cursor": found.cursor,
                    "newest_ns": found.newest_ns,
                    "waited": found.cursor < ring.next_index,
                },
                "tunnels": mapper.state,
            }
        )
        return collected

    def _count_losses(
        self, overwritten: int, unreadable: list[str], size: int, collected: Collected
    ) -> None:
        if overwritten:
            collected.unparsed.add(
                "wg-log-lines-overwritten",
                f"{overwritten} lines written over before this round read them",
                count=overwritten,
            )
        for problem in unreadable:
            collected.unparsed.add("wg-log-line-unreadable", problem)
        if size < FILE_BYTES:
            whole = max(0, size - HEADER_BYTES) // LINE_BYTES
            collected.unparsed.add(
                "wg-log-file-truncated",
                f"{self.path.name}: {size} of {FILE_BYTES} bytes, {whole} of {MAX_LINES} lines",
            )
