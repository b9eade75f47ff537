"""The fault suite's engines and comparisons: workers of one engine id, the day's
points in its InfluxDB database, and what differs from a run without the fault.

Reads the engine's metrics, its consumer group's offsets and its InfluxDB database;
writes nothing but the worker subprocesses' logs (``tests/integration/helpers.py``)."""

from __future__ import annotations

import signal
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.integration.conftest import TOPIC_PARTITIONS, Services
from tests.integration.helpers import (
    WorkerProcess,
    committed_offsets,
    end_offsets,
    engine_env,
    influxql,
    metric_sum,
    processed_inputs,
)
from tests.shared_helpers import wait_until
from xlapulse.collectors.contract.topics import INPUT_TOPICS
from xlapulse.streams.scoring.published import MEASUREMENTS as CELL_MEASUREMENTS

#: every measurement a cell publishes (reliability, components and phases too)
MEASUREMENTS = CELL_MEASUREMENTS
#: How long a worker may take to score everything in the topics.
CATCH_UP_S = 480
#: A worker is settled when it processed nothing new for this long.
SETTLE_S = 10.0


class Engine:
    """Workers of one engine id: its consumer group, internal topics and database."""

    def __init__(self, services: Services, tmp_path: Path) -> None:
        self.services = services
        self.run_id = uuid.uuid4().hex[:10]
        self.env, _, self.database = engine_env(
            services.kafka_bootstrap, services.influx_url, self.run_id, tmp_path, TOPIC_PARTITIONS
        )
        self.engine_id = self.env["XLAPULSE_ENGINE_ID"]
        self.port = int(self.env["XLAPULSE_METRICS_PORT"])
        self.tmp_path = tmp_path
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.workers: list[WorkerProcess] = []

    def start(self, env: dict[str, str] | None = None) -> WorkerProcess:
        """Start a worker of this engine; ``env`` overrides settings (a second worker
        running beside the first needs its own metrics port and data directory)."""
        worker = WorkerProcess(
            {**self.env, **(env or {})}, self.tmp_path / f"worker-{len(self.workers)}.log"
        )
        worker.start()
        self.workers.append(worker)
        return worker

    def metric(self, name: str, port: int | None = None) -> float:
        """The sum of the running worker's samples of ``name`` (``port``: another
        worker's metrics port); 0 when its metrics do not answer."""
        return metric_sum(port or self.port, name, {}) or 0.0

    def committed_inputs(self) -> int:
        """Input records whose offsets the engine's consumer group committed."""
        committed = committed_offsets(self.services.kafka_bootstrap, self.engine_id)
        return sum(offset for (topic, _), offset in committed.items() if topic in INPUT_TOPICS)

    def processed(self) -> float:
        """Records the running worker processed (all topics, all outcomes)."""
        return self.metric("xlapulse_events_processed_total")

    def processed_inputs(self) -> float:
        """Input records the running worker processed: the progress a fault waits for
        (internal topics grow with the observations each input makes)."""
        return processed_inputs(self.port)

    def settled_points(self, day: date) -> dict | None:
        """The day's points once the worker is at the end of every partition it read
        (consumer lag 0) and processed nothing new for ``SETTLE_S``."""
        self.workers[-1].assert_running()
        before = (self.processed(), day_points(self.services, self.database, day))
        time.sleep(SETTLE_S)
        after = (self.processed(), day_points(self.services, self.database, day))
        lag = self.metric("xlapulse_consumer_lag_records")
        return after[1] if after == before and after[0] > 0 and lag == 0 and after[1] else None

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()


def day_points(services: Services, database: str, day: date) -> dict[tuple[Any, ...], Any]:
    """Every point of the engine's measurements on ``day``: (measurement, tags, time) ->
    fields."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    where = (
        f"time >= '{start:%Y-%m-%dT%H:%M:%SZ}' "
        f"AND time < '{start + timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}'"
    )
    points: dict[tuple[Any, ...], Any] = {}
    for measurement in MEASUREMENTS:
        query = f'SELECT * FROM "{measurement}" WHERE {where} GROUP BY *'
        for series in influxql(services.influx_url, database, query):
            tags = tuple(sorted(series.get("tags", {}).items()))
            for row in series["values"]:
                fields = dict(zip(series["columns"][1:], row[1:], strict=True))
                points[(measurement, tags, row[0])] = {
                    name: value for name, value in fields.items() if value is not None
                }
    return points


def score_without_fault(services: Services, tmp_path: Path, day: date) -> dict:
    baseline = Engine(services, tmp_path / "baseline")
    try:
        baseline.start()
        return wait_until(
            lambda: baseline.settled_points(day), CATCH_UP_S, "the baseline to settle"
        )
    finally:
        baseline.stop()


def differences(found: dict, expected: dict) -> tuple[list, list, list]:
    """Points missing from ``found``, extra in it, and with different fields."""
    missing = sorted(expected.keys() - found.keys())
    extra = sorted(found.keys() - expected.keys())
    different = sorted(key for key in expected.keys() & found.keys() if found[key] != expected[key])
    return missing, extra, different


def assert_identical(found: dict, expected: dict) -> None:
    missing, extra, different = differences(found, expected)
    assert not (missing or extra or different), (
        f"{len(missing)} points missing (e.g. {missing[:2]}), {len(extra)} extra "
        f"(e.g. {extra[:2]}), {len(different)} different (e.g. "
        f"{[(key, found[key], expected[key]) for key in different[:1]]})"
    )


def stop_at(engine: Engine, worker: WorkerProcess, records: float, sig: signal.Signals) -> None:
    """Send ``sig`` to the worker once the engine's progress reached ``records`` input
    records: the offsets its consumer group committed (what earlier workers finished)
    plus what the running worker processed. Counting only the running worker would wait
    for ever when an earlier one went further than asked before it stopped (a worker
    handles records in batches, and a graceful stop finishes the batch in hand)."""
    wait_until(
        lambda: engine.committed_inputs() + engine.processed_inputs() >= records,
        CATCH_UP_S,
        f"{records:.0f} records processed",
    )
    process = worker._process
    assert process is not None
    process.send_signal(sig)
    process.wait(timeout=60)


def wait_for_identical(
    engine: Engine, day: date, expected: dict, timeout_s: float = CATCH_UP_S
) -> None:
    """Poll until the engine's points of the day equal ``expected``; show what differs
    if they never do."""
    deadline = time.monotonic() + timeout_s
    found = day_points(engine.services, engine.database, day)
    while any(differences(found, expected)) and time.monotonic() < deadline:
        engine.workers[-1].assert_running()
        time.sleep(2)
        found = day_points(engine.services, engine.database, day)
    assert_identical(found, expected)


def input_records(services: Services) -> int:
    return sum(sum(end_offsets(services.kafka_bootstrap, topic).values()) for topic in INPUT_TOPICS)


def report(fault: str, records: int, outcome: str, recovery_s: float) -> None:
    """One row of the README's fault table (printed; `pytest -s` shows it)."""
    print(f"\nFAULT | {fault} | {records} records | {outcome} | identical after {recovery_s:.0f} s")
