"""Faust agents under ``agent.test_context()``: thin wrappers over the pure pipeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import faust
import pytest
from faust.types import TP

from xlapulse.collectors.contract.codec import encode_event
from xlapulse.collectors.contract.events import DirectoryAssignmentEvent, VpnSessionEvent
from xlapulse.collectors.contract.topics import topic_for
from xlapulse.collectors.settings import XlapulseSettings
from xlapulse.streams.app import PartitionSweeper, build_app, partition_of
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.observations import SampleObservation
from xlapulse.streams.scoring.personas import DEFAULT_PERSONAS

USER = "u_" + "c" * 32
DEVICE = "d_" + "d" * 32


class RecordingSink:
    """Test double for the InfluxDB sink: keeps the points it is given."""

    def __init__(self) -> None:
        self.batches: list[list] = []

    async def write(self, points) -> None:
        self.batches.append(list(points))

    async def stop(self) -> None:
        return None


def put_on_topic(context, event):
    """Put an event as if read from its contract topic (the test context cannot name one
    for a multi-topic agent)."""
    original = context.to_message

    def to_message(key, value, **options):
        message = original(key, value, **options)
        message.topic = topic_for(event)
        message.tp = TP(message.topic, message.partition)
        return message

    context.to_message = to_message
    return context.put(encode_event(event), key=event.user_id.encode())


@pytest.fixture()
def app(tmp_path):
    settings = XlapulseSettings(engine_data_dir=str(tmp_path), topic_partitions=1)
    sink = RecordingSink()
    app = build_app(settings, sink=sink)
    app.recording_sink = sink
    app.finalize()
    app.conf.store = "memory://"
    app.flow_control.resume()
    return app


async def test_user_agent_keeps_state_and_emits_observations(app, monkeypatch) -> None:
    sent: list[tuple[str, dict]] = []

    async def record_send(topic, key=None, value=None, **options):
        sent.append((topic.get_topic_name(), json.loads(value)))

    monkeypatch.setattr(faust.topics.Topic, "send", record_send)
    agent = app.agents["xlapulse.streams.app.follow_users"]
    table = app.tables["user-state"]
    now = datetime.now(UTC)
    assignment = DirectoryAssignmentEvent(
        event_time=now - timedelta(minutes=5),
        user_id=USER,
        persona="field_worker",
        site="utrecht",
        department="sales",
    )
    drop = VpnSessionEvent(event_time=now, user_id=USER, device_id=DEVICE, state="dropped")
    async with agent.test_context() as context:
        await put_on_topic(context, assignment)
        await put_on_topic(context, drop)
        await put_on_topic(context, drop)  # a duplicate delivery
    state = table[USER]
    assert (state["persona"], state["site"]) == ("field_worker", "utrecht")
    assert state["vpn_down_since_ms"] is not None
    assert len(state["seen_event_ids"]) == 2
    observations = [value for topic, value in sent if topic == "xlapulse-engine-observations"]
    assert [o["kind"] for o in observations] == ["sample", "journey"], "the duplicate sent nothing"
    assert observations[0]["band"] == "frustrating"


def logon_sample(n: int, persona: str, site: str, time_ms: int) -> SampleObservation:
    """User n's logon at ``time_ms``: good for odd n, tolerating for even n."""
    return SampleObservation(
        event_id=f"00000000-0000-4000-8000-{n:012d}",
        user_id=f"u_{n:032x}",
        persona=persona,
        site=site,
        event_time_ms=time_ms,
        touch_point="logon",
        band=Band.GOOD if n % 2 else Band.TOLERATING,
        time_lost_ms=0,
        measured_ms=20_000,
    )


