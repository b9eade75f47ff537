"""Faust agents under ``agent.test_context()``: thin wrappers over the pure pipeline."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import faust
import pytest
from faust.types import TP
from prometheus_client import REGISTRY

from tests.unit.engine_events import assignment_event, feed, ticket_event
from xlapulse.collectors.contract.codec import encode_event
from xlapulse.collectors.contract.events import VpnSessionEvent
from xlapulse.collectors.contract.topics import (
    DEAD_LETTER_TOPIC,
    HEADER_DEAD_LETTER_REASON,
    HEADER_DEAD_LETTER_SOURCE,
    TELEMETRY_TOPIC,
    topic_for,
)
from xlapulse.streams.app import build_app
from xlapulse.streams.internal_codec import decode_observations
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.observations import SampleObservation
from xlapulse.streams.scoring.personas import DEFAULT_PERSONAS
from xlapulse.streams.settings import EngineSettings
from xlapulse.streams.tables import PartitionSweeper, partition_of

USER = "u_" + "c" * 32
DEVICE = "d_" + "d" * 32


class RecordingSink:
    """Test double for the InfluxDB sink: keeps the points it is given."""

    def __init__(self) -> None:
        self.batches: list[list] = []
        self.deleted: list = []

    async def write(self, points) -> None:
        self.batches.append(list(points))

    async def delete(self, records) -> None:
        self.deleted += records

    async def stop(self) -> None:
        return None


def put_on_topic(context, event):
    """Put an event as if read from its contract topic."""
    return put_raw(context, encode_event(event), topic_for(event), event.user_id.encode())


def put_raw(context, raw: bytes, topic: str, key: bytes):
    """Put a record as if read from ``topic`` (the test context cannot name one for a
    multi-topic agent)."""
    original = context.to_message

    def to_message(key, value, **options):
        message = original(key, value, **options)
        message.topic = topic
        message.tp = TP(message.topic, message.partition)
        return message

    context.to_message = to_message
    return context.put(raw, key=key)


def counter(name: str, **labels: str) -> float:
    """A counter's current value in this process (0 before it first moved)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture()
def sent(monkeypatch) -> list[tuple[str, bytes, bytes, dict]]:
    """Every record the agents send: (topic, key, value, headers)."""
    records: list[tuple[str, bytes, bytes, dict]] = []

    async def record_send(topic, key=None, value=None, headers=None, **options):
        records.append((topic.get_topic_name(), key, value, headers or {}))
        acknowledged = asyncio.get_running_loop().create_future()  # as the producer's future
        acknowledged.set_result(None)
        return acknowledged

    monkeypatch.setattr(faust.topics.Topic, "send", record_send)
    return records


@pytest.fixture()
def app(tmp_path):
    settings = EngineSettings(engine_data_dir=str(tmp_path), topic_partitions=1)
    sink = RecordingSink()
    app = build_app(settings, sink=sink)
    app.recording_sink = sink
    app.finalize()
    app.conf.store = "memory://"
    app.flow_control.resume()
    return app


def cells_table(pipeline) -> dict[str, dict]:
    """The in-process pipeline's cells and exposure clocks as the cells table stores them."""
    stored = [*pipeline.cells.items(), *pipeline.exposure_clocks.items()]
    return comparable({key: json.loads(json.dumps(cell.to_dict())) for key, cell in stored})


def comparable(cells: dict[str, dict]) -> dict[str, dict]:
    """Stored cells with their event ids sorted (a cell stores them in set order) and
    without the position of the last observation they counted (only an agent knows it)."""
    return {
        key: {
            **{name: value for name, value in cell.items() if name != "applied_position"},
            "event_ids": sorted(cell["event_ids"]),
        }
        if "event_ids" in cell
        else cell
        for key, cell in cells.items()
    }


