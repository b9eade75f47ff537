"""Engine catch-up: a day's backlog of a fleet, and the restart after it, per table store.

Fills the four input topics (3 partitions) of a Kafka that holds nothing else with one
simulated working day (``--days`` of them) of ``--endpoints`` workplaces (topics that
hold records already are reused). Then, for each of ``--stores``
(``XLAPULSE_ENGINE_STORE``; ``rocksdb`` needs ``rocksdict``, the ``rocksdb`` extra), in
wall seconds, /metrics read every 0.25 s:

1. Backlog: a worker with a fresh engine id (consumer group, changelogs, data folder,
   InfluxDB database) from its start to *ready* (``xlapulse_worker_ready`` 1: group
   joined, empty tables recovered), to *processed* (``xlapulse_events_processed_total``
   of the input topics, any outcome, reaches their records) and to *settled* (the last
   InfluxDB write, ``xlapulse_sink_last_write_timestamp_seconds`` then unchanged for
   3 s). *Steady rate*: events/s from 5 % to 95 % processed. *State*: the
   ``xlapulse_state_keys`` gauges, the changelogs' records written (end offsets) and
   bytes kept (Kafka's log dirs, after compaction), local table files, the worker's RSS.
2. Restart: that worker stopped (SIGTERM: it leaves the group, commits) and started
   again with the same engine id and data folder, one fresh logon (a new user) sent
   just after. From the start to *ready* (Faust completes the rebalance only once the
   tables are restored: memory:// reads the changelogs from the beginning, rocksdb://
   only what its files lack) and to *probe processed* (the records not committed at the
   stop, redelivered, then the probe: when the engine works again).

Prints a markdown table (a column per store) and appends it, dated, with the commit and
the machine's load, to ``tests/benchmarks/engine_throughput_history.md``::

    XLAPULSE_SERVICES_DIR=/tmp/xlapulse-catch-up KAFKA_PORT=29192 INFLUX_PORT=28186 \\
        deploy/local/services start
    .venv/bin/python -m tests.benchmarks.catch_up \\
        --kafka 127.0.0.1:29192 --influx http://127.0.0.1:28186 --endpoints 10000

Traffic goes only to the given servers (127.0.0.1); every wait is bounded by
``--timeout-min`` in all; every worker is stopped and its data folder removed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import mkdtemp

from kafka import KafkaAdminClient

from xlapulse.collectors.contract.events import LogonEvent
from xlapulse.collectors.contract.topics import INPUT_TOPICS
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings

from ..integration.helpers import (
    WorkerProcess,
    committed_offsets,
    end_offsets,
    engine_env,
    metric_samples,
    processed_inputs,
    read_metric,
)
from .input_topics import (
    HISTORY,
    PARTITIONS,
    fill_topics_if_empty,
    records_in_topics,
    steady_rate,
)

POLL_S = 0.25
SETTLE_S = 3.0
SETTLE_LIMIT_S = 900.0
MIB = 1 << 20


def poll(condition: Callable[[], bool], deadline: float, what: str, every_s: float) -> float:
    """Check ``condition`` every ``every_s`` until it holds; the monotonic time it did."""
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(every_s)
    raise TimeoutError(f"gave up waiting for {what}")


def state_size(bootstrap: str, engine_id: str, port: int, data_dir: Path) -> dict[str, str]:
    """Keys per table (gauges), changelog records and MiB, local files, worker memory."""
    keys = {labels["table"]: n for labels, n in metric_samples(port, "xlapulse_state_keys") or []}
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        log_dirs = admin.describe_log_dirs()
    finally:
        admin.close()
    changelog_bytes = {
        topic["name"]: sum(p["partition_size"] for p in topic["partitions"])
        for broker in log_dirs
        for log_dir in broker["log_dirs"]
        for topic in log_dir["topics"]
        if topic["name"].startswith(f"{engine_id}-") and topic["name"].endswith("-changelog")
    }
    records = sum(sum(end_offsets(bootstrap, topic).values()) for topic in changelog_bytes)
    # every file but the worker logs beside the tables (RocksDB's write-ahead logs count)
    local = sum(
        f.stat().st_size for f in data_dir.rglob("*") if f.is_file() and f.parent != data_dir
    )
    rss = read_metric(port, "process_resident_memory_bytes", {}) or 0
    tables = ("user-state", "device-state", "cells")
    return {
        "state keys (user / device / cells)": " / ".join(f"{keys.get(t, 0):,.0f}" for t in tables),
        "changelogs: records / MiB": f"{records:,} / {sum(changelog_bytes.values()) / MIB:,.1f}",
        "local table files (MiB)": f"{local / MIB:,.1f}",
        "worker memory after catch-up (RSS MiB)": f"{rss / MIB:,.0f}",
    }


def catch_up(
    bootstrap: str, influx: str, store: str, expect: int, data_dir: Path, deadline: float
) -> tuple[dict[str, str], dict[str, str]]:
    """A fresh worker over the backlog, stopped afterwards: (figures, its env)."""
    env, port, _ = engine_env(
        bootstrap, influx, uuid.uuid4().hex[:8], data_dir, PARTITIONS, short_sink_batches=False
    )
    env["XLAPULSE_ENGINE_STORE"] = f"{store}://"
    worker = WorkerProcess(env, data_dir / "catch-up.log")
    samples: list[tuple[float, float]] = []
    ready_at = None
    ready_rss = 0.0

    def done() -> bool:
        nonlocal ready_at, ready_rss
        worker.assert_running()
        if ready_at is None and read_metric(port, "xlapulse_worker_ready", {}) == 1:
            ready_at = time.monotonic()
            ready_rss = read_metric(port, "process_resident_memory_bytes", {}) or 0
        samples.append((time.monotonic(), processed_inputs(port)))
        return samples[-1][1] >= expect

    started = time.monotonic()
    worker.start()
    try:
        processed_at = poll(done, deadline, f"{store}: the backlog processed", POLL_S)
        settled_at, last_write, settled = processed_at, -1.0, "> "  # "": it did settle
        while time.monotonic() < min(deadline, processed_at + SETTLE_LIMIT_S):
            write = read_metric(port, "xlapulse_sink_last_write_timestamp_seconds", {}) or 0
            if write == last_write:
                settled = ""
                break
            last_write, settled_at = write, time.monotonic()
            time.sleep(SETTLE_S)
        state = state_size(bootstrap, env["XLAPULSE_ENGINE_ID"], port, data_dir)
    finally:
        stopping = time.monotonic()
        exit_code = worker.stop()
        stopped_s = time.monotonic() - stopping
    return {
        "start → ready, empty tables (s)": f"{(ready_at or processed_at) - started:.1f}",
        "worker memory when ready, empty tables (RSS MiB)": f"{ready_rss / MIB:,.0f}",
        "start → backlog processed (s)": f"{processed_at - started:.1f}",
        "start → sink settled (s)": f"{settled}{settled_at - started:.1f}",
        "steady rate, 5 % → 95 % (events/s)": f"{steady_rate(samples, expect):,.0f}",
        **state,
        "SIGTERM → exited (s), exit code": f"{stopped_s:.1f}, {exit_code}",
    }, env


def restart(bootstrap: str, env: dict[str, str], deadline: float) -> dict[str, str]:
    """The caught-up worker started again (same engine id and data folder), plus a probe."""
    engine_id, port = env["XLAPULSE_ENGINE_ID"], int(env["XLAPULSE_METRICS_PORT"])
    committed = sum(sum(committed_offsets(bootstrap, engine_id, t).values()) for t in INPUT_TOPICS)
    # what the topics hold now: an earlier store's probe is in them too
    redelivered = records_in_topics(bootstrap) - committed
    at, user = datetime.now(UTC) - timedelta(minutes=1), uuid.uuid4().hex
    probe = LogonEvent(
        event_time=at, user_id=f"u_{user}", device_id=f"d_{user}", logon_duration_ms=10_000
    )
    worker = WorkerProcess(env, Path(env["XLAPULSE_ENGINE_DATA_DIR"]) / "restart.log")
    producer = EventProducer(ProducerSettings(bootstrap_servers=bootstrap))

    def ready() -> bool:
        worker.assert_running()
        return read_metric(port, "xlapulse_worker_ready", {}) == 1

    started = time.monotonic()
    worker.start()
    try:
        producer.send_all([probe])
        ready_at = poll(ready, deadline, "the restarted worker ready", 0.1)
        processed_at = poll(
            lambda: processed_inputs(port) >= redelivered + 1, deadline, "the probe", 0.1
        )
        # the gauge is set after the probe's batch, a moment after the count moved
        poll(lambda: (user_keys(port) or 0) >= 1, deadline, "the user-state gauge", 0.1)
        keys = user_keys(port) or 0
    finally:
        worker.stop()
        producer.close()
    return {
        "restart → ready, tables recovered (s)": f"{ready_at - started:.1f}",
        "restart → probe processed (s)": f"{processed_at - started:.1f}",
        "records redelivered after the restart": f"{redelivered:,}",
        "user-state keys after the probe (recovered + 1)": f"{keys:,.0f}",
    }


def user_keys(port: int) -> float | None:
    return read_metric(port, "xlapulse_state_keys", {"table": "user-state"})


def crash_site(data_dir: Path) -> str:
    """Where the worker crashed: the innermost frame of the last traceback in its logs."""
    logs = "".join(log.read_text(errors="replace") for log in sorted(data_dir.glob("*.log")))
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\w+)\n\s+(.+)', logs)
    if not frames:
        return ""
    path, line, function, code = frames[-1]
    return f" in {'/'.join(Path(path).parts[-3:])}:{line} {function}: `{code.strip()}`"


def code_version() -> str:
    """The commit the workers run, marked when the engine's sources differ from it."""
    repo = ["git", "-C", str(Path(__file__).resolve().parents[2])]
    head = subprocess.run([*repo, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        [*repo, "status", "--porcelain", "--", "streams", "collectors", "pyproject.toml"],
        capture_output=True,
        text=True,
    )
    return head.stdout.strip() + (" with uncommitted engine changes" if dirty.stdout else "")


def measure(
    bootstrap: str,
    influx: str,
    endpoints: int,
    stores: list[str],
    timeout_min: float,
    note: str,
    days: int = 1,
) -> list[str]:
    """Both measurements per store over ``days`` of ``endpoints`` workplaces (the topics
    are filled if empty); the markdown lines, also appended to the history."""
    deadline = time.monotonic() + timeout_min * 60
    load_before, code_before = os.getloadavg(), code_version()
    sending = time.monotonic()
    backlog = fill_topics_if_empty(bootstrap, endpoints, days)
    expect = records_in_topics(bootstrap)
    print(f"{expect:,} records in the input topics: {backlog} ({time.monotonic() - sending:.0f} s)")
    results: dict[str, dict[str, str]] = {}
    for store in stores:
        data_dir = Path(mkdtemp(prefix=f"xlapulse-catch-up-{store}-"))
        try:
            # what the topics hold now: an earlier store's probe is in them too
            held = records_in_topics(bootstrap)
            figures, env = catch_up(bootstrap, influx, store, held, data_dir, deadline)
            figures.update(restart(bootstrap, env, deadline))
        except (AssertionError, TimeoutError, OSError) as error:
            print(error)
            figures = {"failed": f"{type(error).__name__}{crash_site(data_dir)}"}
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
        results[store] = figures
        print(f"{store}: {figures}", flush=True)

    code = code_before if code_before == code_version() else f"{code_before} → {code_version()}"
    rows = list(dict.fromkeys(name for figures in results.values() for name in figures))
    load = " / ".join(f"{a:.1f}→{b:.1f}" for a, b in zip(load_before, os.getloadavg(), strict=True))
    lines = [
        f"### {date.today().isoformat()}: catch-up, {expect:,} records"
        + (f" ({note})" if note else ""),
        "",
        f"{backlog}; code {code}; load average (1 / 5 / 15 min, start→end) {load}; "
        f"{os.cpu_count()} cores",
        "",
        "| figure | " + " | ".join(f"{store}://" for store in results) + " |",
        "| --- |" + " --- |" * len(results),
        *(
            f"| {row} | " + " | ".join(f.get(row, "") for f in results.values()) + " |"
            for row in rows
        ),
        "",
    ]
    with HISTORY.open("a") as history:
        history.write("\n".join(lines) + "\n")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kafka", required=True, help="bootstrap server, e.g. 127.0.0.1:9092")
    parser.add_argument("--influx", required=True, help="InfluxDB URL, e.g. http://127.0.0.1:8086")
    parser.add_argument("--endpoints", type=int, default=10_000)
    parser.add_argument(
        "--days",
        type=int,
        default=1,
        help="simulated days; 8 hold what a worker keeps at the 7-day late-event horizon",
    )
    parser.add_argument("--stores", default="memory,rocksdb", help="comma-separated")
    parser.add_argument("--timeout-min", type=float, default=45.0, help="bound on all waits")
    parser.add_argument("--note", default="", help="what changed, for the history")
    args = parser.parse_args()
    lines = measure(
        args.kafka,
        args.influx,
        args.endpoints,
        args.stores.split(","),
        args.timeout_min,
        args.note,
        args.days,
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
