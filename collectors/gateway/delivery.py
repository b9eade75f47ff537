"""Await Kafka's acknowledgement of contract events from asyncio, with a circuit breaker.

Writes: each event to its contract topic through kafka-python (``acks=all``, idempotent;
the shared :class:`EventProducer`), and dead letters to ``xlapulse.deadletter.v1``.

kafka-python completes its futures on its own sender thread; :func:`_bridge` hands the
outcome to the event loop with ``call_soon_threadsafe``, so a request handler can
``await`` the broker's acknowledgement. A send that fails or is not acknowledged within
``ack_timeout_s`` opens the circuit for ``retry_after_s``: meanwhile every request gets
503 at once without queueing more records. Ids are remembered (``dedup.RecentIds``) only
once Kafka acknowledged them, also when the acknowledgement comes after a timeout.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kafka.errors import KafkaError
from kafka.producer.future import FutureRecordMetadata

from xlapulse.collectors.contract.events import EventBase
from xlapulse.collectors.contract.topics import (
    DEAD_LETTER_TOPIC,
    HEADER_DEAD_LETTER_REASON,
    HEADER_DEAD_LETTER_SOURCE,
    topic_for,
)
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings
from xlapulse.collectors.gateway.dedup import RecentIds
from xlapulse.collectors.gateway.metrics import GatewayMetrics

log = logging.getLogger(__name__)
MAX_REASON_BYTES = 1000


class KafkaUnavailable(Exception):
    """Kafka did not acknowledge in time; retry after ``retry_after_s`` (HTTP 503)."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"Kafka unavailable, retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


class GatewayProducer(EventProducer):
    """The shared event producer, plus dead letters with the contract's headers."""

    def send_dead_letter(self, source: str, reason: str, value: bytes) -> FutureRecordMetadata:
        return self._producer.send(
            DEAD_LETTER_TOPIC,
            key=source.encode(),
            value=value,
            headers=[
                (HEADER_DEAD_LETTER_REASON, reason.encode()[:MAX_REASON_BYTES]),
                (HEADER_DEAD_LETTER_SOURCE, f"gateway:{source}".encode()),
            ],
        )


def producer_settings(bootstrap: str, linger_ms: int) -> ProducerSettings:
    """Producer tuning for the gateway: short linger (latency) and short blocking."""
    return ProducerSettings(
        bootstrap_servers=bootstrap,
        linger_ms=linger_ms,
        request_timeout_ms=3_000,
        max_block_ms=2_000,
        client_id="xlapulse-gateway",
    )


@dataclass(frozen=True)
class Delivered:
    """What one delivery stored: acknowledged ids, and how many were known duplicates."""

    stored: list[uuid.UUID]
    duplicates: int


class AsyncDelivery:
    """Sends events and waits for Kafka's acknowledgement without blocking the loop."""

    def __init__(
        self,
        producer: GatewayProducer,
        metrics: GatewayMetrics,
        recent: RecentIds,
        ack_timeout_s: float,
        retry_after_s: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._producer = producer
        self._metrics = metrics
        self._recent = recent
        self._ack_timeout_s = ack_timeout_s
        self._retry_after_s = retry_after_s
        self._clock = clock
        self._open_until = 0.0
        self._warm_topics: set[str] = set()

    @property
    def circuit_open(self) -> bool:
        return self._clock() < self._open_until

    def retry_after_s(self) -> int:
        """Seconds a client should wait (whole seconds, at least 1)."""
        return max(1, math.ceil(self._open_until - self._clock()))

    async def deliver(self, events: Sequence[EventBase]) -> Delivered:
        """Store the events not stored recently; raise :class:`KafkaUnavailable` without an ack."""
        fresh = [event for event in events if event.event_id not in self._recent]
        if not fresh:
            return Delivered([], len(events))
        self._refuse_while_open()
        acks = [await self._send_event(event) for event in fresh]
        await self._await_acks(acks, topic_for(fresh[0]))
        return Delivered([event.event_id for event in fresh], len(events) - len(fresh))

    async def deliver_dead_letter(self, source: str, reason: str, value: bytes) -> None:
        """Store a rejected payload on the dead-letter topic, or raise :class:`KafkaUnavailable`."""
        self._refuse_while_open()
        loop = asyncio.get_running_loop()
        try:
            future = await loop.run_in_executor(
                None, self._producer.send_dead_letter, source, reason, value
            )
        except KafkaError as error:
            self._trip(DEAD_LETTER_TOPIC, error)
        await self._await_acks([_bridge(loop, future, lambda _metadata: None)], DEAD_LETTER_TOPIC)

    def _refuse_while_open(self) -> None:
        if self.circuit_open:
            raise KafkaUnavailable(self.retry_after_s())

    async def _send_event(self, event: EventBase) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        topic = topic_for(event)
        try:
            if topic in self._warm_topics:
                future = self._producer.send(event)
            else:  # the first send of a topic may block on metadata: not on the loop
                future = await loop.run_in_executor(None, self._producer.send, event)
                self._warm_topics.add(topic)
        except KafkaError as error:
            self._trip(topic, error)
        return _bridge(loop, future, lambda _metadata: self._acknowledged(topic, event.event_id))

    def _acknowledged(self, topic: str, event_id: uuid.UUID) -> None:
        self._recent.add(event_id)
        self._metrics.events.labels(topic).inc()

    async def _await_acks(self, acks: list[asyncio.Future[Any]], topic: str) -> None:
        gathered = asyncio.gather(*acks, return_exceptions=True)
        try:
            outcomes = await asyncio.wait_for(gathered, self._ack_timeout_s)
        except TimeoutError as error:
            self._trip(topic, error)
        errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if errors:
            self._trip(topic, errors[0])

    def _trip(self, topic: str, error: BaseException) -> None:
        self._metrics.kafka_send_errors.labels(topic).inc()
        self._open_until = self._clock() + self._retry_after_s
        log.warning(
            "Kafka send to %s failed (%s); refusing requests for %d s",
            topic,
            type(error).__name__,
            self._retry_after_s,
        )
        raise KafkaUnavailable(self._retry_after_s) from None


def _bridge(
    loop: asyncio.AbstractEventLoop,
    kafka_future: FutureRecordMetadata,
    on_ack: Callable[[Any], None],
) -> asyncio.Future[Any]:
    """An asyncio future that completes when ``kafka_future`` does (any thread)."""
    result: asyncio.Future[Any] = loop.create_future()

    def succeed(metadata: Any) -> None:
        on_ack(metadata)  # also after a timeout: the record *is* stored
        if not result.done():
            result.set_result(metadata)

    def fail(error: BaseException) -> None:
        if not result.done():
            result.set_exception(error)

    kafka_future.add_callback(lambda metadata: loop.call_soon_threadsafe(succeed, metadata))
    kafka_future.add_errback(lambda error: loop.call_soon_threadsafe(fail, error))
    return result
