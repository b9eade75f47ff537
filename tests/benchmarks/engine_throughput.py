"""Engine throughput beside its ceilings and Faust's floor, interleaved, on real Kafka.

Empties the four input topics, then sends ``--endpoints`` simulated workplaces x
``--days`` days (default scenario) to them, on a Kafka that holds nothing else (start
one for the benchmark, see below), then runs ``--rounds`` rounds of, in this order:

* ceiling A: a plain aiokafka consumer reading every input record + ``json.loads``;
* ceiling B: A + the contract parse (``read_input_record``), the engine's first step;
* Faust's floor: an agent with an empty body, and one with the contract parse
  (``faust_floor.py``, a subprocess per round);
* the worker: ``xlapulse worker`` with a fresh engine id (its own consumer group,
  internal topics, tables and database) over the same records. Its rate is the steady
  state: from the moment 5 % of the records were processed to the moment 95 % were
  (start-up, group join and the tail excluded), read from its /metrics every 0.25 s.
  That is the rate its input agent reads at, and alone it flatters: in a backlog the
  agents downstream (cells, dips) can fall behind and finish long after the input.
  ``end to end`` is therefore the headline figure, and the ratios use it: the records
  from the 5 % mark on, over the time from that mark to the worker's last InfluxDB
  write (its ``xlapulse_sink_last_write_timestamp_seconds``, once no write came for 3 s).
  ``sink settled`` is the time from the last input record processed to that last write.
  The dip agents write no InfluxDB points, so their own lag is not in the figure.

* the peer (``--peer``, on by default): the quixstreams application of ``quix_peer.py``
  over the same records, with quixstreams' defaults and with a 0.1 s poll timeout;
* Telegraf (``--telegraf``, on by default): ``kafka_consumer`` -> ``influxdb_v2`` over the
  same records (``telegraf_peer.py``), the floor of moving them into InfluxDB;
* scale-out (``--scale-out``, on by default): two workers of one engine id sharing the
  partitions (each with its own metrics port and data directory; the benchmark topics
  have 3 partitions, so they split 2/1, and this machine has 2 cores for both), with
  each worker's records and user states.

Then, once (``--freshness-s``, default 60): freshness at half the worker's median rate
end to end (``freshness.py``): p50/p95/p99 seconds from an event's production to its cell point
being queryable in InfluxDB.

It prints min / median / max events/s per contender and the ratios of the worker's
median to ceiling B's, to Faust's floor with parse and to the peer, and appends the
table, dated, to ``tests/benchmarks/engine_throughput_history.md``.

Last (``--catch-up-endpoints``, default 10,000; 0 skips): the input topics are emptied
and ``catch_up.py`` measures a day's backlog of that many workplaces and the restart
after it, per table store (``--catch-up-stores``), and appends its own table.

    XLAPULSE_SERVICES_DIR=/tmp/xlapulse-bench KAFKA_PORT=29192 INFLUX_PORT=28186 \\
        deploy/local/services start
    .venv/bin/python -m tests.benchmarks.engine_throughput \\
        --kafka 127.0.0.1:29192 --influx http://127.0.0.1:28186 --endpoints 300

Traffic goes only to the given servers (127.0.0.1); every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from tempfile import mkdtemp

from aiokafka import AIOKafkaConsumer

from xlapulse.collectors.contract.codec import ContractViolation
from xlapulse.collectors.contract.events import DirectoryAssignmentEvent
from xlapulse.collectors.contract.topics import INPUT_TOPICS
from xlapulse.streams.scoring.pipeline import read_input_record

from ..integration.helpers import (
    WorkerProcess,
    engine_env,
    metric_sum,
    processed_inputs,
    read_metric,
)
from ..shared_helpers import free_port
from . import catch_up
from .engine_state import latest_workday_before, simulated_events
from .freshness import measure_freshness
from .input_topics import (
    HISTORY,
    PARTITIONS,
    empty_input_topics,
    fill_topics_if_empty,
    first_sample_at,
    records_in_topics,
    spread,
    steady_rate,
)
from .quix_peer import TUNED_POLL_S, peer_rate
from .telegraf_peer import telegraf_binary, telegraf_rate

PEER_DEFAULTS = "quixstreams peer, its defaults"
PEER_TUNED = f"quixstreams peer, poll timeout {TUNED_POLL_S} s"
TELEGRAF = "Telegraf kafka_consumer -> influxdb_v2 (pass-through)"
END_TO_END = "the worker, end to end (5 % of the input to its last InfluxDB write)"
BEFORE_END_TO_END = "the worker before, end to end"
TIMEOUT_S = 1800
#: the bound on the whole catch-up measurement (every store)
CATCH_UP_MIN = 90.0


async def _consume(bootstrap: str, expect: int, handle: Callable[[bytes, str], None]) -> float:
    consumer = AIOKafkaConsumer(
        *INPUT_TOPICS,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        seen, started = 0, 0.0
        deadline = time.monotonic() + TIMEOUT_S
        while seen < expect and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for partition, records in batches.items():
                if seen == 0 and records:
                    started = time.perf_counter()
                for record in records:
                    handle(record.value, partition.topic)
                seen += len(records)
        return seen / (time.perf_counter() - started)
    finally:
        await consumer.stop()


def ceiling(bootstrap: str, expect: int, parse: bool) -> float:
    def decode(value: bytes, topic: str) -> None:
        json.loads(value)

    def decode_and_parse(value: bytes, topic: str) -> None:
        json.loads(value)
        with contextlib.suppress(ContractViolation):
            read_input_record(value, topic)

    return asyncio.run(_consume(bootstrap, expect, decode_and_parse if parse else decode))


def faust_floor(bootstrap: str, expect: int, mode: str) -> float:
    data_dir = mkdtemp(prefix="xlapulse-floor-")
    command = [sys.executable, "-m", "tests.benchmarks.faust_floor", "--kafka", bootstrap]
    command += ["--expect", str(expect), "--mode", mode, "--data-dir", data_dir]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    # Faust's worker redirects print to its log (stderr)
    found = re.search(r"records=(\d+) seconds=([\d.]+)", done.stdout + done.stderr)
    if found:
        return int(found[1]) / float(found[2])
    raise RuntimeError(f"faust floor ({mode}) printed no result:\n{done.stderr[-2000:]}")


@dataclass
class WorkerRun:
    #: input events/s from 5 % to 95 % of the records processed
    rate: float
    #: input events/s from 5 % of the records processed to the last InfluxDB write
    end_to_end_rate: float
    #: seconds from the last input processed to the last InfluxDB write
    settled_s: float
    #: per worker: (input records it processed, its user-state keys)
    shares: list[tuple[float, float | None]]


def worker_rate(
    bootstrap: str,
    influx_url: str,
    expect: int,
    python: str = sys.executable,
    workers: int = 1,
) -> WorkerRun:
    """``workers`` workers of one fresh engine id sharing the partitions over the topics."""
    run_id = f"bench-{uuid.uuid4().hex[:8]}"
    data_dir = Path(mkdtemp(prefix="xlapulse-bench-"))
    env, port, _ = engine_env(
        bootstrap, influx_url, run_id, data_dir, PARTITIONS, short_sink_batches=False
    )
    ports = [port] + [free_port() for _ in range(workers - 1)]
    processes = []
    for index, worker_port in enumerate(ports):
        worker_env = {
            **env,
            "XLAPULSE_METRICS_PORT": str(worker_port),
            "XLAPULSE_ENGINE_DATA_DIR": str(data_dir / f"worker-{index}"),
        }
        process = WorkerProcess(worker_env, data_dir / f"worker-{index}.log", python=python)
        process.start()
        processes.append(process)

    def latest_write() -> float:
        """The workers' last InfluxDB write, wall-clock seconds."""
        return max(
            metric_sum(p, "xlapulse_sink_last_write_timestamp_seconds", {}) or 0 for p in ports
        )

    samples: list[tuple[float, float]] = []
    wall_minus_monotonic = time.time() - time.monotonic()
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            for process in processes:
                process.assert_running()
            processed = sum(processed_inputs(p) for p in ports)
            samples.append((time.monotonic(), processed))
            if processed >= expect:
                break
            time.sleep(0.25)
        else:
            raise RuntimeError(f"workers did not finish:\n{processes[0].log_tail()}")
        inputs_done = samples[-1][0]
        last_write = latest_write()
        while time.monotonic() < inputs_done + 300:
            time.sleep(3.0)
            now_write = latest_write()
            if now_write == last_write:
                break
            last_write = now_write
        settled = max(inputs_done, last_write - wall_minus_monotonic)
        shares = [
            (processed_inputs(p), read_metric(p, "xlapulse_state_keys", {"table": "user-state"}))
            for p in ports
        ]
    finally:
        for process in processes:
            process.stop()
    t05, n05 = first_sample_at(samples, 0.05, expect)
    end_to_end = (expect - n05) / (settled - t05)
    return WorkerRun(steady_rate(samples, expect), end_to_end, settled - inputs_done, shares)


