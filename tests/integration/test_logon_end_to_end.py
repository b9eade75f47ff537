"""Logon experience end to end on the real servers.

Simulator -> kafka-python -> Kafka -> Faust worker (subprocess) -> InfluxDB ->
the generated Grafana dashboard's InfluxQL queries. The in-process pipeline,
fed the same events, is the oracle for the expected scores.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from kafka import KafkaConsumer, KafkaProducer

from tests.shared_helpers import wait_until
from xlapulse.collectors.contract.codec import encode_event
from xlapulse.collectors.contract.topics import (
    DEAD_LETTER_TOPIC,
    HEADER_DEAD_LETTER_REASON,
    HEADER_DEAD_LETTER_SOURCE,
    TELEMETRY_TOPIC,
)
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings
from xlapulse.collectors.delivery.topics_admin import ensure_topics
from xlapulse.collectors.simulator.fleet import Fleet
from xlapulse.dashboards.main import GENERATED_DIR
from xlapulse.streams.inprocess import InProcessPipeline
from xlapulse.streams.scoring.published import Record
from xlapulse.streams.tables import observations_topic_name

from .conftest import Engine, Services
from .helpers import (
    WorkerProcess,
    committed_offsets,
    end_offsets,
    influxql,
    scrape_metric,
)

pytestmark = pytest.mark.integration

PARTITIONS = 3
ENDPOINTS = 300
#: Retries back off 0.2, 0.4, 0.8, 1.6 s...: five failed writes take over 3 s, longer
#: than Faust's commit interval (2.8 s), so a sink that dropped would have committed.
FAILED_WRITES_BEFORE_CHECK = 5


@pytest.fixture(scope="module")
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="module")
def logon_day(run_id: str) -> datetime:
    """A random past Monday, so reruns against kept data never share a time range."""
    rng = random.Random(run_id)
    monday = datetime(2025, 1, 6, tzinfo=UTC) + timedelta(weeks=rng.randrange(0, 80))
    return monday


@pytest.fixture(scope="module")
def fleet(run_id: str) -> Fleet:
    return Fleet(ENDPOINTS, seed=int(run_id, 16) % 100_000)


@pytest.fixture(scope="module")
def producer(services: Services) -> Iterator[EventProducer]:
    ensure_topics(services.kafka_bootstrap, PARTITIONS)
    producer = EventProducer(ProducerSettings(bootstrap_servers=services.kafka_bootstrap))
    yield producer
    producer.close()


@pytest.fixture(scope="module")
def worker(engine: Engine) -> tuple[WorkerProcess, int, str]:
    return engine.process, engine.metrics_port, engine.database


def _processed(port: int, topic: str, outcome: str = "ok") -> float:
    return scrape_metric(
        port, "xlapulse_events_processed_total", {"topic": topic, "outcome": outcome}
    )


def _logon_at(fleet: Fleet, day: datetime, when: datetime) -> bytes:
    """A valid logon of the fleet, re-stamped to ``when`` with a fresh event id."""
    logon = next(iter(fleet.logon_events(day)))
    return encode_event(logon.model_copy(update={"event_time": when, "event_id": uuid.uuid4()}))


def _acknowledged(
    kafka: str, group_id: str, topic: str, ends: dict[int, int] | None = None
) -> dict[int, int]:
    """The group's committed offset per partition of ``topic`` (0 where it committed none);
    ``ends``: the topic's end offsets when the caller has read them already."""
    committed = committed_offsets(kafka, group_id, topic)
    partitions = end_offsets(kafka, topic) if ends is None else ends
    return {partition: committed.get(partition, 0) for partition in partitions}


def _all_acknowledged(kafka: str, group_id: str, topic: str) -> dict[int, int] | None:
    """The group's committed offsets on ``topic`` when they reached its end, else None."""
    ends = end_offsets(kafka, topic)
    return ends if _acknowledged(kafka, group_id, topic, ends) == ends else None


#: The logon drill-down's panels whose values the oracle gives.
CHECKED_PANELS = (
    "Logon experience score per persona",
    "Hours lost over logon targets",
    "Logon experience score per site",
)


def _dashboard_queries() -> list[str]:
    dashboard = json.loads((GENERATED_DIR / "xlapulse-logon.json").read_text())
    by_title = {panel["title"]: panel.get("targets", []) for panel in dashboard["panels"]}
    return [by_title[title][0]["query"] for title in CHECKED_PANELS]


