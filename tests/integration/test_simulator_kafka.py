"""``xlapulse simulate`` delivers to the real Kafka exactly what it writes to NDJSON.

Runs the CLI twice with one seed: once to a file, once to Kafka; then reads the
contract topics back and checks every simulated event arrived once, on its
topic, keyed by its user, with the type header, byte-identical to the file.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from kafka import KafkaConsumer

from xlapulse.collectors.cli import main
from xlapulse.collectors.contract.codec import ContractViolation, parse_event
from xlapulse.collectors.contract.topics import HEADER_EVENT_TYPE, INPUT_TOPICS, topic_for
from xlapulse.collectors.delivery.topics_admin import ensure_topics

from .conftest import Services

pytestmark = pytest.mark.integration

PARTITIONS = 3


def _simulate(runner: CliRunner, extra: list[str], env: dict[str, str]) -> str:
    arguments = ["simulate", "--endpoints", "40", "--days", "2", "--seed", "11", *extra]
    result = runner.invoke(main, arguments, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_simulated_events_reach_their_topics(services: Services, tmp_path: Path) -> None:
    ensure_topics(services.kafka_bootstrap, PARTITIONS)
    runner = CliRunner()
    env = {"XLAPULSE_KAFKA_BOOTSTRAP": services.kafka_bootstrap}
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(
        "name: it\nincidents:\n"
        "  - {kind: gpo_slow_logons, name: gpo, start: {day: 0, at: '06:00'},"
        " duration_min: 300, extra_logon_s: 30}\n"
    )
    output = tmp_path / "events.ndjson"
    # A random Monday, so reruns against a kept data directory never share events.
    first_day = date(2025, 3, 3) + timedelta(weeks=random.randrange(0, 80))
    same_run = ["--scenario", str(scenario), "--first-day", first_day.isoformat()]
    _simulate(runner, [*same_run, "--output", str(output)], env)
    printed = _simulate(runner, same_run, env)
    expected = {parse_event(line).event_id: line for line in output.read_bytes().splitlines()}
    assert f"{len(expected):,} events" in printed

    consumer = KafkaConsumer(
        *INPUT_TOPICS,
        bootstrap_servers=services.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=5_000,
        group_id=f"simulator-it-{uuid.uuid4().hex}",
    )
    arrived: Counter[uuid.UUID] = Counter()
    try:
        for record in consumer:
            try:
                event = parse_event(record.value)
            except ContractViolation:
                continue  # another test's deliberately bad record (the topics are shared)
            if event.event_id not in expected:
                continue  # earlier runs against a kept data directory
            arrived[event.event_id] += 1
            assert record.value == expected[event.event_id]
            assert record.topic == topic_for(event)
            assert record.key == event.user_id.encode()
            assert dict(record.headers)[HEADER_EVENT_TYPE] == event.event_type.encode()
    finally:
        consumer.close()
    assert set(arrived) == set(expected), f"{len(expected) - len(arrived)} events missing"
    assert set(arrived.values()) == {1}
