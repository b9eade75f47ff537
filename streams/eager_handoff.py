"""Handing each fetched record to the agents' queues without four asyncio tasks.

Faust's consumer hands every record it fetched to the streams with
``await self.wait_first(callback(message), self.suspend_flow.wait())``
(``faust/transport/consumer.py``, ``_drain_messages``): the hand-over races a rebalance's
suspension of the flow and the service's stop. mode's ``Service.wait_first`` makes four
tasks per call (the hand-over, the suspension, "stopped", "crashed"), waits for the first
and cancels the other three: 38-40 us per record on this machine, against 0.1 us for the
hand-over itself when it does not wait; about a third of Faust's whole per-record floor
(124 us with an empty agent, ``tests/benchmarks/faust_floor.py``).

Most hand-overs finish without ever waiting: the record is decoded and put into queues
with room. :class:`EagerHandoff` therefore first steps the hand-over once, in place; if it
finished, nothing was raced and no task was made. Only a hand-over that must wait (a full
queue, flow control, a producer over its buffer) is raced as before, by mode's own
``wait_first``, with the rest of the same coroutine (:func:`_rest_of`). When the flow is
already suspended, the service stopping or crashed, or the call is any other, mode's
``wait_first`` runs unchanged.

Reads and writes nothing; mixed into the worker's consumer (``rebalance_consumer.py``).
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Coroutine, Generator
from typing import Any

from mode.services import WaitArgT, WaitResults
from mode.utils.locks import Event


class EagerHandoff:
    """A Faust consumer whose per-record ``wait_first`` runs the hand-over in place when it
    does not have to wait (see the module docstring)."""

    suspend_flow: asyncio.Event
    _stopped: Event
    _crashed: Event

    async def wait_first(self, *coros: WaitArgT, timeout: Any = None) -> WaitResults:
        if timeout is not None or len(coros) != 2 or not asyncio.iscoroutine(coros[0]):
            return await super().wait_first(*coros, timeout=timeout)  # type: ignore[misc]
        if self.suspend_flow.is_set() or self._stopped.is_set() or self._crashed.is_set():
            return await super().wait_first(*coros, timeout=timeout)  # type: ignore[misc]
        handoff, suspension = coros
        assert asyncio.iscoroutine(handoff)  # checked above; for the type checker
        try:
            awaiting = handoff.send(None)
        except StopIteration as finished:
            _close(suspension)
            return WaitResults([handoff], [finished.value], False)
        except BaseException:
            _close(suspension)
            raise
        return await super().wait_first(  # type: ignore[misc]
            _rest_of(handoff, awaiting), suspension
        )


def _close(awaitable: WaitArgT) -> None:
    """Close a coroutine that will never run (no "never awaited" warning)."""
    if asyncio.iscoroutine(awaitable):
        awaitable.close()


async def _rest_of(coroutine: Coroutine[Any, Any, Any], awaiting: Any) -> Any:
    """:func:`_continued` as a native coroutine, the kind mode's ``wait_first`` runs."""
    return await _continued(coroutine, awaiting)


@types.coroutine
def _continued(coroutine: Coroutine[Any, Any, Any], awaiting: Any) -> Generator[Any, Any, Any]:
    """The rest of ``coroutine``, stepped once already and now waiting on ``awaiting`` (what
    that step yielded). The task running this waits on it as it would have waited for the
    coroutine itself; each value sent and each exception thrown in (a cancellation) is
    passed on to the coroutine, and its result is this one's."""
    while True:
        try:
            sent = yield awaiting
        except GeneratorExit:
            coroutine.close()
            raise
        except BaseException as thrown:
            try:
                awaiting = coroutine.throw(thrown)
            except StopIteration as finished:
                return finished.value
            continue
        try:
            awaiting = coroutine.send(sent)
        except StopIteration as finished:
            return finished.value
