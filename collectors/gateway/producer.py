"""The gateway's Kafka producer: its settings, and dead letters with the contract's headers.

Writes: contract events to their topics (``acks=all``, idempotent, through the shared
:class:`EventProducer`) and rejected payloads to ``xlapulse.deadletter.v1`` with a reason
header cut to ``MAX_REASON_BYTES``. Reads nothing; the gateway's settings arrive as
arguments of :func:`producer_settings`. :class:`KafkaUnavailable` is what a caller gets
when Kafka did not acknowledge in time (HTTP 503).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kafka.producer.future import FutureRecordMetadata

from xlapulse.collectors.contract.codec import encode_event
from xlapulse.collectors.contract.events import EventBase
from xlapulse.collectors.contract.topics import (
    DEAD_LETTER_TOPIC,
    HEADER_DEAD_LETTER_REASON,
    HEADER_DEAD_LETTER_SOURCE,
    headers_for,
    key_for,
    topic_for,
)
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings

MAX_REASON_BYTES = 1000  # the dead-letter reason header (the text is capped in app.py)


class KafkaUnavailable(Exception):
    """Kafka did not acknowledge in time; retry after ``retry_after_s`` (HTTP 503)."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"Kafka unavailable, retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


class GatewayProducer(EventProducer):
    """The shared event producer, plus dead letters with the contract's headers."""

    def send(self, event: EventBase) -> FutureRecordMetadata:
        """Queue one event, as :meth:`EventProducer.send` does; the codec is imported once
        here, not on each call (the gateway runs pydantic anyway)."""
        return self.send_record(
            topic_for(event), key_for(event), encode_event(event), headers_for(event)
        )

    def send_dead_letter(self, source: str, reason: str, value: bytes) -> FutureRecordMetadata:
        return self._producer.send(
            DEAD_LETTER_TOPIC,
            key=source.encode(),
            value=value,
            headers=[
                (HEADER_DEAD_LETTER_REASON, utf8_cut(reason, MAX_REASON_BYTES)),
                (HEADER_DEAD_LETTER_SOURCE, f"gateway:{source}".encode()),
            ],
        )


def utf8_cut(text: str, max_bytes: int) -> bytes:
    """``text`` as UTF-8, at most ``max_bytes`` long, cut between characters (a header
    value cut inside a character would not decode)."""
    return text.encode()[:max_bytes].decode(errors="ignore").encode()


def producer_settings(
    bootstrap: str, linger_ms: int, security: Mapping[str, Any] | None = None
) -> ProducerSettings:
    """Producer tuning for the gateway: short linger (latency) and short blocking;
    ``security``: TLS and SASL (``kafka_security.security_settings``)."""
    return ProducerSettings(
        bootstrap_servers=bootstrap,
        linger_ms=linger_ms,
        request_timeout_ms=3_000,
        max_block_ms=2_000,
        client_id="xlapulse-gateway",
        **(security or {}),
    )
