"""Helpers for integration tests: a worker subprocess, metric scraping, InfluxQL queries.

Ports, polling and the collector CLI are in tests/shared_helpers.py, shared with the unit
tests.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, OffsetAndMetadata, TopicPartition

from tests.shared_helpers import free_port
from xlapulse.collectors.contract.events import DirectoryAssignmentEvent, EventBase, LogonEvent
from xlapulse.collectors.contract.topics import INPUT_TOPICS


def metric_samples(port: int, name: str) -> list[tuple[dict[str, str], float]] | None:
    """Every sample of ``name`` on a worker's /metrics page, as (labels, value), from one
    scrape; None when the page does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            page = response.read().decode()
    except OSError:
        return None
    samples = []
    for line in page.splitlines():
        if not (line.startswith(name + "{") or line.startswith(name + " ")):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0] if "{" in line else ""))
        samples.append((found, float(line.rsplit(" ", 1)[1])))
    return samples


def _matching(samples: list[tuple[dict[str, str], float]], labels: dict[str, str]) -> list[float]:
    """The values of the samples whose labels include ``labels``."""
    return [value for found, value in samples if labels.items() <= found.items()]


def read_metric(port: int, name: str, labels: dict[str, str]) -> float | None:
    """Value of one sample on a worker's /metrics page; None when absent or unreachable."""
    samples = metric_samples(port, name)
    values = _matching(samples, labels) if samples is not None else []
    return values[0] if values else None


def metric_sum(port: int, name: str, labels: dict[str, str]) -> float | None:
    """The sum of every sample of ``name`` whose labels include ``labels`` (e.g. one
    topic's events over all outcomes); None when the worker's /metrics does not answer."""
    samples = metric_samples(port, name)
    return None if samples is None else sum(_matching(samples, labels), 0.0)


def processed_inputs(port: int, outcomes: Collection[str] | None = None) -> float:
    """Input records (the four input topics) the worker processed, of ``outcomes`` (every
    outcome by default), from one scrape; 0 when its /metrics does not answer."""
    samples = metric_samples(port, "xlapulse_events_processed_total") or []
    return sum(
        (
            value
            for labels, value in samples
            if labels.get("topic") in INPUT_TOPICS
            and (outcomes is None or labels.get("outcome") in outcomes)
        ),
        0.0,
    )


def scrape_metric(port: int, name: str, labels: dict[str, str]) -> float:
    """A counter's value, 0 when absent: a labelled counter appears only once it moved.

    Use :func:`read_metric` for gauges, whose absence is a failure, not a zero.
    """
    value = read_metric(port, name, labels)
    return 0.0 if value is None else value


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """The next offset to be written, per partition of ``topic``."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close()


def committed_offsets(bootstrap: str, group_id: str, topic: str | None = None) -> dict:
    """The offsets a consumer group committed (acknowledged): per partition of ``topic``,
    or, without a topic, per (topic, partition) of every topic the group committed."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        offsets = admin.list_group_offsets(group_id).get(group_id, {})
    finally:
        admin.close()
    if topic is None:
        return {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items()}
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}