def freshness(bootstrap: str, influx_url: str, expect: int, rate: float, seconds: float) -> dict:
    """A worker of its own catches up with the topics, then ``freshness.py`` offers
    ``rate`` events/s for ``seconds`` and times its probes."""
    run_id = f"bench-{uuid.uuid4().hex[:8]}"
    data_dir = Path(mkdtemp(prefix="xlapulse-bench-"))
    env, port, database = engine_env(
        bootstrap, influx_url, run_id, data_dir, PARTITIONS, short_sink_batches=False
    )
    worker = WorkerProcess(env=env, log_path=data_dir / "worker.log")
    worker.start()
    load = [
        event
        for event in simulated_events(300, 1, latest_workday_before(datetime.now(UTC).date()))
        if not isinstance(event, DirectoryAssignmentEvent)
    ]

    def caught_up() -> bool:
        """The input read, and the cells too: written to InfluxDB, then no write for 3 s.
        (The dip agents are not waited for: no metric tells how far they are.)"""
        worker.assert_running()
        if processed_inputs(port) < expect:
            return False
        last_write = metric_sum(port, "xlapulse_sink_last_write_timestamp_seconds", {}) or 0
        return last_write > 0 and time.time() - last_write > 3.0

    try:
        return measure_freshness(bootstrap, influx_url, database, load, rate, seconds, caught_up)
    finally:
        worker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kafka", required=True)
    parser.add_argument("--influx", required=True)
    parser.add_argument("--endpoints", type=int, default=300)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--note", default="", help="what changed, for the history")
    parser.add_argument(
        "--freshness-s",
        type=float,
        default=60.0,
        help="after the rounds, offer half the worker's median rate for this long and "
        "time an event's way to its cell point in InfluxDB (0: skip)",
    )
    parser.add_argument(
        "--scale-out",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure two workers of one engine id sharing the partitions",
    )
    parser.add_argument(
        "--peer",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure the quixstreams peer (quix_peer.py), with its defaults and tuned",
    )
    parser.add_argument(
        "--telegraf",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure Telegraf's pass-through (telegraf_peer.py; built once, minutes)",
    )
    parser.add_argument(
        "--catch-up-endpoints",
        type=int,
        default=10_000,
        help="last, empty the input topics and measure catch-up (catch_up.py) over a day of "
        "this many workplaces (0: skip)",
    )
    parser.add_argument("--catch-up-stores", default="memory,rocksdb", help="comma-separated")
    parser.add_argument(
        "--before-python",
        help="the interpreter of another install (e.g. a worktree of the previous commit): "
        "its worker is measured in the same rounds, as 'the worker, before'",
    )
    args = parser.parse_args()

    # Emptied first: a previous run's freshness load (sent to the input topics) or its
    # catch-up backlog would otherwise stay there and be measured as this run's backlog.
    empty_input_topics(args.kafka)
    fill_topics_if_empty(args.kafka, args.endpoints, args.days)
    expect = records_in_topics(args.kafka)
    print(f"{expect:,} records in the input topics ({PARTITIONS} partitions)")

    results: dict[str, list[float]] = {}
    sink_lag_s: list[float] = []
    scale_out_shares: list[list[tuple[float, float | None]]] = []
    contenders: dict[str, Callable[[], float]] = {
        "ceiling A: aiokafka + json.loads": lambda: ceiling(args.kafka, expect, parse=False),
        "ceiling B: A + contract parse": lambda: ceiling(args.kafka, expect, parse=True),
        "Faust floor: empty agent": lambda: faust_floor(args.kafka, expect, "empty"),
        "Faust floor: agent + contract parse": lambda: faust_floor(args.kafka, expect, "parse"),
    }
    if args.peer:
        contenders[PEER_DEFAULTS] = lambda: peer_rate(args.kafka, expect)
        contenders[PEER_TUNED] = lambda: peer_rate(args.kafka, expect, poll_timeout_s=TUNED_POLL_S)
    if args.telegraf:
        telegraf_binary()  # built now (once, minutes), not inside a round
        contenders[TELEGRAF] = lambda: telegraf_rate(args.kafka, args.influx, expect)
    for round_number in range(1, args.rounds + 1):
        for name, measure in contenders.items():
            results.setdefault(name, []).append(measure())
        if args.before_python:
            before = worker_rate(args.kafka, args.influx, expect, args.before_python)
            results.setdefault(BEFORE_END_TO_END, []).append(before.end_to_end_rate)
            results.setdefault("the worker before, input read", []).append(before.rate)
        run = worker_rate(args.kafka, args.influx, expect)
        results.setdefault(END_TO_END, []).append(run.end_to_end_rate)
        results.setdefault("the worker, input read (steady state)", []).append(run.rate)
        sink_lag_s.append(run.settled_s)
        if args.scale_out:
            pair = worker_rate(args.kafka, args.influx, expect, workers=2)
            results.setdefault("two workers, one engine id, end to end", []).append(
                pair.end_to_end_rate
            )
            scale_out_shares.append(pair.shares)
        print(
            f"round {round_number}: " + ", ".join(f"{k}: {v[-1]:,.0f}" for k, v in results.items())
        )

    worker = statistics.median(results[END_TO_END])
    lines = [
        f"### {date.today().isoformat()}: {expect:,} records, {args.rounds} rounds"
        + (f" ({args.note})" if args.note else ""),
        "",
        "| what | events/s (min / median / max) |",
        "| --- | --- |",
        *(f"| {name} | {spread(values)} |" for name, values in results.items()),
        "",
        "worker end to end / ceiling B: "
        f"{worker / statistics.median(results[list(contenders)[1]]):.1%}; "
        f"/ Faust floor with parse: "
        f"{worker / statistics.median(results[list(contenders)[3]]):.1%}; "
        f"sink settled after the last input: {spread(sink_lag_s)} s"
        + "".join(
            f"; worker / {name}: {worker / statistics.median(results[name]):.0%}"
            for name in (PEER_DEFAULTS, PEER_TUNED, TELEGRAF)
            if name in results
        ),
        "",
    ]
    if scale_out_shares:
        lines += [
            "two workers, per worker (input records processed / user-state keys), per round: "
            + "; ".join(
                ", ".join(f"{processed:,.0f} / {keys or 0:,.0f}" for processed, keys in shares)
                for shares in scale_out_shares
            )
            + " (3 partitions split 2 / 1; both workers, Kafka and InfluxDB share 2 cores)",
            "",
        ]
    if args.freshness_s:
        rate = worker / 2
        found = freshness(args.kafka, args.influx, expect, rate, args.freshness_s)
        lines += [
            f"freshness at {found['offered events/s']:,.0f} events/s offered (half the "
            f"worker's median end to end) for {args.freshness_s:.0f} s, {found['seen']} of "
            f"{found['probes']} probes seen: p50 {found['p50']:.2f} s, p95 {found['p95']:.2f} s, "
            f"p99 {found['p99']:.2f} s, max {found['max']:.2f} s (target p95 <= 2 s)",
            "",
        ]
    print("\n".join(lines))
    with HISTORY.open("a") as history:
        history.write("\n".join(lines) + "\n")
    if args.catch_up_endpoints:
        empty_input_topics(args.kafka)
        stores = args.catch_up_stores.split(",")
        found = catch_up.measure(
            args.kafka, args.influx, args.catch_up_endpoints, stores, CATCH_UP_MIN, args.note
        )
        print("\n".join(found))


if __name__ == "__main__":
    main()
