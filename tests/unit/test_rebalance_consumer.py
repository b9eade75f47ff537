"""streams/rebalance_consumer.py: a fetch never widens to every partition, a stream
partition nobody committed is rewound to its beginning after a rebalance, and a
revocation does not wait for a record whose queued copies the rebalance dropped.

Test doubles stand in for the consumer thread and aiokafka (the two-worker SIGKILL test in
tests/faults runs the consumer against real Kafka)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any
from weakref import WeakSet

from aiokafka.structs import TopicPartition
from faust.types import Message
from mode.utils.queues import FlowControlQueue

from xlapulse.collectors.contract.topics import DIRECTORY_TOPIC, INPUT_TOPICS
from xlapulse.streams.app import build_app
from xlapulse.streams.directory_first import DirectoryFirstGate
from xlapulse.streams.rebalance_consumer import (
    DropCountingFlowControl,
    RebalanceSafeConsumer,
    RebalanceSafeTransport,
)
from xlapulse.streams.settings import EngineSettings

INPUT_0 = TopicPartition("xlapulse.telemetry.v1", 0)
INPUT_1 = TopicPartition("xlapulse.telemetry.v1", 1)
INPUT_2 = TopicPartition("xlapulse.telemetry.v1", 2)
CHANGELOG = TopicPartition("engine-user-state-changelog", 0)


class FetchingThread:
    """The consumer thread's fetch: the live set is emptied while the fetch waits, as
    Faust's table recovery does when it pauses partitions again. ``fetch_state`` is
    aiokafka's (position, high watermark) per partition; a partition without one is
    caught up."""

    def __init__(
        self,
        live: set[TopicPartition],
        fetch_state: dict[TopicPartition, tuple[int, int | None]] | None = None,
    ) -> None:
        self.live = live
        self.asked: list[Any] = []
        self.fetch_state = fetch_state or {}

    def _ensure_consumer(self) -> Any:
        def state_value(tp: TopicPartition) -> Any:
            position, highwater = self.fetch_state.get(tp, (7, 7))
            return SimpleNamespace(position=position, highwater=highwater, has_valid_position=True)

        assignment = SimpleNamespace(state_value=state_value)
        subscription = SimpleNamespace(subscription=SimpleNamespace(assignment=assignment))
        return SimpleNamespace(_subscription=subscription, _max_poll_records=None)

    async def call_thread(self, function: Callable[[], Awaitable[Any]]) -> Any:
        return await function()

    async def _fetch_records(
        self, consumer: Any, partitions: Any, timeout: float, max_records: int | None
    ) -> dict:
        self.live.clear()
        await asyncio.sleep(0)
        self.asked.append(partitions)
        return {tp: [f"record of {tp.topic}[{tp.partition}]"] for tp in partitions}


class SeekingThread:
    """The consumer thread running aiokafka's seeks; ``committed`` is what the group holds."""

    def __init__(self, committed: dict[TopicPartition, int | None]) -> None:
        self.committed = committed
        self.sought_to_beginning: list[TopicPartition] = []
        self.calls = 0

    def _ensure_consumer(self) -> Any:
        async def seek_to_committed() -> dict[TopicPartition, int | None]:
            return dict(self.committed)

        async def seek_to_beginning(*partitions: TopicPartition) -> None:
            self.sought_to_beginning.extend(partitions)

        return SimpleNamespace(
            seek_to_committed=seek_to_committed, seek_to_beginning=seek_to_beginning
        )

    async def call_thread(self, function: Callable[[], Awaitable[Any]]) -> Any:
        self.calls += 1
        return await function()


def consumer_with(thread: Any) -> RebalanceSafeConsumer:
    consumer = RebalanceSafeConsumer.__new__(RebalanceSafeConsumer)
    consumer._thread = thread
    consumer.directory_gate = DirectoryFirstGate(
        DIRECTORY_TOPIC, frozenset(INPUT_TOPICS) - {DIRECTORY_TOPIC}
    )
    consumer.app = SimpleNamespace(tables=SimpleNamespace(changelog_topics={CHANGELOG.topic}))
    return consumer


def test_a_fetch_asks_for_the_partitions_active_when_it_started() -> None:
    live = {INPUT_0, INPUT_1}
    thread = FetchingThread(live)
    records = asyncio.run(consumer_with(thread)._getmany(live, 1.0))
    assert thread.asked == [frozenset({INPUT_0, INPUT_1})]
    assert set(records) == {INPUT_0, INPUT_1}


