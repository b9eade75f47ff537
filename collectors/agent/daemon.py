"""The collector daemon: runs each source on its schedule, spools its events, ships them.

Reads: the runtime document (``handoff.py``: validated configuration as plain data) and
the enabled sources of this OS (``collectors/sources``). Writes: their events,
privacy-filtered and encoded, with each source's bookmark into the spool (one
transaction per round), and from there to Kafka on a separate shipper thread, so a
slow or absent broker never delays collection.

Unparsed lines (``Collected.unparsed``: a line the source's pre-filter selected as
concerning a touch point but could not map) are summed per source and reason, logged
as a warning with a pseudonymized excerpt at most once per reason per
``UNPARSED_LOG_INTERVAL_S``, listed in the run's summary, and counted in the metrics
text file when ``[metrics] textfile`` is set (``metrics_textfile.py``).

Error isolation: one bad record never stops its source. A record a source cannot read
or map (hostile or broken input: a forged journal line, a value outside the contract,
an export with malformed content) is counted per source and reason with the unparsed
lines, as ``rejected (<error type>)`` (``sources/base.one_record``), and skipped; so is
an event the privacy filter or the encoder raises on, here. The round's good records
are spooled and the bookmark moves past the bad one. A source whose OS input fails as a
whole (``collect`` raises: a command that fails, a missing file) is logged once per
distinct error (and once when it recovers) and retried from the same bookmark on its
next turn; the other sources go on. A source that
cannot even start is logged and left out. The shipper thread logs an unexpected error
once, drops its producer and retries; records stay spooled meanwhile.
Stopping (``stop()``, SIGTERM, SIGINT) finishes the current round, then replays the
spool for up to ``flush_timeout_s`` and closes the producer; what is not acknowledged
by then stays spooled for the next start.

Imports neither pydantic nor click: it runs in the collector runtime (``runtime.py``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from xlapulse.collectors.agent import metrics_textfile
from xlapulse.collectors.agent.privacy_decisions import PrivacyDecisions
from xlapulse.collectors.agent.shipper import Shipper
from xlapulse.collectors.agent.spool import Spool, SpoolRecord
from xlapulse.collectors.contract.topics import record_headers, record_key, topic_of_type
from xlapulse.collectors.contract.wire import encode
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings
from xlapulse.collectors.privacy import Pseudonymizer
from xlapulse.collectors.sources import build_source, settings_view
from xlapulse.collectors.sources.base import Collected, Identity, Source, one_record
from xlapulse.collectors.sources.unparsed import Unparsed

log = logging.getLogger(__name__)
UNPARSED_LOG_INTERVAL_S = 3600.0


def identity_from(document: dict) -> Identity:
    """The endpoint's pseudonyms from the runtime document's ``identity``."""
    pseudonymizer = Pseudonymizer(document["pseudonym_key"].encode())
    return Identity(
        pseudonymizer,
        pseudonymizer.user(document["user"]),
        pseudonymizer.device(document["device"]),
    )


def source_from(document: dict, name: str, identity: Identity) -> Source:
    """The enabled source ``name`` of the runtime document, configured with its settings."""
    return build_source(name, settings_view(document["sources"][name]["settings"]), identity)


def build_sources(document: dict, identity: Identity) -> dict[str, Source]:
    """Every enabled source that can start; one that cannot (a missing CA file, say) is
    logged and left out, and the others run."""
    sources: dict[str, Source] = {}
    for name in document["sources"]:
        try:
            sources[name] = source_from(document, name, identity)
        except Exception as error:  # isolation: one source that cannot start stops no other
            log.error(
                "source %s cannot start: %s: %s (left out until the collector restarts)",
                name,
                type(error).__name__,
                error,
            )
    return sources


def to_record(event: dict) -> SpoolRecord:
    return SpoolRecord(
        topic_of_type(event["event_type"]),
        record_key(event["user_id"]),
        encode(event),
        tuple(record_headers(event["event_type"], event["schema_version"])),
    )


@dataclass
class SourceHealth:
    """What was last logged about a source, so each distinct problem is logged once."""

    last_error: str | None = None
    rounds: int = 0
    events: int = 0
    skipped_records: int = 0
    unparsed: dict[str, int] = field(default_factory=dict)
    unparsed_logged_at: dict[str, float] = field(default_factory=dict)

    def count_unparsed(self, name: str, unparsed: Unparsed, now: float) -> None:
        """Add a round's unparsed lines; log each reason at most once per interval."""
        for reason, count in unparsed.counts.items():
            self.unparsed[reason] = self.unparsed.get(reason, 0) + count
            last = self.unparsed_logged_at.get(reason)
            if last is None or now - last >= UNPARSED_LOG_INTERVAL_S:
                self.unparsed_logged_at[reason] = now
                log.warning(
                    "source %s: %d line(s) not mapped (%s; %d in this run), e.g.: %s",
                    name,
                    count,
                    reason,
                    self.unparsed[reason],
                    unparsed.excerpts.get(reason, ""),
                )


