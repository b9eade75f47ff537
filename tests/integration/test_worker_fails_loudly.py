"""A worker never stalls silently: a crash ends it loudly, SIGTERM ends it in time.

Real Kafka and InfluxDB (deploy/local/services), one worker subprocess per test with its
own engine id, so its internal topics and consumer group are its own; the group starts
at the end of the shared input topics (what earlier tests sent is not read).

The crash is a real failure mode, provoked without any test hook in the engine: a record
on the engine's internal ``<engine id>-device-signals`` topic that is not JSON. Only the
engine writes that topic, so such a record means an engine bug or two engine versions
sharing an engine id; ``follow_devices`` raises on it. Before issue 17, Faust restarted
the agent, which never resumed, while the worker kept committing and looked healthy.
"""

from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer

from tests.shared_helpers import wait_until
from xlapulse.collectors.contract.topics import (
    DEAD_LETTER_TOPIC,
    HEADER_DEAD_LETTER_REASON,
    HEADER_DEAD_LETTER_SOURCE,
)
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings
from xlapulse.collectors.delivery.topics_admin import ensure_topics
from xlapulse.streams.tables import device_signals_topic_name
from xlapulse.streams.worker import CRASH_VISIBLE_S, STOP_DEADLINE_S

from .conftest import TOPIC_PARTITIONS, Services
from .helpers import (
    WorkerProcess,
    committed_offsets,
    engine_env,
    five_logons,
    influxql,
    read_metric,
    scrape_metric,
    start_group_at_input_ends,
)

pytestmark = pytest.mark.integration


def _ready_status(port: int) -> int | None:
    """The HTTP status of the worker's /ready, None when nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def _new_engine(services: Services) -> str:
    """A new engine's run id, its consumer group at the end of the input topics."""
    ensure_topics(services.kafka_bootstrap, TOPIC_PARTITIONS)
    run_id = uuid.uuid4().hex[:10]
    start_group_at_input_ends(services.kafka_bootstrap, f"xlapulse-test-{run_id}")
    return run_id


def _start_worker(services: Services, tmp_path: Path, run_id: str) -> tuple[WorkerProcess, int]:
    env, metrics_port, _ = engine_env(
        services.kafka_bootstrap, services.influx_url, run_id, tmp_path, TOPIC_PARTITIONS
    )
    worker = WorkerProcess(env=env, log_path=tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log")
    worker.start()
    return worker, metrics_port


def _wait_for_exit(worker: WorkerProcess, timeout_s: float) -> int:
    process = worker._process
    assert process is not None
    wait_until(lambda: process.poll() is not None, timeout_s, "the worker to exit")
    return process.returncode


def test_an_agent_crash_is_loud_and_commits_nothing(services: Services, tmp_path: Path) -> None:
    run_id = _new_engine(services)
    worker, port = _start_worker(services, tmp_path, run_id)
    try:
        wait_until(lambda: _ready_status(port) == 200, 90, "the worker to be ready")
        engine_id = f"xlapulse-test-{run_id}"
        topic = device_signals_topic_name(engine_id)
        producer = KafkaProducer(bootstrap_servers=services.kafka_bootstrap)
        sent = producer.send(topic, key=b"d_poison", value=b"{not json").get(timeout=10)
        producer.close()

        crashed = {"agent": "follow_devices"}
        wait_until(
            lambda: read_metric(port, "xlapulse_agent_crashes_total", crashed) == 1,
            60,
            "the crash on /metrics",
        )
        assert read_metric(port, "xlapulse_worker_ready", {}) == 0
        assert _ready_status(port) == 503
        assert _wait_for_exit(worker, CRASH_VISIBLE_S + 20) == 1
        assert "agent follow_devices crashed" in worker.log_path.read_text()
        committed = committed_offsets(services.kafka_bootstrap, engine_id, topic)
        assert committed.get(sent.partition, 0) <= sent.offset, "the crashed record is not acked"

        # Nothing was skipped: the next worker of the group reads the same record again.
        worker, port = _start_worker(services, tmp_path, run_id)
        assert _wait_for_exit(worker, 90 + CRASH_VISIBLE_S) == 1
        assert "agent follow_devices crashed" in worker.log_path.read_text()
    finally:
        worker.stop()


def test_sigterm_while_influxdb_is_down_ends_in_time_and_loses_nothing(
    services: Services, tmp_path: Path
) -> None:
    """The sink retries a write until InfluxDB takes it, and Faust's graceful stop waits
    for the batch in hand: SIGTERM alone would wait for InfluxDB. The worker exits with
    code 1 at ``STOP_DEADLINE_S`` instead, without committing the unwritten batch, and
    the next worker writes its scores once InfluxDB is back."""
    run_id = _new_engine(services)
    worker, port = _start_worker(services, tmp_path, run_id)
    site = f"site-{run_id}"
    events = five_logons(datetime.now(UTC) - timedelta(minutes=5), site)
    producer = EventProducer(ProducerSettings(bootstrap_servers=services.kafka_bootstrap))
    services.control("stop", "influxdb")
    try:
        wait_until(lambda: _ready_status(port) == 200, 90, "the worker to be ready")
        producer.send_all(events)
        wait_until(
            lambda: scrape_metric(port, "xlapulse_sink_errors_total", {}) >= 2,
            60,
            "failed writes while InfluxDB is down",
        )
        process = worker._process
        assert process is not None
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=STOP_DEADLINE_S + 10)
        stop_s = time.monotonic() - started
    finally:
        producer.close()
        services.control("start", "influxdb")
    assert STOP_DEADLINE_S - 1 <= stop_s <= STOP_DEADLINE_S + 2, f"stopped in {stop_s:.1f} s"
    assert process.returncode == 1
    assert f"did not stop within {STOP_DEADLINE_S:.0f} s" in worker.log_path.read_text()

    worker, _ = _start_worker(services, tmp_path, run_id)
    try:
        database = f"xlapulse_test_{run_id}"
        query = (
            'SELECT "samples" FROM "experience_score" WHERE "touch_point" = \'logon\' '
            f"AND \"window\" = '1h' AND \"site\" = '{site}'"
        )
        written = wait_until(
            lambda: influxql(services.influx_url, database, query),
            120,
            "the unwritten batch's scores from the next worker",
        )
        assert sum(value for series in written for _, value in series["values"]) == 5
    finally:
        worker.stop()


