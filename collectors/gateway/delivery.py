"""Await Kafka's acknowledgement of contract events from asyncio, with a circuit breaker.

Writes: each event to its contract topic through kafka-python (``acks=all``, idempotent;
the shared :class:`EventProducer`), and dead letters to ``xlapulse.deadletter.v1``.

kafka-python completes its futures on its own sender thread, a whole batch at a time;
:class:`AckQueue` collects those outcomes and hands them to the event loop with one
``call_soon_threadsafe`` per burst, where each request's :class:`_RequestAcks` counts
its records down. A send that fails or is not acknowledged within ``ack_timeout_s`` (plus
at most ``DEADLINE_SLOT_S``: :class:`AckDeadlines` shares one timer among the requests
that started in the same tenth of a second) opens the circuit for ``retry_after_s``:
meanwhile every request gets 503 at once without queueing more records. Ids are
remembered (``dedup.RecentIds``) only once Kafka acknowledged them, also when the
acknowledgement comes after a timeout.

Until a producer is attached (Kafka unreachable at start-up, see
:func:`connect_when_reachable`) every delivery raises :class:`KafkaUnavailable`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from kafka.errors import KafkaError
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
from xlapulse.collectors.gateway.dedup import RecentIds
from xlapulse.collectors.gateway.metrics import GatewayMetrics

log = logging.getLogger(__name__)
MAX_REASON_BYTES = 1000  # the dead-letter reason header (the text is capped in app.py)
PROBE_TIMEOUT_S = 1.0  # a TCP connection to a bootstrap server, before building a producer
DEADLINE_SLOT_S = 0.1  # requests starting within one slot share an expiry timer


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


@dataclass(frozen=True)
class Delivered:
    """What one delivery stored: acknowledged ids, and how many were known duplicates."""

    stored: list[uuid.UUID]
    duplicates: int


class AckQueue:
    """Kafka outcomes, moved from kafka-python's sender thread to the event loop in bursts.

    ``put`` may run on any thread; the drain runs on the loop. One wake-up of the loop is
    scheduled per burst, not per record (the flag is reset before draining, so an
    outcome put during a drain schedules the next one).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._outcomes: deque[tuple[_RecordAck, BaseException | None]] = deque()
        self._scheduled = False

    def put(self, ack: _RecordAck, error: BaseException | None) -> None:
        self._outcomes.append((ack, error))
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        self._scheduled = False
        outcomes = self._outcomes
        while outcomes:
            ack, error = outcomes.popleft()
            ack.settle(error)


class AckDeadlines:
    """Expires requests Kafka has not answered within ``timeout_s`` of their start.

    One timer per ``slot_s`` of request starts, not one per request (a timer costs as
    much as the rest of a request's bookkeeping): a request expires between ``timeout_s``
    and ``timeout_s + slot_s`` after it started. A request already settled is left alone.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout_s: float, slot_s: float) -> None:
        self._loop, self._timeout_s, self._slot_s = loop, timeout_s, slot_s
        self._slots: dict[int, list[_RequestAcks]] = {}

    def watch(self, request: _RequestAcks) -> None:
        slot = int(self._loop.time() // self._slot_s)
        requests = self._slots.get(slot)
        if requests is None:
            requests = self._slots[slot] = []
            expiry = (slot + 1) * self._slot_s + self._timeout_s
            self._loop.call_at(expiry, self._expire, slot)
        requests.append(request)

    def _expire(self, slot: int) -> None:
        for request in self._slots.pop(slot):
            request.expire()


class _RequestAcks:
    """Completes ``done`` when Kafka acknowledged all ``count`` records of one request."""

    __slots__ = ("_outstanding", "done")

    def __init__(self, loop: asyncio.AbstractEventLoop, count: int) -> None:
        self.done: asyncio.Future[None] = loop.create_future()
        self._outstanding = count

    def record_settled(self, error: BaseException | None) -> None:
        if self.done.done():
            return
        if error is not None:
            self.done.set_exception(error)
            return
        self._outstanding -= 1
        if not self._outstanding:
            self.done.set_result(None)

    def expire(self) -> None:
        if not self.done.done():
            self.done.set_exception(TimeoutError())


class _RecordAck:
    """One record's outcome, counted for its request (a dead letter's; events use
    :class:`_EventAck`)."""

    __slots__ = ("_queue", "_request", "acknowledged", "topic")

    def __init__(self, queue: AckQueue, request: _RequestAcks, topic: str) -> None:
        self._queue, self._request, self.topic = queue, request, topic
        self.acknowledged = False

    def stored(self, _metadata: Any) -> None:  # sender thread
        self._queue.put(self, None)

    def failed(self, error: BaseException) -> None:  # sender thread
        self._queue.put(self, error)

    def settle(self, error: BaseException | None) -> None:  # event loop
        if error is None:
            self.acknowledged = True
            self._on_stored()  # also after a timeout: the record *is* stored
        self._request.record_settled(error)

    def _on_stored(self) -> None:
        """Nothing more for a dead letter."""


class _EventAck(_RecordAck):
    """An event's record: once stored, it counts for dedup and metrics (``on_stored``) and
    tells a duplicate delivery waiting for it (``waiter``, made only when one arrives)."""

    __slots__ = ("_on_stored_event", "_waiter", "event")

    def __init__(
        self,
        queue: AckQueue,
        request: _RequestAcks,
        event: EventBase,
        on_stored: Callable[[_EventAck], None],
    ) -> None:
        super().__init__(queue, request, topic_for(event))
        self.event, self._on_stored_event = event, on_stored
        self._waiter: asyncio.Future[None] | None = None

    def _on_stored(self) -> None:
        self._on_stored_event(self)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def waiter(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[None]:
        """Resolved once the record is stored; cancelled by :meth:`give_up` if it is not."""
        if self._waiter is None:
            self._waiter = loop.create_future()
            if self.acknowledged:
                self._waiter.set_result(None)
        return self._waiter

    def give_up(self) -> None:
        """The sending request ended (answered, or 503) without this record stored."""
        if self._waiter is not None and not self._waiter.done():
            self._waiter.cancel()


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


async def connect_when_reachable(
    delivery: AsyncDelivery,
    connect: Callable[[], GatewayProducer],
    bootstrap: str,
    pause_s: float,
) -> None:
    """Build the producer (in a worker thread) once Kafka answers, then attach it.

    A TCP connection to a bootstrap server is tried every ``pause_s`` first: kafka-python's
    constructor would otherwise wait up to 30 s per attempt, with back-off growing to
    tens of seconds, which delays both recovery and shutdown.
    """
    loop = asyncio.get_running_loop()
    said_unreachable = False
    while True:
        if await bootstrap_reachable(bootstrap, PROBE_TIMEOUT_S):
            try:
                producer = await loop.run_in_executor(None, connect)
            except KafkaError as error:
                log.warning("Kafka at %s did not bootstrap (%s)", bootstrap, type(error).__name__)
            else:
                delivery.attach(producer)
                log.info("connected to Kafka at %s", bootstrap)
                return
        elif not said_unreachable:
            log.warning("Kafka at %s not reachable; answering 503 until it is", bootstrap)
            said_unreachable = True
        await asyncio.sleep(pause_s)


async def bootstrap_reachable(bootstrap: str, timeout_s: float) -> bool:
    """Whether one of the comma-separated ``host:port`` servers accepts a TCP connection."""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            _reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, int(port)), timeout_s
            )
        except (OSError, TimeoutError):
            continue
        writer.close()
        return True
    return False
