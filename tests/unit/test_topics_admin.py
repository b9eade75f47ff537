"""The partition-count check of ``ensure_topics`` on kafka-python 3's real ``describe_topics``
answer (captured from Kafka 4.1.1, tests/data/kafka/PROVENANCE.md), through a fake admin."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from xlapulse.collectors.contract.topics import DIRECTORY_TOPIC, INPUT_TOPICS
from xlapulse.collectors.delivery import topics_admin
from xlapulse.collectors.delivery.topics_admin import (
    TopicLayoutError,
    _check_partition_counts,
    partition_counts,
)

DESCRIBED = json.loads(
    (
        Path(__file__).resolve().parents[1] / "data" / "kafka" / "describe_topics_kafka_4.1.1.json"
    ).read_text()
)
UNKNOWN_TOPIC = "xlapulse.no-such-topic.v1"


class FakeAdmin:
    """Answers ``describe_topics`` from a list of captured answers, one per call."""

    def __init__(self, *answers: list[dict[str, Any]]) -> None:
        self._answers = list(answers)
        self.calls = 0

    def describe_topics(self, topics: list[str]) -> list[dict[str, Any]]:
        self.calls += 1
        answer = self._answers.pop(0) if len(self._answers) > 1 else self._answers[0]
        return [topic for topic in answer if topic["name"] in topics]


def captured(partitions_of_directory: int | None = None) -> list[dict[str, Any]]:
    """The captured answer, optionally with the directory topic trimmed to n partitions."""
    answer = copy.deepcopy(DESCRIBED)
    for topic in answer:
        if topic["name"] == DIRECTORY_TOPIC and partitions_of_directory is not None:
            topic["partitions"] = topic["partitions"][:partitions_of_directory]
    return answer


def test_partition_counts_reads_the_kafka_4_answer() -> None:
    known = [topic for topic in DESCRIBED if topic["name"] != UNKNOWN_TOPIC]
    assert partition_counts(known) == {
        DIRECTORY_TOPIC: 4,
        "xlapulse.surveys.v1": 3,
        "xlapulse.tickets.v1": 3,
        "xlapulse.telemetry.v1": 3,
    }


def test_differing_partition_counts_raise_the_clear_error() -> None:
    admin = FakeAdmin(captured())
    with pytest.raises(TopicLayoutError, match="must all have 3 partitions") as raised:
        _check_partition_counts(admin, 3)  # type: ignore[arg-type]
    assert str(raised.value).endswith(f"found {{'{DIRECTORY_TOPIC}': 4}}")


def test_equal_partition_counts_pass() -> None:
    _check_partition_counts(FakeAdmin(captured(partitions_of_directory=3)), 3)  # type: ignore[arg-type]


def test_a_topic_not_yet_in_the_metadata_is_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(topics_admin, "DESCRIBE_RETRY_S", 0.0)
    not_yet = [
        topic if topic["name"] != DIRECTORY_TOPIC else {**_unknown(), "name": DIRECTORY_TOPIC}
        for topic in captured(partitions_of_directory=3)
    ]
    admin = FakeAdmin(not_yet, captured(partitions_of_directory=3))
    _check_partition_counts(admin, 3)  # type: ignore[arg-type]
    assert admin.calls == 2


def test_a_topic_that_stays_unknown_is_named() -> None:
    missing = [{**_unknown(), "name": name} for name in INPUT_TOPICS]
    with pytest.raises(TopicLayoutError, match="UnknownTopicOrPartitionError") as raised:
        _check_partition_counts(FakeAdmin(missing), 3, wait_s=0.0)  # type: ignore[arg-type]
    assert raised.value.retriable


def _unknown() -> dict[str, Any]:
    (unknown,) = (topic for topic in DESCRIBED if topic["name"] == UNKNOWN_TOPIC)
    return copy.deepcopy(unknown)
