"""Await Kafka's acknowledgement of contract events from asyncio, with a circuit breaker.

Reads: the contract events and dead letters of a request, and Kafka's acknowledgements
(counted by ``acks.py``). Writes: each event to its contract topic and dead letters to
``xlapulse.deadletter.v1`` through the :class:`GatewayProducer` (``producer.py``);
acknowledged ids to ``dedup.RecentIds``; counts to :class:`GatewayMetrics`.

A send that fails or is not acknowledged within ``ack_timeout_s`` (plus at most
``DEADLINE_SLOT_S``: :class:`AckDeadlines` shares one timer among the requests that
started in the same tenth of a second) opens the circuit for ``retry_after_s``: meanwhile
every request gets 503 at once without queueing more records. Ids are remembered
(``dedup.RecentIds``) only once Kafka acknowledged them, also when the acknowledgement
comes after a timeout.

Until a producer is attached (Kafka unreachable at start-up, see
``connect.connect_when_reachable``) every delivery raises :class:`KafkaUnavailable`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import NoReturn

from kafka.errors import KafkaError
from kafka.producer.future import FutureRecordMetadata

from xlapulse.collectors.contract.events import EventBase
from xlapulse.collectors.contract.topics import DEAD_LETTER_TOPIC
from xlapulse.collectors.gateway.acks import (
    AckDeadlines,
    AckQueue,
    Delivered,
    _EventAck,
    _RecordAck,
    _RequestAcks,
)
from xlapulse.collectors.gateway.dedup import RecentIds
from xlapulse.collectors.gateway.metrics import GatewayMetrics
from xlapulse.collectors.gateway.producer import GatewayProducer, KafkaUnavailable

log = logging.getLogger(__name__)
DEADLINE_SLOT_S = 0.1  # requests starting within one slot share an expiry timer


class AsyncDelivery:
    """Sends events and waits for Kafka's acknowledgement without blocking the loop."""

    def __init__(
        self,
        producer: GatewayProducer | None,
        metrics: GatewayMetrics,
        recent: RecentIds,
        ack_timeout_s: float,
        retry_after_s: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.producer = producer
        self._metrics = metrics
        self._recent = recent
        self._ack_timeout_s = ack_timeout_s
        self._retry_after_s = retry_after_s
        self._clock = clock
        self._open_until = 0.0
        self._warm_topics: set[str] = set()
        self._helpers: tuple[AckQueue, AckDeadlines] | None = None  # made on the loop
        # Records sent and not yet settled, by event id (UUID.int: a UUID hashes in
        # Python), so a second delivery that arrives meanwhile waits for the first one's
        # outcome instead of writing the event again.
        self._in_flight: dict[int, _EventAck] = {}

    def attach(self, producer: GatewayProducer) -> None:
        """Start delivering through ``producer`` (Kafka became reachable)."""
        self.producer = producer

    @property
    def connected(self) -> bool:
        return self.producer is not None

    @property
    def circuit_open(self) -> bool:
        return self._clock() < self._open_until

    def retry_after_s(self) -> int:
        """Seconds a client should wait (whole seconds, at least 1)."""
        return max(1, math.ceil(self._open_until - self._clock()))

    async def deliver(self, events: Sequence[EventBase]) -> Delivered:
        """Store the events not stored recently; raise :class:`KafkaUnavailable` without an ack.

        An event another request is still sending is not sent again: this request waits
        for that outcome and counts it as a duplicate (a vendor's retry that overtook the
        first delivery's acknowledgement).
        """
        fresh: dict[int, EventBase] = {}
        twins: list[_EventAck] = []
        for event in events:
            key = event.event_id.int
            if key in fresh or event.event_id in self._recent:
                continue
            twin = self._in_flight.get(key)
            if twin is not None:
                twins.append(twin)
            else:
                fresh[key] = event
        if fresh:
            await self._send_own(list(fresh.values()))
        if twins:
            await self._await_twins(twins)
        return Delivered([event.event_id for event in fresh.values()], len(events) - len(fresh))

    async def _send_own(self, fresh: list[EventBase]) -> None:
        producer = self._producer_or_refuse()
        loop = asyncio.get_running_loop()
        acks, deadlines = self._loop_helpers(loop)
        request = _RequestAcks(loop, len(fresh))
        records = [_EventAck(acks, request, event, self._acknowledged) for event in fresh]
        for record in records:
            self._in_flight[record.event.event_id.int] = record
        try:
            for record in records:
                if record.topic in self._warm_topics:
                    future = producer.send(record.event)
                else:
                    future = await self._first_send(loop, producer, record)
                future.add_callback(record.stored)
                future.add_errback(record.failed)
            deadlines.watch(request)
            await request.done
        except (KafkaError, TimeoutError) as error:
            request.done.cancel()  # records already queued still count once stored
            self._trip([record.topic for record in records if not record.acknowledged], error)
        finally:
            for record in records:
                del self._in_flight[record.event.event_id.int]
                record.give_up()

    async def _await_twins(self, twins: list[_EventAck]) -> None:
        """Until each twin's record is stored, or its request ended without it (that request
        has its own deadline, so this one needs none)."""
        loop = asyncio.get_running_loop()
        waiters = [twin.waiter(loop) for twin in twins]
        done, _pending = await asyncio.wait(waiters)
        if any(waiter.cancelled() for waiter in done):
            raise KafkaUnavailable(self.retry_after_s())

    async def deliver_dead_letter(self, source: str, reason: str, value: bytes) -> None:
        """Store a rejected payload on the dead-letter topic, or raise :class:`KafkaUnavailable`."""
        producer = self._producer_or_refuse()
        loop = asyncio.get_running_loop()
        acks, deadlines = self._loop_helpers(loop)
        request = _RequestAcks(loop, 1)
        record = _RecordAck(acks, request, DEAD_LETTER_TOPIC)
        try:
            future = await loop.run_in_executor(
                None, producer.send_dead_letter, source, reason, value
            )
            future.add_callback(record.stored)
            future.add_errback(record.failed)
            deadlines.watch(request)
            await request.done
        except (KafkaError, TimeoutError) as error:
            self._trip([DEAD_LETTER_TOPIC], error)

    def _producer_or_refuse(self) -> GatewayProducer:
        if self.producer is None:
            raise KafkaUnavailable(self._retry_after_s)
        if self.circuit_open:
            raise KafkaUnavailable(self.retry_after_s())
        return self.producer

    def _loop_helpers(self, loop: asyncio.AbstractEventLoop) -> tuple[AckQueue, AckDeadlines]:
        if self._helpers is None:
            deadlines = AckDeadlines(loop, self._ack_timeout_s, DEADLINE_SLOT_S)
            self._helpers = (AckQueue(loop), deadlines)
        return self._helpers

    async def _first_send(
        self, loop: asyncio.AbstractEventLoop, producer: GatewayProducer, record: _EventAck
    ) -> FutureRecordMetadata:
        """The first send of a topic may block on its metadata: not on the loop."""
        future = await loop.run_in_executor(None, producer.send, record.event)
        self._warm_topics.add(record.topic)
        return future

    def _acknowledged(self, record: _EventAck) -> None:
        self._recent.add(record.event.event_id)
        self._metrics.count_event(record.topic)

    def _trip(self, topics: list[str], error: BaseException) -> NoReturn:
        """Count each record not acknowledged under its topic, open the circuit, refuse."""
        for topic in topics:
            self._metrics.kafka_send_errors.labels(topic).inc()
        self._open_until = self._clock() + self._retry_after_s
        log.warning(
            "Kafka send to %s failed (%s); refusing requests for %d s",
            ", ".join(sorted(set(topics))),
            type(error).__name__,
            self._retry_after_s,
        )
        raise KafkaUnavailable(self._retry_after_s) from None