def start_group_at_input_ends(bootstrap: str, group_id: str) -> dict[str, int]:
    """Commit ``group_id``'s offsets at the current end of every input topic partition,
    so a new engine's worker reads only what is sent after this, not everything earlier
    tests sent to the shared topics (a catch-up that cost minutes per test). Returns
    the records each input topic holds now (per topic, all partitions)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id)
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in INPUT_TOPICS
            for partition in consumer.partitions_for_topic(topic) or ()
        ]
        consumer.assign(partitions)
        ends = consumer.end_offsets(partitions)
        consumer.commit({tp: OffsetAndMetadata(offset, "", -1) for tp, offset in ends.items()})
    finally:
        consumer.close()
    held: dict[str, int] = dict.fromkeys(INPUT_TOPICS, 0)
    for tp, offset in ends.items():
        held[tp.topic] += offset
    return held


def influxql(
    url: str, database: str, query: str, auth: tuple[str, str] | None = None
) -> list[dict[str, Any]]:
    """Run an InfluxQL query over HTTP (``auth``: user name and password, sent with HTTP
    basic authentication); return the series of the first statement."""
    params = urllib.parse.urlencode({"db": database, "q": query, "epoch": "ms"})
    request = urllib.request.Request(f"{url}/query?{params}")
    if auth is not None:
        request.add_header(
            "Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode()
        )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.loads(response.read())
    statement = body["results"][0]
    if "database not found" in statement.get("error", ""):
        return []  # the engine creates it on its first write
    if "error" in statement:
        raise AssertionError(f"InfluxQL error: {statement['error']} in {query}")
    return statement.get("series", [])


class WorkerProcess:
    """``xlapulse worker`` in a subprocess with its own settings; logs go to a file."""

    def __init__(self, env: dict[str, str], log_path: Path, python: str = sys.executable) -> None:
        self.env = env
        self.log_path = log_path
        self.python = python  # another install's interpreter runs another version
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [self.python, "-m", "xlapulse.collectors.cli", "worker"],
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def assert_running(self) -> None:
        assert self._process is not None and self._process.poll() is None, (
            f"worker exited; log tail:\n{self.log_tail()}"
        )

    def stop(self) -> int | None:
        if self._process is None:
            return None
        self._process.terminate()
        try:
            return self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            return self._process.wait()

    def kill(self) -> int:
        """SIGKILL, as a crash or an OOM kill ends a worker: nothing is flushed."""
        assert self._process is not None
        self._process.kill()
        return self._process.wait(timeout=30)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def engine_env(
    kafka_bootstrap: str,
    influx_url: str,
    run_id: str,
    data_dir: Path,
    partitions: int,
    *,
    short_sink_batches: bool = True,
) -> tuple[dict[str, str], int, str]:
    """Environment of a test engine worker: (env, metrics port, InfluxDB database).

    Each run gets its own consumer group, database and metrics port. The test days lie
    in the past (random, so reruns never share data), so the late-event policy is
    widened to ten years (the fault tests use 2023) to let them be scored rather than
    dead-lettered. ``short_sink_batches`` halves the cell agent's batch window (0.5 s
    instead of the worker's default 1.0 s), so tests see their points sooner; the
    benchmarks measure the default, as deployed: in a backlog the shorter window
    rewrites each changed cell twice as often.
    """
    metrics_port = free_port()
    database = f"xlapulse_test_{run_id}"
    env = {
        "XLAPULSE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "XLAPULSE_INFLUX_URL": influx_url,
        "XLAPULSE_INFLUX_DATABASE": database,
        "XLAPULSE_ENGINE_ID": f"xlapulse-test-{run_id}",
        "XLAPULSE_ENGINE_DATA_DIR": str(data_dir),
        "XLAPULSE_ENGINE_SESSION_TIMEOUT_S": "6",
        "XLAPULSE_TOPIC_PARTITIONS": str(partitions),
        "XLAPULSE_METRICS_PORT": str(metrics_port),
        "XLAPULSE_MAX_EVENT_AGE_S": str(10 * 365 * 86_400),
    }
    if short_sink_batches:
        env["XLAPULSE_SINK_BATCH_WITHIN_S"] = "0.5"
    return env, metrics_port, database


def five_logons(at: datetime, site: str) -> list[EventBase]:
    """Five users assigned to one persona and a site of their own, then a logon each:
    enough people for the cells to publish (and so write to InfluxDB)."""
    users = [f"u_{uuid.uuid4().hex}" for _ in range(5)]
    assignments = [
        DirectoryAssignmentEvent(
            event_time=at, user_id=user, persona="developer", site=site, department="it"
        )
        for user in users
    ]
    logons = [
        LogonEvent(
            event_time=at + timedelta(seconds=n + 1),
            user_id=user,
            device_id=f"d_{uuid.uuid4().hex}",
            logon_duration_ms=12_000,
        )
        for n, user in enumerate(users)
    ]
    return [*assignments, *logons]