async def test_user_agent_keeps_state_and_emits_observations(app, sent) -> None:
    agent = app.agents["xlapulse.streams.state_agents.follow_users"]
    table = app.tables["user-state"]
    now = datetime.now(UTC)
    assignment = assignment_event(
        USER, now - timedelta(minutes=5), "field_worker", "utrecht", "sales"
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
    observations = [
        observation.to_dict()
        for topic, _, value, _ in sent
        if topic == "xlapulse-engine-observations"
        for observation in decode_observations(value)
    ]
    assert [o["kind"] for o in observations] == [
        "sample",
        "journey",
        "exposure",
        "exposure",
    ], "the duplicate sent nothing"
    assert [(o["exposure"], o["opened"]) for o in observations[2:]] == [
        ("vpn_connected", False),
        ("vpn_down", True),
    ], "a drop closes the tunnel's connected time and opens its down time"
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


def dead_letters(sent) -> list[tuple[bytes, bytes, str, str]]:
    """(key, value, reason, source) of every record sent to the dead-letter topic."""
    return [
        (
            key,
            value,
            headers[HEADER_DEAD_LETTER_REASON].decode(),
            headers[HEADER_DEAD_LETTER_SOURCE].decode(),
        )
        for topic, key, value, headers in sent
        if topic == DEAD_LETTER_TOPIC
    ]


async def test_an_out_of_contract_record_is_dead_lettered_with_its_reason(app, sent) -> None:
    agent = app.agents["xlapulse.streams.state_agents.follow_users"]
    dead_before = counter("xlapulse_dead_letters_total", topic=TELEMETRY_TOPIC)
    outcome_before = counter(
        "xlapulse_events_processed_total", topic=TELEMETRY_TOPIC, outcome="dead_letter"
    )
    async with agent.test_context() as context:
        await put_raw(context, b"{not json", TELEMETRY_TOPIC, b"some-key")
    [(key, value, reason, source)] = dead_letters(sent)
    assert (key, value, source) == (b"some-key", b"{not json", TELEMETRY_TOPIC)
    assert "not UTF-8 JSON" in reason
    assert counter("xlapulse_dead_letters_total", topic=TELEMETRY_TOPIC) == dead_before + 1
    assert (
        counter("xlapulse_events_processed_total", topic=TELEMETRY_TOPIC, outcome="dead_letter")
        == outcome_before + 1
    )
    assert not app.tables["user-state"], "nothing is kept of a bad record"


@pytest.mark.parametrize(
    ("outcome", "shift"), [("late", timedelta(days=30)), ("future", -timedelta(hours=1))]
)
async def test_late_and_future_events_are_dead_lettered_by_the_time_policy(
    app, sent, outcome: str, shift: timedelta
) -> None:
    agent = app.agents["xlapulse.streams.state_agents.follow_users"]
    event = VpnSessionEvent(
        event_time=datetime.now(UTC) - shift, user_id=USER, device_id=DEVICE, state="dropped"
    )
    before = counter("xlapulse_events_processed_total", topic=TELEMETRY_TOPIC, outcome=outcome)
    async with agent.test_context() as context:
        await put_on_topic(context, event)
    [(key, value, reason, source)] = dead_letters(sent)
    assert (key, value, source) == (USER.encode(), encode_event(event), TELEMETRY_TOPIC)
    assert reason == f"{outcome} event (event_time policy)"
    assert (
        counter("xlapulse_events_processed_total", topic=TELEMETRY_TOPIC, outcome=outcome)
        == before + 1
    )
    assert USER not in app.tables["user-state"]
    assert not [topic for topic, *_ in sent if topic != DEAD_LETTER_TOPIC], "no observation"


async def test_a_duplicate_is_counted_and_dropped_not_dead_lettered(app, sent) -> None:
    agent = app.agents["xlapulse.streams.state_agents.follow_users"]
    drop = VpnSessionEvent(
        event_time=datetime.now(UTC), user_id=USER, device_id=DEVICE, state="dropped"
    )
    duplicates_before = counter(
        "xlapulse_events_processed_total", topic=TELEMETRY_TOPIC, outcome="duplicate"
    )
    dead_before = counter("xlapulse_dead_letters_total", topic=TELEMETRY_TOPIC)
    async with agent.test_context() as context:
        await put_on_topic(context, drop)
        sent_once = len(sent)
        await put_on_topic(context, drop)
    assert (
        counter("xlapulse_events_processed_total", topic=TELEMETRY_TOPIC, outcome="duplicate")
        == duplicates_before + 1
    )
    assert counter("xlapulse_dead_letters_total", topic=TELEMETRY_TOPIC) == dead_before
    assert len(sent) == sent_once, "the duplicate sends nothing"


async def test_aggregate_agent_writes_a_published_cell_once(app) -> None:
    agent = app.agents["xlapulse.streams.cell_agent.aggregate_cells"]
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
    settings = EngineSettings(engine_data_dir=str(tmp_path), topic_partitions=partitions)
    app = build_app(settings, sink=RecordingSink())
    app.finalize()
    app.conf.store = "memory://"
    app.flow_control.resume()
    sent = record_changelog(app.tables["cells"])
    month_ago_ms = int((datetime.now(UTC) - timedelta(days=30)).timestamp() * 1000)
    groups = [(persona, f"site{n}") for persona in DEFAULT_PERSONAS for n in range(6)]
    agent = app.agents["xlapulse.streams.cell_agent.aggregate_cells"]
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
    assert len(writes) == 4 * len(groups), "a 5 min, 1 h, 1 day cell and exposure clock per group"
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


def shared_device_scenario(now: datetime) -> list:
    """Alice's VPN drops on a kiosk, then Bob raises a ticket from it (no signal of his
    own), and Carol raises one from no device."""
    alice, bob, carol = ("u_" + c * 32 for c in "abf")
    kiosk = "d_" + "e" * 32

    assigned = now - timedelta(hours=1)
    raised = now - timedelta(minutes=5)
    return [
        *(
            assignment_event(user, assigned, "call_centre_agent", "leeds", "support")
            for user in (alice, bob, carol)
        ),
        VpnSessionEvent(
            event_time=now - timedelta(minutes=30), user_id=alice, device_id=kiosk, state="dropped"
        ),
        VpnSessionEvent(
            event_time=now - timedelta(minutes=20), user_id=alice, device_id=kiosk, state="failed"
        ),
        ticket_event(bob, "created", raised, "INC1", device_id=kiosk),
        ticket_event(carol, "created", raised, "INC2", device_id=None),
    ]


def sent_to(sent, topic: str) -> list[tuple[bytes, bytes]]:
    return [(key, value) for name, key, value, _ in sent if name == topic]


async def test_the_device_join_through_the_agents_equals_the_in_process_pipeline(app, sent) -> None:
    """follow_users -> follow_devices -> explain_from_devices -> aggregate_cells, each
    under its own test context, fed what the one before sent; the cells equal those
    of the in-process pipeline fed the same events."""
    events = shared_device_scenario(datetime.now(UTC).replace(microsecond=0))
    agents = {name.rsplit(".", 1)[1]: agent for name, agent in app.agents.items()}
    async with agents["follow_users"].test_context() as context:
        for event in events:
            await put_on_topic(context, event)
    signals = sent_to(sent, "xlapulse-engine-device-signals")
    assert [json.loads(value)["kind"] for _, value in signals] == ["problem", "problem", "ticket"]
    assert {key for key, _ in signals} == {("d_" + "e" * 32).encode()}, "keyed by device id"
    async with agents["follow_devices"].test_context() as context:
        for key, value in signals:
            await context.put(value, key=key)
    explanations = sent_to(sent, "xlapulse-engine-device-explanations")
    bob = "u_" + "b" * 32
    assert [(key, json.loads(value)) for key, value in explanations] == [
        (bob.encode(), {"user_id": bob, "ticket_id": "INC1", "explained_by": "vpn"})
    ]
    assert len(app.tables["device-state"]) == 1
    async with agents["explain_from_devices"].test_context() as context:
        for key, value in explanations:
            await context.put(value, key=key)
            await context.put(value, key=key)  # a replay moves nothing
    observations = sent_to(sent, "xlapulse-engine-observations")
    corrections = [
        o.to_dict()
        for _, v in observations
        for o in decode_observations(v)
        if getattr(o, "stage", None) == "explained"
    ]
    assert [(c["explained_by"], c["via_device"]) for c in corrections] == [("vpn", True)]
    assert app.tables["user-state"][bob]["tickets"]["INC1"]["via_device"] is True
    async with agents["aggregate_cells"].test_context() as context:
        for key, value in observations:
            await context.put(value, key=key)

    pipeline = feed(events)
    in_process = cells_table(pipeline)
    assert comparable(dict(app.tables["cells"])) == in_process
    hourly = [cell for cell in in_process.values() if cell.get("tickets_opened")]
    assert {
        (cell["explained_via_device"], json.dumps(cell["explained_by"])) for cell in hourly
    } == {(1, '{"vpn": 1}')}


async def test_a_late_own_signal_releases_the_ticket_through_the_agents(app, sent) -> None:
    """Bob's own VPN drop arrives after the kiosk explained his ticket: follow_users sends
    the kiosk the ticket's release, follow_devices forgets it, and the cells still equal
    those of the in-process pipeline fed the same events."""
    now = datetime.now(UTC).replace(microsecond=0)
    events = shared_device_scenario(now)
    bob, kiosk, laptop = "u_" + "b" * 32, "d_" + "e" * 32, "d_" + "1" * 32
    late = VpnSessionEvent(
        event_time=now - timedelta(minutes=10), user_id=bob, device_id=laptop, state="dropped"
    )
    agents = {name.rsplit(".", 1)[1]: agent for name, agent in app.agents.items()}
    signals_topic = "xlapulse-engine-device-signals"

    async def follow_users(events) -> None:
        async with agents["follow_users"].test_context() as context:
            for event in events:
                await put_on_topic(context, event)

    async def put(agent: str, records) -> None:
        async with agents[agent].test_context() as context:
            for key, value in records:
                await context.put(value, key=key)

    await follow_users(events)
    await put("follow_devices", sent_to(sent, signals_topic))
    await put("explain_from_devices", sent_to(sent, "xlapulse-engine-device-explanations"))
    assert app.tables["user-state"][bob]["tickets"]["INC1"]["device_id"] == kiosk
    assert list(app.tables["device-state"][kiosk]["tickets"]) == [f"{bob}|INC1"]

    held_signals = len(sent_to(sent, signals_topic))
    await follow_users([late])
    released = sent_to(sent, signals_topic)[held_signals:]
    assert [(key.decode(), json.loads(value)["kind"]) for key, value in released] == [
        (kiosk, "ticket"),
        (laptop, "problem"),
    ]
    assert json.loads(released[0][1])["release"] is True
    await put("follow_devices", released)
    assert app.tables["device-state"][kiosk]["tickets"] == {}
    assert app.tables["user-state"][bob]["tickets"]["INC1"]["device_id"] is None
    assert len(sent_to(sent, "xlapulse-engine-device-explanations")) == 1, "none after it"

    await put("aggregate_cells", sent_to(sent, "xlapulse-engine-observations"))
    pipeline = feed([*events, late])
    assert comparable(dict(app.tables["cells"])) == cells_table(pipeline)


def test_every_table_changelog_rolls_small_segments_for_the_cleaner(app) -> None:
    """Kafka compacts only closed segments: each changelog must roll at 16 MiB or 10 min,
    or a restarted worker reads back every version of every state (520 MiB for a day of
    1,000 workplaces with Kafka's 1 GiB default)."""
    tables = dict(app.tables.items())
    assert {"user-state", "device-state", "cells", "dip-state"} <= set(tables)
    for name, table in tables.items():
        config = table.changelog_topic.config
        assert config["segment.bytes"] == 16 * 1024 * 1024, name
        assert config["segment.ms"] == 600_000, name
