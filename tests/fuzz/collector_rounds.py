"""One collector round over a source fed hostile OS output, and what must hold after it.

Reads: the captured samples of tests/data. Writes: nothing outside the test's folder.
:func:`collect_round` runs the daemon's own ``Collector.collect_round`` (privacy filter,
encoding, per-record isolation, the warnings it logs) with an in-memory spool and
checks: the round either stored its events and a bookmark, or failed as a whole with a
``SourceError`` where the source allows one; every stored record is a valid contract
event; no log line names an identity.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest

from tests.fuzz.hostile import assert_nothing_personal, count
from xlapulse.collectors.agent.daemon import Collector
from xlapulse.collectors.agent.privacy_decisions import PrivacyDecisions
from xlapulse.collectors.agent.spool import SpoolRecord
from xlapulse.collectors.contract.codec import parse_event
from xlapulse.collectors.sources.base import Source


@dataclass
class MemorySpool:
    """The two calls a collector round makes on the SQLite spool."""

    bookmarks: dict[str, str | None] = field(default_factory=dict)
    records: list[SpoolRecord] = field(default_factory=list)

    def bookmark(self, name: str) -> str | None:
        return self.bookmarks.get(name)

    def store_round(self, name: str, records: list[SpoolRecord], bookmark: str | None) -> None:
        self.records += records
        self.bookmarks[name] = bookmark


def collect_round(
    source: Source,
    caplog: pytest.LogCaptureFixture,
    whole_failure_allowed: bool = False,
    bookmark: str | None = None,
) -> MemorySpool:
    """Run one round of ``source`` as the daemon does; check it (module docstring)."""
    count(source.name)
    caplog.clear()
    spool = MemorySpool({source.name: bookmark} if bookmark else {})
    collector = Collector({source.name: source}, PrivacyDecisions(), spool)
    with caplog.at_level(logging.INFO):
        collector.collect_round(source.name)
    error = collector.health[source.name].last_error
    if error is not None:
        assert whole_failure_allowed and error.startswith("SourceError: "), error
    else:
        assert source.name in spool.bookmarks, "the round stored no bookmark"
    for record in spool.records:
        parse_event(record.value)  # raises ContractViolation if the source let one through
    assert_nothing_personal([r.getMessage() for r in caplog.records], "a log line")
    return spool