async def test_aggregate_agent_writes_a_published_cell_once(app) -> None:
    agent = app.agents["xlapulse.streams.app.aggregate_cells"]
    sink = app.recording_sink
    observations = [
        logon_sample(n, "developer", "utrecht", 1_795_420_800_000 + n * 1000) for n in range(5)
    ]
    async with agent.test_context() as context:
        for observation in [*observations, observations[0]]:  # the last one is a replay
            await context.put(json.dumps(observation.to_dict()).encode(), key=b"developer|utrecht")
    lines = {point.to_line_protocol() for batch in sink.batches for point in batch}
    logon_hourly = [line for line in lines if "window=1h" in line and "touch_point=logon" in line]
    assert logon_hourly and all("samples=5i" in line for line in logon_hourly)
    assert not any("samples=6i" in line for line in lines), "a replay is counted once"


class SweepableTable(dict):
    """Test double for a key-partitioned table: a dict that names each key's partition."""

    def partition_for_key(self, key: str) -> int:
        return partition_of(key, 3)


def test_the_sweeper_deletes_only_expired_keys_of_the_partition_it_is_given() -> None:
    table = SweepableTable({f"u_{n:032x}": {"expired": n % 2 == 0} for n in range(40)})
    sweeper = PartitionSweeper(table, expired=lambda _key, value: value["expired"])
    in_partition_1 = {key for key in table if partition_of(key, 3) == 1}
    deleted = sweeper.maybe_sweep(1)
    assert deleted == sum(1 for key in in_partition_1 if int(key[2:], 16) % 2 == 0) > 0
    assert all(not value["expired"] for key, value in table.items() if key in in_partition_1)
    assert any(value["expired"] for value in table.values()), "other partitions are untouched"
    assert sweeper.maybe_sweep(1) == 0, "at most one sweep per interval"


def record_changelog(table) -> list[tuple[int, str, object]]:
    """Record (partition, key, value) of every changelog message the table sends."""
    sent: list[tuple[int, str, object]] = []

    def send_changelog(partition, key, value, key_serializer=None, value_serializer=None):
        sent.append((partition, key, value))
        return SimpleNamespace(message=SimpleNamespace(partition=partition))

    table.send_changelog = send_changelog
    return sent


async def test_a_swept_cell_is_tombstoned_in_the_changelog_partition_of_its_writes(
    tmp_path,
) -> None:
    """A cell key (persona|site|window|start) hashes elsewhere than its observations'
    key (persona|site); both its writes and its tombstone must follow persona|site,
    or a rebuilt table brings expired cells back."""
    partitions = 3
    settings = XlapulseSettings(engine_data_dir=str(tmp_path), topic_partitions=partitions)
    app = build_app(settings, sink=RecordingSink())
    app.finalize()
    app.conf.store = "memory://"
    app.flow_control.resume()
    sent = record_changelog(app.tables["cells"])
    month_ago_ms = int((datetime.now(UTC) - timedelta(days=30)).timestamp() * 1000)
    groups = [(persona, f"site{n}") for persona in DEFAULT_PERSONAS for n in range(6)]
    agent = app.agents["xlapulse.streams.app.aggregate_cells"]
    async with agent.test_context() as context:
        for index, (persona, site) in enumerate(groups):
            observation = logon_sample(index, persona, site, month_ago_ms + index * 1000)
            group = observation.group_key()
            await context.put(
                json.dumps(observation.to_dict()).encode(),
                key=group.encode(),
                partition=partition_of(group, partitions),
            )
    writes = {(partition, key) for partition, key, value in sent if value is not None}
    tombstones = {(partition, key) for partition, key, value in sent if value is None}
    assert {partition for partition, _ in writes} == set(range(partitions))
    assert len(writes) == 3 * len(groups), "a 5 min, 1 h and 1 day cell per group"
    assert tombstones == writes, "every expired cell is deleted where it was written"
    assert all(
        partition == partition_of(key.rsplit("|", 2)[0], partitions)
        for partition, key in tombstones
    )
    assert len(app.tables["cells"]) == 0


def test_partition_of_matches_the_collectors_partitioner() -> None:
    """The engine's sweep must agree with where kafka-python producers put each key."""
    from kafka.partitioner.default import murmur2

    for n in range(50):
        key = f"u_{n:032x}"
        assert partition_of(key, 6) == (murmur2(key.encode()) & 0x7FFFFFFF) % 6
