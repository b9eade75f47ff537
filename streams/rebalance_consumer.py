"""The engine's Kafka consumer: Faust's aiokafka consumer without its two record losses
around a rebalance (issue 17, the two-worker SIGKILL fault).

Reads and writes nothing itself; it changes how the worker's consumer fetches and where
it resumes a partition after a rebalance. Measured with the two-worker fault test (real
Kafka 4.1.1, faust-streaming 0.15.3, aiokafka 0.14.0), two defects lost records for good
while the worker looked healthy (consumer lag 0, ``/ready`` 200):

* **Fetching with a set that empties meanwhile.** Faust hands its *live* set of active
  partitions to aiokafka's ``fetched_records``, which waits for data in the consumer
  thread. During table recovery Faust pauses the partitions it had resumed, so the set
  can become empty while aiokafka waits, and aiokafka reads an empty set as "every
  assigned partition": it returns (and moves its position past) records of paused stream
  partitions, which Faust then drops because they are not active. The worker's log
  showed input, device-signal and observation records fetched with ``active=False``.
  Here a fetch gets a frozen copy of the set, and an empty set fetches nothing.
* **No rewind for a partition nobody committed yet.** Faust's safety net for records it
  dropped during a rebalance is "seek stream partitions to committed offsets" after
  recovery. aiokafka's ``seek_to_committed`` skips a partition whose committed offset is
  None or 0 (``if offset and offset > 0``; aio-libs/aiokafka#1003), so such a partition
  keeps the position past the dropped records: never delivered, later committed over.
  A killed worker's partitions are often uncommitted (offsets are committed every few
  seconds), which is why the survivor lost them. Here those stream partitions are sought
  to their beginning, as ``auto_offset_reset=earliest`` does for a new consumer.

Before each fetch, :class:`~.directory_first.DirectoryFirstGate` holds back the input
partitions whose directory partition has records not yet handed over, so that in a
backlog a user's assignment reaches the agent before their events (``directory_first.py``
says why).

Once that was fixed, a third defect hung the survivor in 2 of 20 runs: its revocation
(Faust's ``wait_empty``) waited for ever, logging ``wait_empty: Waiting for tasks`` with
observation records. ``<engine id>-observations`` has two readers (``aggregate_cells``
and the dips' ``bucket_minutes``), so each record is referenced twice. At a rebalance
Faust clears the stream queues (``flow_control.clear()``): a copy still queued for one
reader is dropped without a release, while the other reader already took and finished
its copy, so the record is never acknowledged and stays "in progress" for ever. Here the
flow control counts the copies it drops (:class:`DropCountingFlowControl`), and the wait
stops waiting for a record whose every outstanding copy was dropped. Such a record stays
unacknowledged, so its offset is not committed and the partition's next owner reads it
again (at least once).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Set
from typing import Any, ClassVar
from weakref import WeakKeyDictionary

from aiokafka.structs import TopicPartition
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP, Message
from mode.utils.queues import FlowControlEvent

from xlapulse.collectors.contract.topics import DIRECTORY_TOPIC, INPUT_TOPICS
from xlapulse.streams.directory_first import DirectoryFirstGate

log = logging.getLogger(__name__)


class DropCountingFlowControl(FlowControlEvent):
    """Faust's flow control of the stream queues, counting the record copies a clear
    drops (per record, weakly: a record nobody holds any more is forgotten)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dropped: WeakKeyDictionary[Message, int] = WeakKeyDictionary()

    def clear(self) -> None:
        for queue in self._queues:
            for item in list(queue._queue):  # type: ignore[attr-defined]
                message = getattr(item, "message", None)
                if isinstance(message, Message):
                    self.dropped[message] = self.dropped.get(message, 0) + 1
            queue.clear()


class RebalanceSafeConsumer(aiokafka_driver.Consumer):
    """Faust's aiokafka consumer with a stable fetch set, the directory first, a complete
    rewind and a revocation that does not wait for records nobody holds."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.directory_gate = DirectoryFirstGate(
            DIRECTORY_TOPIC, frozenset(INPUT_TOPICS) - {DIRECTORY_TOPIC}
        )

    async def _getmany(self, active_partitions: Set[TP] | None, timeout: float) -> Any:
        """Fetch only from the partitions active now, never "all" by accident, and not
        from an input partition whose directory partition is behind."""
        if active_partitions is None:
            return await super()._getmany(None, timeout)
        requested = set(active_partitions)
        if not requested:
            return {}
        thread = self._thread
        consumer = thread._ensure_consumer()

        def behind(tp: TP) -> bool:
            """Whether the consumer has records of ``tp`` up to the last fetch response's
            high watermark that it has not handed over (or no response yet)."""
            state = consumer._subscription.subscription.assignment.state_value(tp)
            if state is None or state.highwater is None or not state.has_valid_position:
                return True
            return bool(state.position < state.highwater)

        async def fetch() -> Any:
            # in the consumer's thread, where its fetch state changes
            admitted = self.directory_gate.admit(requested, behind, time.monotonic())
            return await thread._fetch_records(
                consumer, admitted, timeout=timeout, max_records=consumer._max_poll_records
            )

        return await thread.call_thread(fetch)

    async def seek_to_committed(self) -> Mapping[TP, int]:
        """Seek every assigned partition to its committed offset; a stream partition
        without one (None or 0) to its first offset. One call in the consumer thread, so
        no fetch runs between the two seeks."""
        consumer = self._thread._ensure_consumer()
        changelogs = frozenset(self.app.tables.changelog_topics)

        async def seek() -> tuple[Mapping[TP, int], list[TopicPartition]]:
            committed = await consumer.seek_to_committed()
            uncommitted = [
                tp for tp, offset in committed.items() if not offset and tp.topic not in changelogs
            ]
            if uncommitted:
                await consumer.seek_to_beginning(*uncommitted)
            return committed, uncommitted

        committed, uncommitted = await self._thread.call_thread(seek)
        if uncommitted:
            log.info(
                "no committed offset, reading from the beginning: %s",
                ", ".join(sorted(f"{tp.topic}[{tp.partition}]" for tp in uncommitted)),
            )
        return committed

    def _clean_unacked_messages(self) -> None:
        """Forget acknowledged records, and records whose every outstanding copy the flow
        control dropped (left unacknowledged: redelivered, never committed)."""
        dropped = getattr(self.app.flow_control, "dropped", {})
        released = {
            message
            for message in self._unacked_messages
            if not message.acked and message.refcount <= dropped.get(message, 0)
        }
        if released:
            log.info(
                "not waiting for %d records the rebalance dropped (redelivered): %s",
                len(released),
                ", ".join(sorted({f"{m.topic}[{m.partition}]" for m in released})),
            )
        self._unacked_messages -= released | {m for m in self._unacked_messages if m.acked}


class RebalanceSafeTransport(aiokafka_driver.Transport):
    """The aiokafka transport with :class:`RebalanceSafeConsumer`."""

    Consumer: ClassVar[type[Any]] = RebalanceSafeConsumer
