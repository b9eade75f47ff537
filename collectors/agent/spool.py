"""The disk spool: events wait here until Kafka acknowledged them; bookmarks live beside them.

Reads and writes: one SQLite database, ``<spool directory>/spool.sqlite3`` (stdlib
``sqlite3``, WAL journal). Table ``records`` holds encoded Kafka records in arrival
order; ``bookmarks`` holds each source's resume point; ``counters`` the eviction
totals, so they survive restarts too.

Every round of a source is stored in ONE transaction: its records and its new
bookmark commit together, so after a crash either both are there or neither, and the
source re-reads exactly what was not stored.

Bounded: ``max_bytes`` caps the payload bytes (topic + key + value + headers) held;
when a new round does not fit, the oldest records are deleted, counted
(``evicted_records``, ``evicted_bytes``) and logged as a warning. The database file can
be larger than the payload by SQLite's page overhead (about 1.3x) plus the WAL.

fsync policy: ``always`` is ``PRAGMA synchronous=FULL``: each commit is fsynced, so a
stored round survives a power cut. ``normal`` is ``synchronous=NORMAL``: a process
crash loses nothing, a power cut may lose the last commits, never corrupts the spool.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    headers TEXT NOT NULL,
    size_bytes INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS bookmarks (source TEXT PRIMARY KEY, bookmark TEXT);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
SYNCHRONOUS = {"always": "FULL", "normal": "NORMAL"}

log = logging.getLogger("xlapulse.collector.spool")


@dataclass(frozen=True)
class SpoolRecord:
    """One Kafka record, already encoded."""

    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    @property
    def size_bytes(self) -> int:
        header_bytes = sum(len(name) + len(value) for name, value in self.headers)
        return len(self.topic) + len(self.key) + len(self.value) + header_bytes


@dataclass(frozen=True)
class SpoolStats:
    records: int
    payload_bytes: int
    evicted_records: int
    evicted_bytes: int


class Spool:
    """A bounded, ordered, crash-safe queue of Kafka records plus source bookmarks."""

    def __init__(self, directory: Path, max_bytes: int, fsync: str = "always") -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "spool.sqlite3"
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={SYNCHRONOUS[fsync]}")
        self._db.executescript(SCHEMA)

    def store_round(
        self, source: str, records: Sequence[SpoolRecord], bookmark: str | None
    ) -> None:
        """Append a source's records and move its bookmark, atomically; evict if over the cap."""
        with self._transaction():
            self._db.executemany(
                "INSERT INTO records (topic, key, value, headers, size_bytes) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (r.topic, r.key, r.value, _encode_headers(r.headers), r.size_bytes)
                    for r in records
                ],
            )
            self._db.execute(
                "INSERT INTO bookmarks (source, bookmark) VALUES (?, ?) "
                "ON CONFLICT(source) DO UPDATE SET bookmark = excluded.bookmark",
                (source, bookmark),
            )
            self._evict_over_cap()

    def bookmark(self, source: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT bookmark FROM bookmarks WHERE source = ?", (source,)
            ).fetchone()
        return row[0] if row else None

    def oldest(self, limit: int) -> list[tuple[int, SpoolRecord]]:
        """Up to ``limit`` records, oldest first, with their sequence numbers."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, topic, key, value, headers FROM records ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            (seq, SpoolRecord(topic, bytes(key), bytes(value), _decode_headers(headers)))
            for seq, topic, key, value, headers in rows
        ]

    def remove(self, sequence_numbers: Sequence[int]) -> None:
        """Forget records Kafka acknowledged: one transaction, so one fsync per batch."""
        with self._transaction():
            self._db.executemany(
                "DELETE FROM records WHERE seq = ?", [(s,) for s in sequence_numbers]
            )

    def stats(self) -> SpoolStats:
        with self._lock:
            count, payload = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM records"
            ).fetchone()
            counters = dict(self._db.execute("SELECT name, value FROM counters").fetchall())
        return SpoolStats(
            count, payload, counters.get("evicted_records", 0), counters.get("evicted_bytes", 0)
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One locked write transaction: committed whole, or rolled back and re-raised."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _evict_over_cap(self) -> None:
        (total,) = self._db.execute("SELECT COALESCE(SUM(size_bytes), 0) FROM records").fetchone()
        excess = total - self.max_bytes
        if excess <= 0:
            return
        evicted_records = evicted_bytes = 0
        last_seq = None
        for seq, size in self._db.execute("SELECT seq, size_bytes FROM records ORDER BY seq"):
            if evicted_bytes >= excess:
                break
            evicted_records, evicted_bytes, last_seq = (
                evicted_records + 1,
                evicted_bytes + size,
                seq,
            )
        self._db.execute("DELETE FROM records WHERE seq <= ?", (last_seq,))
        log.warning(
            "spool full (%d bytes cap): deleted the %d oldest records (%d bytes) unsent",
            self.max_bytes,
            evicted_records,
            evicted_bytes,
        )
        for name, value in (("evicted_records", evicted_records), ("evicted_bytes", evicted_bytes)):
            self._db.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                (name, value),
            )


def _encode_headers(headers: tuple[tuple[str, bytes], ...]) -> str:
    return json.dumps([[name, value.decode()] for name, value in headers])


def _decode_headers(text: str) -> tuple[tuple[str, bytes], ...]:
    return tuple((name, value.encode()) for name, value in json.loads(text))