def test_a_point_influxdb_refuses_goes_to_the_dead_letter_topic(
    services: Services, tmp_path: Path
) -> None:
    """The worker's database already holds this hour's logon ``samples`` as a string (a
    field type conflict, 400): every point of the measurement there is refused. Each is
    counted, sent to the dead-letter topic with source ``influxdb`` and InfluxDB's reason
    once Kafka acknowledged it, and the worker goes on (it is still ready)."""
    run_id = _new_engine(services)
    site = f"site-{run_id}"
    at = datetime.now(UTC) - timedelta(minutes=5)
    database = f"xlapulse_test_{run_id}"
    hour_ns = int(at.timestamp()) // 3600 * 3600 * 10**9
    conflict = f'experience_score,site={site} samples="five" {hour_ns}'
    wait_until(
        lambda: _write_to_new_database(services.influx_url, database, conflict),
        30,
        f"InfluxDB to create {database} and take the conflicting point",
    )
    worker, port = _start_worker(services, tmp_path, run_id)
    producer = EventProducer(ProducerSettings(bootstrap_servers=services.kafka_bootstrap))
    try:
        producer.send_all(five_logons(at, site))
        dead = wait_until(
            lambda: [
                record
                for record in _all_records(services.kafka_bootstrap, DEAD_LETTER_TOPIC)
                if site.encode() in record.value
            ],
            120,
            "the refused point on the dead-letter topic",
        )
        assert scrape_metric(port, "xlapulse_sink_rejected_points_total", {}) >= 1
        headers = dict(dead[0].headers)
        assert headers[HEADER_DEAD_LETTER_SOURCE] == b"influxdb"
        assert b"400" in headers[HEADER_DEAD_LETTER_REASON]
        assert dead[0].value.startswith(b"experience_score,")
        assert _ready_status(port) == 200, "one refused point never stalls the worker"
    finally:
        producer.close()
        worker.stop()


def _write_to_new_database(url: str, database: str, line: str) -> bool:
    """Create ``database`` and write ``line`` to it; False when the write found no such
    database (one CI run saw a 404 right after a 200 for CREATE DATABASE, just after the
    test before restarted InfluxDB), so the caller tries again. Any other error raises
    with InfluxDB's own message."""
    create = urllib.parse.urlencode({"q": f'CREATE DATABASE "{database}"'})
    request = urllib.request.Request(f"{url}/query?{create}", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        statement = json.loads(response.read())["results"][0]
    assert "error" not in statement, f"CREATE DATABASE {database}: {statement['error']}"
    write = urllib.parse.urlencode({"db": database})
    request = urllib.request.Request(f"{url}/write?{write}", data=line.encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10):
            return True
    except urllib.error.HTTPError as error:
        answer = error.read().decode(errors="replace")
        if error.code == 404 and "database not found" in answer:
            return False
        raise AssertionError(f"writing {line!r}: {error.code} {answer}") from None


def _all_records(bootstrap: str, topic: str) -> list[Any]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=2_000,
    )
    try:
        return list(consumer)
    finally:
        consumer.close()
