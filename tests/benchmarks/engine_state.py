"""Engine state benchmark: memory per active user, and recovery time after a restart.

Part 1 (in process, no servers): scores ``--endpoints`` simulated workplaces for
``--days`` days of the default scenario with the pure pipeline and reports, per
active user, the serialized size of the user state (what the ``user-state``
changelog stores) and the Python heap it takes (tracemalloc), plus the same for
the window cells; and the pipeline's own throughput. Then the per-user step alone as
the Faust agent runs it, with its round trips per event (the user's state read and
written as JSON, its observations and device signals encoded and decoded).

Part 2 (``--kafka BOOTSTRAP --influx URL``, real servers): sends the same events
to Kafka, runs an engine worker until every input record is processed, stops it
(SIGTERM), starts it again with the same engine id and measures the time from
process start until it processes a fresh event: with ``memory://`` tables that
is the time to rebuild them from their changelogs.

Run (servers from deploy/local/services)::

    .venv/bin/python -m tests.benchmarks.engine_state --endpoints 300 --days 1
    deploy/local/services start
    .venv/bin/python -m tests.benchmarks.engine_state --endpoints 300 --days 1 \\
        --kafka 127.0.0.1:9092 --influx http://127.0.0.1:8086

Traffic goes only to the given servers (127.0.0.1); every wait is bounded.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import mkdtemp

from faust.utils import json as table_json

from xlapulse.collectors.contract.codec import encode_event
from xlapulse.collectors.contract.events import LogonEvent, event_time_ms
from xlapulse.collectors.contract.topics import topic_for
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings
from xlapulse.collectors.delivery.topics_admin import ensure_topics
from xlapulse.collectors.simulator.fleet import Fleet
from xlapulse.collectors.simulator.scenario import default_scenario_path, load_scenario
from xlapulse.streams.inprocess import InProcessPipeline
from xlapulse.streams.internal_codec import (
    decode_device_signal,
    decode_observations,
    encode_device_signal,
    encode_observations,
)
from xlapulse.streams.scoring.pipeline import read_input_record
from xlapulse.streams.scoring.user_state import UserState, step
from xlapulse.streams.scoring.xla import default_xla_config

from ..integration.helpers import WorkerProcess, engine_env, processed_inputs
from ..shared_helpers import wait_until

PARTITIONS = 3
#: the outcomes the recovery waits for (not dead-lettered, late or future)
SCORED = ("ok", "held", "duplicate")


def simulated_events(endpoints: int, days: int, first_day: date) -> list:
    fleet = Fleet(endpoints, seed=5, scenario=load_scenario(default_scenario_path()))
    return list(fleet.events(first_day, days))


def _score(events: list) -> InProcessPipeline:
    pipeline = InProcessPipeline()
    for event in events:
        pipeline.feed_event(event)
    pipeline.flush()
    return pipeline


def measure_in_process(events: list) -> None:
    started, started_cpu = time.perf_counter(), time.process_time()
    _score(events)
    # without tracemalloc, which slows it down
    elapsed_s, cpu_s = time.perf_counter() - started, time.process_time() - started_cpu
    tracemalloc.start()
    pipeline = _score(events)
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    heap_bytes = sum(stat.size for stat in snapshot.statistics("filename"))
    users = len(pipeline.users)
    # sized as the tables' changelogs hold them: Faust's table codec (orjson when installed)
    state_bytes = [len(table_json.dumps(state.to_dict())) for state in pipeline.users.values()]
    cell_bytes = [len(table_json.dumps(cell.to_dict())) for cell in pipeline.cells.values()]
    print(f"events: {len(events):,} in {elapsed_s:.1f} s = {_rates(len(events), elapsed_s, cpu_s)}")
    print(f"active users: {users:,}")
    print(
        f"user state, serialized: mean {sum(state_bytes) / users:,.0f} B, "
        f"max {max(state_bytes):,} B per user"
    )
    print(
        f"cells: {len(cell_bytes):,}, serialized {sum(cell_bytes) / 1024:,.0f} KiB in all, "
        f"{sum(cell_bytes) / users:,.0f} B per active user"
    )
    print(
        f"pipeline heap (tracemalloc, states + cells + published records): "
        f"{heap_bytes / 2**20:,.1f} MiB = {heap_bytes / users / 1024:,.1f} KiB per active user"
    )


def measure_agent_step(events: list) -> None:
    """The per-user step as the ``follow_users`` agent runs it, in batches of one event:
    the record decoded, the user's state read from JSON and written back (the table's
    codec, Faust's ``json``; the agent does it once per user and batch), the event's
    observations and device signals encoded and decoded again through the internal
    topics' codec (``streams/internal_codec.py``; the agent sends a batch's observations
    as one record per persona|site). No Kafka, no cells."""
    config = default_xla_config()
    records = [(encode_event(event), topic_for(event)) for event in events]
    states: dict[str, str | bytes] = {}
    clock_ms = 0
    started, started_cpu = time.perf_counter(), time.process_time()
    for raw, topic in records:
        event = read_input_record(raw, topic)
        clock_ms = max(clock_ms, event_time_ms(event))
        stored = states.get(event.user_id)
        state = UserState.from_dict(table_json.loads(stored)) if stored else None
        result = step(state, event, config, clock_ms)
        states[event.user_id] = table_json.dumps(result.state.to_dict())
        if result.observations:
            decode_observations(encode_observations(result.observations))
        for signal in result.device_signals:
            decode_device_signal(encode_device_signal(signal))
    elapsed_s, cpu_s = time.perf_counter() - started, time.process_time() - started_cpu
    print(
        f"per-user step with the agent's JSON round trips: {len(events):,} in {elapsed_s:.1f} s "
        f"= {_rates(len(events), elapsed_s, cpu_s)}"
    )


def _rates(count: int, elapsed_s: float, cpu_s: float) -> str:
    """Per wall second and per CPU second of this process (on a shared machine the
    second is the steadier one)."""
    return f"{count / elapsed_s:,.0f} events/s, {count / cpu_s:,.0f} per CPU second"


def measure_recovery(events: list, bootstrap: str, influx_url: str) -> None:
    run_id = uuid.uuid4().hex[:8]
    data_dir = Path(mkdtemp(prefix="xlapulse-bench-"))
    ensure_topics(bootstrap, PARTITIONS)
    env, port, _ = engine_env(
        bootstrap, influx_url, f"bench-{run_id}", data_dir, PARTITIONS, short_sink_batches=False
    )
    producer = EventProducer(ProducerSettings(bootstrap_servers=bootstrap))
    producer.send_all(events)
    worker = WorkerProcess(env=env, log_path=data_dir / "worker-1.log")
    started = time.monotonic()
    worker.start()
    try:
        wait_until(lambda: processed_inputs(port, SCORED) >= len(events), 900, "the first run")
        print(f"first run: {len(events):,} input records in {time.monotonic() - started:.1f} s")
    finally:
        worker.stop()
    restarted = WorkerProcess(env=env, log_path=data_dir / "worker-2.log")
    user = events[-1].user_id
    probe = LogonEvent(
        event_time=datetime.now(UTC) - timedelta(minutes=1),
        user_id=user,
        device_id="d_" + user[2:],
        logon_duration_ms=10_000,
    )
    started = time.monotonic()
    restarted.start()
    try:
        producer.send_all([probe])
        wait_until(lambda: processed_inputs(port, SCORED) >= 1, 900, "the restarted worker")
        print(
            f"recovery: restart to first processed event {time.monotonic() - started:.1f} s "
            f"(store memory://, tables rebuilt from their changelogs)"
        )
    finally:
        restarted.stop()
        producer.close()


def latest_workday_before(day: date) -> date:
    """The latest Monday-to-Friday date before ``day``: a run that starts on a weekend
    scores almost nothing, and one further back than the engine's late-event horizon
    (7 days) would be dead-lettered in the Kafka part."""
    first = day - timedelta(days=1)
    while first.weekday() >= 5:
        first -= timedelta(days=1)
    return first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, default=300)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--kafka", help="bootstrap server for the recovery measurement")
    parser.add_argument("--influx", default="http://127.0.0.1:8086")
    parser.add_argument(
        "--first-day",
        type=date.fromisoformat,
        help="first simulated day (default: the latest workday that ends the run in the past)",
    )
    args = parser.parse_args()
    first_day = args.first_day or latest_workday_before(date.today() - timedelta(days=args.days))
    print(f"simulated: {args.endpoints} workplaces x {args.days} day(s) from {first_day}")
    events = simulated_events(args.endpoints, args.days, first_day)
    measure_in_process(events)
    measure_agent_step(events)
    if args.kafka:
        measure_recovery(events, args.kafka, args.influx)


if __name__ == "__main__":
    main()