@dataclass
class Collector:
    """Sources + privacy filter + spool; ``collect_round`` is one turn of one source."""

    sources: dict[str, Source]
    privacy: PrivacyDecisions
    spool: Spool
    health: dict[str, SourceHealth] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    metrics_textfile: Path | None = None

    def collect_round(self, name: str) -> int:
        """Run one source once and spool its events with its bookmark; return events stored."""
        health = self.health.setdefault(name, SourceHealth())
        try:
            collected = self.sources[name].collect(self.spool.bookmark(name))
            kept = self._records(collected)
            self.spool.store_round(name, kept, collected.bookmark)
        except Exception as error:  # isolation: one broken source never stops the others
            message = f"{type(error).__name__}: {error}"
            if message != health.last_error:
                log.error("source %s failed: %s (will retry on its schedule)", name, message)
            health.last_error = message
            return 0
        if health.last_error is not None:
            log.info("source %s recovered", name)
            health.last_error = None
        health.rounds += 1
        health.events += len(kept)
        health.skipped_records += collected.skipped_records
        health.count_unparsed(name, collected.unparsed, self.clock())
        self._write_metrics()
        return len(kept)

    def _records(self, collected: Collected) -> list[SpoolRecord]:
        """The round's events that pass the privacy filter, encoded; one that raises is
        counted as rejected (the excerpt names only its type: it holds pseudonyms)."""
        records = []
        for event in collected.events:
            with one_record(collected.unparsed, f"{event.get('event_type', '?')} event"):
                filtered = self.privacy.apply(event)
                if filtered is not None:
                    records.append(to_record(filtered))
        return records

    def _write_metrics(self) -> None:
        if self.metrics_textfile is None:
            return
        try:
            metrics_textfile.write(self.metrics_textfile, metrics_textfile.render(self.health))
        except OSError as error:  # counters are a by-product: never stop collecting for them
            log.warning("cannot write the metrics file %s: %s", self.metrics_textfile, error)
            self.metrics_textfile = None


class Daemon:
    """Schedules the collector's sources and runs the shipper thread until stopped."""

    def __init__(
        self,
        collector: Collector,
        intervals_s: dict[str, int],
        shipper: Shipper,
        retry_s: float,
        flush_timeout_s: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.collector = collector
        self.intervals_s = intervals_s
        self.shipper = shipper
        self.retry_s = retry_s
        self.flush_timeout_s = flush_timeout_s
        self.clock = clock
        self._stop = threading.Event()
        self._wake_shipper = threading.Event()

    def stop(self) -> None:
        self._stop.set()
        self._wake_shipper.set()

    def run(self) -> None:
        shipper_thread = threading.Thread(target=self._ship_loop, name="shipper", daemon=True)
        shipper_thread.start()
        next_due = dict.fromkeys(self.intervals_s, self.clock())
        log.info(
            "collector running: %s",
            ", ".join(f"{n} every {s}s" for n, s in self.intervals_s.items()),
        )
        while not self._stop.is_set():
            now = self.clock()
            for name, due in next_due.items():
                if due <= now and not self._stop.is_set():
                    if self.collector.collect_round(name):
                        self._wake_shipper.set()
                    next_due[name] = now + self.intervals_s[name]
            self._stop.wait(max(0.0, min(next_due.values(), default=now + 60) - self.clock()))
        shipper_thread.join(timeout=self.flush_timeout_s)
        if shipper_thread.is_alive():
            log.warning("shipper still waiting for Kafka; unsent records stay spooled")
        else:
            self._final_flush()
        self._log_summary()

    def _ship_loop(self) -> None:
        last_error: str | None = None
        while not self._stop.is_set():
            try:
                self.shipper.drain()
                last_error = None
            except Exception as error:  # the shipper thread must outlive any surprise
                message = f"{type(error).__name__}: {error}"
                if message != last_error:
                    log.exception("shipping failed unexpectedly; records stay spooled, retrying")
                last_error = message
                self.shipper.close(timeout_s=1.0)
            self._wake_shipper.wait(self.retry_s)
            self._wake_shipper.clear()

    def _final_flush(self) -> None:
        deadline = time.monotonic() + self.flush_timeout_s
        self.shipper.ack_timeout_s = max(1.0, min(self.shipper.ack_timeout_s, self.flush_timeout_s))
        while self.collector.spool.stats().records and time.monotonic() < deadline:
            if not self.shipper.drain():
                break
        self.shipper.close(timeout_s=max(1.0, deadline - time.monotonic()))
        left = self.collector.spool.stats().records
        if left:
            log.warning("stopped with %d records spooled; they are sent after the next start", left)
        else:
            log.info("stopped; spool empty")

    def _log_summary(self) -> None:
        """What this run did, per source and in all, for the operator's last log lines."""
        for name, health in sorted(self.collector.health.items()):
            unparsed = ", ".join(f"{r}: {n}" for r, n in sorted(health.unparsed.items()))
            log.info(
                "source %s: %d rounds, %d events spooled, %d records skipped, unparsed lines: %s%s",
                name,
                health.rounds,
                health.events,
                health.skipped_records,
                unparsed or "none",
                f", last error: {health.last_error}" if health.last_error else "",
            )
        log.info("%d records acknowledged by Kafka in this run", self.shipper.sent_records)


def build_daemon(document: dict) -> Daemon:
    """Wire sources, spool and shipper from the runtime document."""
    spool_options = document["spool"]
    spool = Spool(
        Path(spool_options["directory"]), spool_options["max_bytes"], spool_options["fsync"]
    )
    sources = build_sources(document, identity_from(document["identity"]))
    intervals = {name: document["sources"][name]["interval_s"] for name in sources}
    privacy = PrivacyDecisions.from_document(document["privacy"])
    settings = ProducerSettings(**document["kafka"])
    shipper = Shipper(spool, lambda: EventProducer(settings), settings.request_timeout_ms / 1000)
    textfile = document.get("metrics", {}).get("textfile")
    collector = Collector(
        sources, privacy, spool, metrics_textfile=Path(textfile) if textfile else None
    )
    return Daemon(collector, intervals, shipper, spool_options["retry_s"])