def test_an_input_partition_waits_while_the_directory_partition_of_its_number_is_behind() -> None:
    directory_0 = TopicPartition(DIRECTORY_TOPIC, 0)
    directory_1 = TopicPartition(DIRECTORY_TOPIC, 1)
    live = {INPUT_0, INPUT_1, directory_0, directory_1, CHANGELOG}
    # directory partition 0 has records up to offset 120 not handed over; 1 is caught up
    thread = FetchingThread(live, {directory_0: (40, 120), directory_1: (9, 9)})
    asyncio.run(consumer_with(thread)._getmany(live, 1.0))
    assert thread.asked == [{INPUT_1, directory_0, directory_1, CHANGELOG}]


def test_a_directory_partition_without_a_fetch_response_yet_counts_as_behind() -> None:
    directory_0 = TopicPartition(DIRECTORY_TOPIC, 0)
    thread = FetchingThread({INPUT_0, directory_0}, {directory_0: (0, None)})
    asyncio.run(consumer_with(thread)._getmany({INPUT_0, directory_0}, 1.0))
    assert thread.asked == [{directory_0}]


def test_no_active_partition_fetches_nothing_instead_of_everything() -> None:
    thread = FetchingThread(set())
    assert asyncio.run(consumer_with(thread)._getmany(set(), 1.0)) == {}
    assert thread.asked == []


def test_stream_partitions_without_a_committed_offset_are_read_from_their_beginning() -> None:
    committed = {INPUT_0: None, INPUT_1: 0, INPUT_2: 1102, CHANGELOG: None}
    thread = SeekingThread(committed)
    found = asyncio.run(consumer_with(thread).seek_to_committed())
    assert found == committed
    assert sorted(thread.sought_to_beginning) == [INPUT_0, INPUT_1]
    assert thread.calls == 1, "both seeks in one call of the consumer thread"


def test_every_partition_committed_means_no_extra_seek() -> None:
    thread = SeekingThread({INPUT_0: 5, INPUT_1: 17})
    asyncio.run(consumer_with(thread).seek_to_committed())
    assert thread.sought_to_beginning == []


def test_the_engine_app_uses_the_rebalance_safe_consumer() -> None:
    app = build_app(EngineSettings())
    assert isinstance(app.transport, RebalanceSafeTransport)
    assert isinstance(app.consumer, RebalanceSafeConsumer)


def observation_record(offset: int) -> Message:
    """An observation record delivered to both of its readers (refcount 2), as Faust's
    conductor does for a topic two agents read."""
    message = Message("engine-observations", 0, offset, 0.0, 0, None, b"k", b"v", None)
    message.incref(2)
    return message


def test_a_clear_counts_the_record_copies_it_drops() -> None:
    async def scenario() -> tuple[int, int, int]:
        flow_control = DropCountingFlowControl(initially_suspended=False)
        cells_queue: FlowControlQueue = FlowControlQueue(
            maxsize=10, flow_control=flow_control, clear_on_resume=True
        )
        dips_queue: FlowControlQueue = FlowControlQueue(
            maxsize=10, flow_control=flow_control, clear_on_resume=True
        )
        taken, queued = observation_record(7), observation_record(8)
        dips_queue.put_nowait(SimpleNamespace(message=taken))
        cells_queue.put_nowait(SimpleNamespace(message=queued))
        dips_queue.put_nowait(SimpleNamespace(message=queued))
        flow_control.clear()
        return (
            flow_control.dropped.get(taken, 0),
            flow_control.dropped.get(queued, 0),
            cells_queue.qsize() + dips_queue.qsize(),
        )

    assert asyncio.run(scenario()) == (1, 2, 0)


def test_the_revocation_stops_waiting_only_for_records_nobody_holds() -> None:
    finished_by_cells = observation_record(215)  # cells released its copy; dips' dropped
    finished_by_cells.decref()
    still_in_cells = observation_record(216)  # cells still working on it; dips' dropped
    acknowledged = observation_record(217)
    acknowledged.ack(SimpleNamespace(ack=lambda message: True), n=2)
    acknowledged.acked = True
    in_progress = observation_record(218)  # nothing dropped: both readers hold it
    dropped = {finished_by_cells: 1, still_in_cells: 1}
    consumer = consumer_with(None)
    consumer.app = SimpleNamespace(flow_control=SimpleNamespace(dropped=dropped))
    consumer._unacked_messages = WeakSet(
        [finished_by_cells, still_in_cells, acknowledged, in_progress]
    )
    consumer._clean_unacked_messages()
    assert set(consumer._unacked_messages) == {still_in_cells, in_progress}
    assert not finished_by_cells.acked, "left unacknowledged: its offset is not committed"
