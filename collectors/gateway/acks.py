"""Per-record acknowledgement bookkeeping: Kafka's outcomes, counted per request.

Reads: the outcomes kafka-python reports on its sender thread (the callbacks and errbacks
of each record's future). Writes nothing to Kafka: :class:`AckQueue` hands the outcomes to
the event loop with one ``call_soon_threadsafe`` per burst, each request's
:class:`_RequestAcks` counts its records down and completes its ``done`` future,
:class:`AckDeadlines` expires the requests Kafka has not answered in time (one timer per
slot of request starts), and an event's :class:`_EventAck` reports it stored (for dedup
and metrics) and wakes a duplicate delivery waiting for it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from xlapulse.collectors.contract.events import EventBase
from xlapulse.collectors.contract.topics import topic_for


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
