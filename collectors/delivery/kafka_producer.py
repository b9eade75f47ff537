"""Deliver contract events to Kafka with kafka-python.

Writes: the topic given by ``contract.topics.topic_for`` for each event, keyed
by user pseudonym, with the event type and schema version as headers.

The record timestamp is the send time, not the event time: Kafka 4 rejects
records more than ``log.message.timestamp.after.max.ms`` (1 h) in the future,
and an endpoint with a wrong clock must not block its own delivery. The event
time travels in the payload, where the engine's late-event policy judges it.

The producer is durable by default: ``acks=all`` with idempotence, so a retried
batch is never written twice, and lz4 compression with a short linger so a
collector sends few, small requests.

TLS and SASL: ``security_protocol`` SSL or SASL_SSL with a CA file (and optionally
a client certificate for mutual TLS); SASL mechanisms PLAIN, SCRAM-SHA-256 and
SCRAM-SHA-512. The password is left out of the settings' repr, so it never reaches a log.

Imports no pydantic (the collector service uses it): :meth:`EventProducer.send` loads the
pydantic codec only when it is given a pydantic event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kafka.producer import KafkaProducer  # not `from kafka`: see agent/lean_imports.py
from kafka.producer.future import FutureRecordMetadata

from xlapulse.collectors.contract.topics import headers_for, key_for, topic_for
from xlapulse.collectors.delivery.partitioner import RememberingPartitioner

if TYPE_CHECKING:
    from xlapulse.collectors.contract.events import EventBase


@dataclass(frozen=True)
class ProducerSettings:
    """Tuning for the collector's Kafka producer; defaults favour no loss over latency."""

    bootstrap_servers: str = "127.0.0.1:9092"
    linger_ms: int = 50
    batch_size_bytes: int = 64 * 1024
    compression_type: str = "lz4"
    request_timeout_ms: int = 30_000
    max_block_ms: int = 10_000
    #: how long the producer waits for a first broker when it is created
    bootstrap_timeout_ms: int = 30_000
    client_id: str = "xlapulse-collector"
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str = field(default="", repr=False)
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_check_hostname: bool = True

    def security_options(self) -> dict[str, object]:
        """kafka-python keyword arguments for TLS and SASL (empty for PLAINTEXT)."""
        options: dict[str, object] = {"security_protocol": self.security_protocol}
        if self.security_protocol in ("SSL", "SASL_SSL"):
            options.update(
                ssl_cafile=self.ssl_cafile or None,
                ssl_certfile=self.ssl_certfile or None,
                ssl_keyfile=self.ssl_keyfile or None,
                ssl_check_hostname=self.ssl_check_hostname,
            )
        if self.security_protocol.startswith("SASL_"):
            options.update(
                sasl_mechanism=self.sasl_mechanism or "SCRAM-SHA-512",
                sasl_plain_username=self.sasl_username,
                sasl_plain_password=self.sasl_password,
            )
        return options


class EventProducer:
    """Sends contract events to their topics; ``flush`` blocks until Kafka acknowledged."""

    def __init__(self, settings: ProducerSettings) -> None:
        self._producer = KafkaProducer(
            bootstrap_servers=settings.bootstrap_servers.split(","),
            client_id=settings.client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=settings.linger_ms,
            batch_size=settings.batch_size_bytes,
            compression_type=settings.compression_type,
            request_timeout_ms=settings.request_timeout_ms,
            max_block_ms=settings.max_block_ms,
            bootstrap_timeout_ms=settings.bootstrap_timeout_ms,
            partitioner=RememberingPartitioner(),
            **settings.security_options(),
        )

    def send(self, event: EventBase) -> FutureRecordMetadata:
        """Queue one event; the returned future resolves when Kafka acknowledged it."""
        from xlapulse.collectors.contract.codec import encode_event  # pydantic: not at import

        return self._producer.send(
            topic_for(event),
            key=key_for(event),
            value=encode_event(event),
            headers=headers_for(event),
        )

    def send_record(
        self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]
    ) -> FutureRecordMetadata:
        """Queue one already encoded record (the collector's spool replays these)."""
        return self._producer.send(topic, key=key, value=value, headers=headers)

    def flush(self, timeout_s: float) -> None:
        """Block until every queued record is acknowledged or ``timeout_s`` passed."""
        self._producer.flush(timeout=timeout_s)

    def partitions_for(self, topic: str) -> set[int]:
        """The topic's partitions; fetching them proves the broker answers (and TLS/SASL work)."""
        return self._producer.partitions_for(topic) or set()

    def send_all(self, events: Iterable[EventBase], timeout_s: float = 60.0) -> int:
        """Send events, wait until every one is acknowledged, return how many were sent.

        Raises the first delivery error instead of returning a short count.
        """
        futures = [self.send(event) for event in events]
        self._producer.flush(timeout=timeout_s)
        for future in futures:
            future.get(timeout=timeout_s)
        return len(futures)

    def close(self, timeout_s: float = 30.0) -> None:
        """Flush what is queued and close the connection."""
        self._producer.close(timeout=timeout_s)