def _day_filter(day: datetime) -> str:
    """InfluxQL time condition covering one UTC day."""
    start = day.strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (day + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"time >= '{start}' AND time < '{end}'"


def _oracle_scores(fleet: Fleet, day: datetime, logons: list) -> list[ScoreCell]:
    """Logon scores the in-process pipeline publishes for the fleet's directory plus ``logons``."""
    oracle = InProcessPipeline()
    for event in [*fleet.directory_events(day), *logons]:
        oracle.feed_event(event)
    return [
        ScoreCell.from_record(record)
        for record in oracle.latest("experience_score", touch_point="logon")
    ]


@dataclass(frozen=True)
class ScoreCell:
    """One published logon score cell, as the oracle computed it."""

    persona: str
    site: str
    window: str
    window_start_ms: int
    score: float
    good: int
    tolerating: int
    samples: int
    users: int
    time_lost_ms: int

    @classmethod
    def from_record(cls, record: Record) -> ScoreCell:
        return cls(
            **{tag: record.tags[tag] for tag in ("persona", "site", "window")},
            window_start_ms=record.time_ns // 1_000_000,
            **{
                name: record.fields[name]
                for name in ("score", "good", "tolerating", "samples", "users", "time_lost_ms")
            },
        )


def _as_grafana_would(query: str, day: datetime) -> str:
    """Expand the Grafana macros and variables the way the InfluxDB data source does."""
    return (
        query.replace("$timeFilter", _day_filter(day))
        .replace("$__interval", "1h")
        .replace("/^$persona$/", "/.*/")
        .replace("/^$site$/", "/.*/")
    )


def test_logon_scores_reach_the_dashboard_queries(
    producer: EventProducer,
    worker: tuple[WorkerProcess, int, str],
    fleet: Fleet,
    logon_day: datetime,
    services: Services,
) -> None:
    process, metrics_port, database = worker
    before_directory = _processed(metrics_port, "xlapulse.directory.v1")
    producer.send_all(fleet.directory_events(logon_day - timedelta(days=1)))
    wait_until(
        lambda: _processed(metrics_port, "xlapulse.directory.v1") >= before_directory + ENDPOINTS,
        120,
        "the worker to store every directory assignment",
    )
    logons = list(fleet.logon_events(logon_day))
    producer.send_all(logons)

    expected = {
        (point.persona, point.site, point.window_start_ms): point
        for point in _oracle_scores(fleet, logon_day, logons)
        if point.window == "1h"
    }
    assert expected, "the scenario must publish at least one cell with 5+ people"

    cell_query = (
        'SELECT "score", "samples", "users" FROM "experience_score" '
        f"WHERE \"window\" = '1h' AND \"touch_point\" = 'logon' AND {_day_filter(logon_day)} "
        'GROUP BY "persona", "site"'
    )

    def all_cells_written() -> dict | None:
        process.assert_running()
        cells = {}
        for series in influxql(services.influx_url, database, cell_query):
            for time_ms, score, samples, users in series["values"]:
                cells[(series["tags"]["persona"], series["tags"]["site"], time_ms)] = (
                    score,
                    samples,
                    users,
                )
        complete = all(
            cells.get(key) == (point.score, point.samples, point.users)
            for key, point in expected.items()
        )
        return cells if complete else None

    written = wait_until(all_cells_written, 120, "every expected score cell in InfluxDB")
    assert all(users >= 5 for _, _, users in written.values()), "k-anonymity: 5+ people per cell"

    persona_query, hours_lost_query, site_query = (
        _as_grafana_would(query, logon_day) for query in _dashboard_queries()
    )
    persona_series = influxql(services.influx_url, database, persona_query)
    assert {series["tags"]["persona"] for series in persona_series} == {
        persona for persona, _, _ in expected
    }
    for series in persona_series:
        persona = series["tags"]["persona"]
        for time_ms, score in series["values"]:
            cells = [p for (name, _, t), p in expected.items() if name == persona and t == time_ms]
            weighted = (
                100 * sum(p.good + p.tolerating / 2 for p in cells) / sum(p.samples for p in cells)
            )
            assert score == pytest.approx(weighted), (persona, time_ms)
    hours_lost = influxql(services.influx_url, database, hours_lost_query)[0]["values"][0][1]
    assert hours_lost == pytest.approx(sum(p.time_lost_ms for p in expected.values()) / 3_600_000)
    assert {s["tags"]["site"] for s in influxql(services.influx_url, database, site_query)} == {
        site for _, site, _ in expected
    }


def test_bad_records_are_dead_lettered_and_the_worker_keeps_running(
    producer: EventProducer,
    worker: tuple[WorkerProcess, int, str],
    fleet: Fleet,
    logon_day: datetime,
    services: Services,
    run_id: str,
) -> None:
    process, metrics_port, _ = worker
    raw_user_logon = next(iter(fleet.logon_events(logon_day))).model_dump(mode="json")
    raw_user_logon["user_id"] = "CORP\\jdoe"  # a clear-text identity must never pass
    bad_records = {
        f"{run_id}-not-json".encode(): b"{this is not json",
        f"{run_id}-raw-user".encode(): json.dumps(raw_user_logon).encode(),
        f"{run_id}-future-major".encode(): json.dumps({"schema_version": "2.0"}).encode(),
        f"{run_id}-clock-ahead".encode(): _logon_at(
            fleet, logon_day, datetime.now(UTC) + timedelta(days=1)
        ),
        # older than the test workers' 10-year late-event horizon (helpers.engine_env)
        f"{run_id}-too-old".encode(): _logon_at(fleet, logon_day, datetime(2009, 1, 5, tzinfo=UTC)),
    }
    ok_before = _processed(metrics_port, TELEMETRY_TOPIC)
    dead_before = _processed(metrics_port, TELEMETRY_TOPIC, "dead_letter")
    future_before = _processed(metrics_port, TELEMETRY_TOPIC, "future")
    late_before = _processed(metrics_port, TELEMETRY_TOPIC, "late")
    raw_producer = KafkaProducer(bootstrap_servers=services.kafka_bootstrap, acks="all")
    for key, value in bad_records.items():
        raw_producer.send(TELEMETRY_TOPIC, key=key, value=value)
    raw_producer.close()
    good = list(fleet.logon_events(logon_day + timedelta(days=7)))[:5]
    producer.send_all(good)

    wait_until(
        lambda: _processed(metrics_port, TELEMETRY_TOPIC) >= ok_before + len(good),
        120,
        "valid logons after the bad records to be processed",
    )
    process.assert_running()
    assert _processed(metrics_port, TELEMETRY_TOPIC, "dead_letter") >= dead_before + 3

    consumer = KafkaConsumer(
        DEAD_LETTER_TOPIC,
        bootstrap_servers=services.kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
        group_id=f"dead-letter-check-{run_id}",
    )
    try:
        found = {
            record.key: (record.value, dict(record.headers))
            for record in consumer
            if record.key in bad_records
        }
    finally:
        consumer.close()
    assert set(found) == set(bad_records)
    for key, (value, headers) in found.items():
        assert value == bad_records[key], "the original bytes are kept"
        assert headers[HEADER_DEAD_LETTER_SOURCE] == TELEMETRY_TOPIC.encode()
    reasons = {key: found[key][1][HEADER_DEAD_LETTER_REASON].decode() for key in found}
    assert "not UTF-8 JSON" in reasons[f"{run_id}-not-json".encode()]
    assert "user_id" in reasons[f"{run_id}-raw-user".encode()]
    assert "2.0 is not supported" in reasons[f"{run_id}-future-major".encode()]
    assert "future event" in reasons[f"{run_id}-clock-ahead".encode()]
    assert "late event" in reasons[f"{run_id}-too-old".encode()]
    assert _processed(metrics_port, TELEMETRY_TOPIC, "future") == future_before + 1
    assert _processed(metrics_port, TELEMETRY_TOPIC, "late") == late_before + 1


def test_influxdb_outage_delays_scores_but_loses_none(
    producer: EventProducer,
    worker: tuple[WorkerProcess, int, str],
    fleet: Fleet,
    logon_day: datetime,
    services: Services,
    engine: Engine,
) -> None:
    process, metrics_port, database = worker
    outage_day = logon_day + timedelta(days=14)
    logons = list(fleet.logon_events(outage_day))
    errors_before = scrape_metric(metrics_port, "xlapulse_sink_errors_total", {})
    observations = observations_topic_name(engine.engine_id)
    kafka = services.kafka_bootstrap
    acknowledged_before = wait_until(
        lambda: _all_acknowledged(kafka, engine.engine_id, observations),
        60,
        "the engine to acknowledge every earlier observation",
    )

    services.control("stop", "influxdb")
    try:
        producer.send_all(logons)
        wait_until(
            lambda: (
                scrape_metric(metrics_port, "xlapulse_sink_errors_total", {})
                >= errors_before + FAILED_WRITES_BEFORE_CHECK
            ),
            120,
            f"{FAILED_WRITES_BEFORE_CHECK} failed writes while InfluxDB is down",
        )
        process.assert_running()
        assert end_offsets(kafka, observations) != acknowledged_before, (
            "the outage day's observations reached the engine's topic"
        )
        assert _acknowledged(kafka, engine.engine_id, observations) == acknowledged_before, (
            "records must not be acknowledged while their scores are unwritten"
        )
    finally:
        services.control("start", "influxdb")

    expected = {
        (p.persona, p.site, p.window, p.window_start_ms): (p.score, p.good, p.tolerating, p.samples)
        for p in _oracle_scores(fleet, outage_day, logons)
    }
    query = (
        'SELECT "score", "good", "tolerating", "samples" FROM "experience_score" '
        f"WHERE \"touch_point\" = 'logon' AND {_day_filter(outage_day)} "
        'GROUP BY "persona", "site", "window"'
    )

    def scores_written() -> dict | None:
        found = {
            (s["tags"]["persona"], s["tags"]["site"], s["tags"]["window"], t): tuple(counts)
            for s in influxql(services.influx_url, database, query)
            for t, *counts in s["values"]
        }
        return found if found == expected else None

    wait_until(scores_written, 180, "every score of the outage day after InfluxDB returned")
