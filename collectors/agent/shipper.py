"""Replays the spool to Kafka in order and forgets what Kafka acknowledged.

Reads: the oldest records of the spool. Writes: them to their Kafka topics with the
idempotent ``acks=all`` producer (``collectors/delivery/kafka_producer.py``), keyed by
user pseudonym, then deletes them from the spool once every one of a batch is
acknowledged. While Kafka is unreachable nothing is deleted; the state change is
logged once ("unreachable", then "reachable again"), not on every retry.

Delivery is at least once: a batch interrupted by an outage is sent again whole, and
the engine drops the repeats by event id (event ids are deterministic per record).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from kafka.errors import KafkaError

from xlapulse.collectors.agent.spool import Spool
from xlapulse.collectors.delivery.kafka_producer import EventProducer

log = logging.getLogger(__name__)

BATCH_RECORDS = 500


class Shipper:
    """Drains the spool through one producer, recreated after a failure."""

    def __init__(
        self,
        spool: Spool,
        producer_factory: Callable[[], EventProducer],
        ack_timeout_s: float = 30.0,
    ) -> None:
        self.spool = spool
        self.producer_factory = producer_factory
        self.ack_timeout_s = ack_timeout_s
        self._producer: EventProducer | None = None
        self.reachable: bool | None = None
        self.sent_records = 0

    def drain(self) -> int:
        """Send everything spooled; return how many records were acknowledged this call."""
        acknowledged = 0
        while batch := self.spool.oldest(BATCH_RECORDS):
            try:
                producer = self._producer or self._connect()
                futures = [
                    producer.send_record(r.topic, r.key, r.value, list(r.headers)) for _, r in batch
                ]
                producer.flush(self.ack_timeout_s)
                for future in futures:
                    future.get(timeout=self.ack_timeout_s)
            except (KafkaError, OSError) as error:
                self._unreachable(error)
                return acknowledged
            self.spool.remove([seq for seq, _ in batch])
            acknowledged += len(batch)
            self.sent_records += len(batch)
            self._reachable()
        return acknowledged

    def close(self, timeout_s: float = 10.0) -> None:
        if self._producer is not None:
            self._producer.close(timeout_s)
            self._producer = None

    def _connect(self) -> EventProducer:
        self._producer = self.producer_factory()
        return self._producer

    def _unreachable(self, error: Exception) -> None:
        if self.reachable is not False:
            stats = self.spool.stats()
            log.warning(
                "Kafka unreachable (%s: %s); spooling to disk, %d records waiting",
                type(error).__name__,
                error,
                stats.records,
            )
        self.reachable = False
        if self._producer is not None:
            with contextlib.suppress(KafkaError):
                self._producer.close(0)
            self._producer = None

    def _reachable(self) -> None:
        if self.reachable is False:
            log.info("Kafka reachable again; spool replayed in order")
        self.reachable = True
