"""A backlog behind a large directory is scored under its people's personas.

Real Kafka and InfluxDB (deploy/local/services), one worker subprocess with its own engine
id, its group at the end of the shared input topics. A directory sync of 24,000 people
(about 2.6 MB per directory partition, sent without compression: more than the 1 MB one
fetch reads of a partition), then three people's assignments, then 120 logons of each
of them (more than the 50 events the engine holds for a person without an assignment,
``scoring/user_state.py``). The worker starts after everything is in Kafka, as after a
replay or an outage.

Without ``streams/directory_first.py`` the worker handed over the logons with the
directory's first megabyte, before the three assignments further down their
partitions: each person's first 50 logons were held, then all of them were scored as
persona ``unassigned``. With it, the logon partitions wait until the directory partition
of their number is handed over up to its end.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.shared_helpers import wait_until
from xlapulse.collectors.contract.events import DirectoryAssignmentEvent, EventBase, LogonEvent
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings
from xlapulse.collectors.delivery.topics_admin import ensure_topics

from .conftest import TOPIC_PARTITIONS, Services
from .helpers import (
    WorkerProcess,
    engine_env,
    processed_inputs,
    scrape_metric,
    start_group_at_input_ends,
)

pytestmark = pytest.mark.integration

DIRECTORY_PEOPLE = 24_000
PEOPLE = 3
LOGONS_EACH = 120


def assignment(user: str, at: datetime) -> DirectoryAssignmentEvent:
    return DirectoryAssignmentEvent(
        event_time=at, user_id=user, persona="developer", site="rotterdam", department="it"
    )


def backlog(at: datetime) -> tuple[list[EventBase], list[str]]:
    """The directory sync, then the people's assignments, then their logons."""
    sync: list[EventBase] = [
        assignment(f"u_{uuid.uuid4().hex}", at) for _ in range(DIRECTORY_PEOPLE)
    ]
    people = [f"u_{uuid.uuid4().hex}" for _ in range(PEOPLE)]
    logons: list[EventBase] = [
        LogonEvent(
            event_time=at + timedelta(hours=1, minutes=n),
            user_id=user,
            device_id=f"d_{user[2:]}",
            logon_duration_ms=12_000,
        )
        for user in people
        for n in range(LOGONS_EACH)
    ]
    return [*sync, *(assignment(user, at) for user in people), *logons], people


def test_a_backlog_behind_a_large_directory_is_scored_under_its_personas(
    services: Services, tmp_path: Path
) -> None:
    ensure_topics(services.kafka_bootstrap, TOPIC_PARTITIONS)
    run_id = uuid.uuid4().hex[:10]
    start_group_at_input_ends(services.kafka_bootstrap, f"xlapulse-test-{run_id}")
    events, _ = backlog(datetime(2022, 3, 7, 7, 0, tzinfo=UTC))
    # kafka-python spells "no compression" None
    uncompressed = ProducerSettings(
        bootstrap_servers=services.kafka_bootstrap,
        compression_type=None,  # type: ignore[arg-type]
    )
    producer = EventProducer(uncompressed)
    try:
        assert producer.send_all(events) == len(events)
    finally:
        producer.close()

    env, port, _ = engine_env(
        services.kafka_bootstrap, services.influx_url, run_id, tmp_path, TOPIC_PARTITIONS
    )
    worker = WorkerProcess(env=env, log_path=tmp_path / "worker.log")
    worker.start()
    try:

        def all_processed() -> bool:
            worker.assert_running()
            return processed_inputs(port) >= len(events)

        wait_until(all_processed, 240, "the worker to process the backlog")
        assert processed_inputs(port, ("ok",)) == len(events)
        assert scrape_metric(port, "xlapulse_events_unassigned_total", {}) == 0
    finally:
        worker.stop()
