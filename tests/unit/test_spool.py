"""The SQLite spool: order, atomic rounds with bookmarks, bounded size, restart survival."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from xlapulse.collectors.agent.spool import Spool, SpoolRecord


def record(number: int, size: int = 100) -> SpoolRecord:
    return SpoolRecord("t", f"k{number}".encode(), b"x" * size, (("h", b"v"),))


def test_records_come_back_oldest_first_and_removed_ones_are_gone(tmp_path):
    spool = Spool(tmp_path, max_bytes=1_000_000)
    spool.store_round("a", [record(1), record(2)], "b1")
    spool.store_round("b", [record(3)], "c1")
    rows = spool.oldest(10)
    assert [r.key for _, r in rows] == [b"k1", b"k2", b"k3"]
    assert rows[0][1].headers == (("h", b"v"),)
    spool.remove([rows[0][0]])
    assert [r.key for _, r in spool.oldest(10)] == [b"k2", b"k3"]
    assert (spool.bookmark("a"), spool.bookmark("b"), spool.bookmark("none")) == ("b1", "c1", None)


def test_oldest_records_are_evicted_counted_and_logged(tmp_path, caplog):
    size = record(0).size_bytes
    spool = Spool(tmp_path, max_bytes=size * 5)
    for number in range(8):
        spool.store_round("a", [record(number)], str(number))
    assert [r.key for _, r in spool.oldest(10)] == [b"k3", b"k4", b"k5", b"k6", b"k7"]
    stats = spool.stats()
    assert (stats.records, stats.evicted_records, stats.evicted_bytes) == (5, 3, 3 * size)
    assert stats.payload_bytes <= 5 * size
    warnings = [r.getMessage() for r in caplog.records if r.name == "xlapulse.collector.spool"]
    assert len(warnings) == 3
    assert f"deleted the 1 oldest records ({size} bytes) unsent" in warnings[0]


def test_a_failed_round_stores_neither_records_nor_bookmark(tmp_path):
    spool = Spool(tmp_path, max_bytes=1_000_000)
    spool.store_round("a", [record(1)], "before")
    broken = SpoolRecord("t", b"k", b"v", (("h", "not bytes"),))  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        spool.store_round("a", [record(2), broken], "after")
    assert spool.bookmark("a") == "before"
    assert [r.key for _, r in spool.oldest(10)] == [b"k1"]


def test_spool_survives_a_killed_process(tmp_path):
    script = (
        "import os, sys; from pathlib import Path\n"
        "from xlapulse.collectors.agent.spool import Spool, SpoolRecord\n"
        "s = Spool(Path(sys.argv[1]), 10**6, 'always')\n"
        "s.store_round('src', [SpoolRecord('t', b'k', b'v', ())] * 3, 'cursor-9')\n"
        "os._exit(137)  # no close, no cleanup: like a kill -9 right after the commit\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=False)
    assert result.returncode == 137
    spool = Spool(tmp_path, max_bytes=10**6)
    assert len(spool.oldest(10)) == 3 and spool.bookmark("src") == "cursor-9"


@pytest.mark.parametrize(("policy", "level"), [("always", 2), ("normal", 1)])
def test_fsync_policy_sets_sqlite_synchronous(tmp_path, policy, level):
    spool = Spool(tmp_path, max_bytes=10**6, fsync=policy)
    assert spool._db.execute("PRAGMA synchronous").fetchone()[0] == level
    assert sqlite3.connect(spool.path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
