"""The collector daemon: runs each source on its schedule, spools its events, ships them.

Reads: the enabled sources of this OS (``collectors/sources``). Writes: their events,
privacy-filtered and encoded, with each source's bookmark into the spool (one
transaction per round), and from there to Kafka on a separate shipper thread, so a
slow or absent broker never delays collection.

Error isolation: a source that raises is logged once per distinct error (and once
when it recovers) and retried on its next turn; the other sources go on.
Stopping (``stop()``, SIGTERM, SIGINT) finishes the current round, then replays the
spool for up to ``flush_timeout_s`` and closes the producer; what is not acknowledged
by then stays spooled for the next start.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from xlapulse.collectors.agent.config import CollectorConfig
from xlapulse.collectors.agent.privacy_filter import PrivacyFilter
from xlapulse.collectors.agent.shipper import Shipper
from xlapulse.collectors.agent.spool import Spool, SpoolRecord
from xlapulse.collectors.contract.codec import encode_event
from xlapulse.collectors.contract.events import EventBase
from xlapulse.collectors.contract.topics import headers_for, key_for, topic_for
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings
from xlapulse.collectors.privacy import Pseudonymizer
from xlapulse.collectors.sources import SOURCES, build_source
from xlapulse.collectors.sources.base import Identity, Source

log = logging.getLogger(__name__)


def identity_from(config: CollectorConfig) -> Identity:
    """The endpoint's pseudonyms; raises PseudonymKeyError without a usable key."""
    pseudonymizer = Pseudonymizer(config.privacy.pseudonym_key.get_secret_value().encode())
    return Identity(
        pseudonymizer,
        pseudonymizer.user(config.identity.resolved_user()),
        pseudonymizer.device(config.identity.resolved_device()),
    )


def enabled_sources(config: CollectorConfig, platform: str = sys.platform) -> dict[str, int]:
    """Name -> interval_s of the sources that are switched on and run on this OS."""
    enabled = {}
    for name, spec in SOURCES.items():
        settings = getattr(config.sources, name)
        if settings.enabled and platform in spec.platforms:
            enabled[name] = settings.interval_s
    return enabled


def producer_settings(config: CollectorConfig) -> ProducerSettings:
    kafka = config.kafka
    return ProducerSettings(
        bootstrap_servers=kafka.bootstrap_servers,
        linger_ms=kafka.linger_ms,
        batch_size_bytes=kafka.batch_size_bytes,
        compression_type=None if kafka.compression_type == "none" else kafka.compression_type,  # type: ignore[arg-type]
        request_timeout_ms=kafka.request_timeout_ms,
        client_id="xlapulse-collector",
        security_protocol=kafka.security_protocol,
        sasl_mechanism=kafka.sasl_mechanism,
        sasl_username=kafka.sasl_username or None,
        sasl_password=kafka.sasl_password,
        ssl_cafile=kafka.ssl_ca_file or None,
        ssl_certfile=kafka.ssl_cert_file or None,
        ssl_keyfile=kafka.ssl_key_file or None,
        ssl_check_hostname=kafka.ssl_check_hostname,
    )


def to_record(event: EventBase) -> SpoolRecord:
    return SpoolRecord(
        topic_for(event), key_for(event), encode_event(event), tuple(headers_for(event))
    )


@dataclass
class SourceHealth:
    """What was last logged about a source, so each distinct problem is logged once."""

    last_error: str | None = None
    rounds: int = 0
    events: int = 0
    skipped_records: int = 0


@dataclass
class Collector:
    """Sources + privacy filter + spool; ``collect_round`` is one turn of one source."""

    sources: dict[str, Source]
    privacy: PrivacyFilter
    spool: Spool
    health: dict[str, SourceHealth] = field(default_factory=dict)

    def collect_round(self, name: str) -> int:
        """Run one source once and spool its events with its bookmark; return events stored."""
        health = self.health.setdefault(name, SourceHealth())
        try:
            collected = self.sources[name].collect(self.spool.bookmark(name))
            kept = [e for e in map(self.privacy.apply, collected.events) if e is not None]
            self.spool.store_round(name, [to_record(e) for e in kept], collected.bookmark)
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
        return len(kept)


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
            return
        self._final_flush()

    def _ship_loop(self) -> None:
        while not self._stop.is_set():
            self.shipper.drain()
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


def build_daemon(config: CollectorConfig, platform: str = sys.platform) -> Daemon:
    """Wire sources, spool and shipper from the configuration."""
    identity = identity_from(config)
    intervals = enabled_sources(config, platform)
    sources = {
        name: build_source(name, getattr(config.sources, name), identity) for name in intervals
    }
    privacy = PrivacyFilter(config.privacy.disabled_events, config.privacy.disabled_fields)
    spool = Spool(config.spool.resolved_directory(), config.spool.max_bytes, config.spool.fsync)
    settings = producer_settings(config)
    shipper = Shipper(spool, lambda: EventProducer(settings), settings.request_timeout_ms / 1000)
    return Daemon(Collector(sources, privacy, spool), intervals, shipper, config.spool.retry_s)
