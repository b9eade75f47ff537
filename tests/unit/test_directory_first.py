"""The directory-first gate (streams/directory_first.py): input partitions wait for their
directory partition while it is behind, at most its wait, and nothing else waits."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from faust.types import TP

from xlapulse.collectors.contract.topics import (
    DIRECTORY_TOPIC,
    INPUT_TOPICS,
    SURVEYS_TOPIC,
    TELEMETRY_TOPIC,
    TICKETS_TOPIC,
)
from xlapulse.streams.directory_first import DirectoryFirstGate

OBSERVATIONS = "engine-observations"
PARTITIONS = range(3)
REQUESTED = {TP(topic, p) for topic in (*INPUT_TOPICS, OBSERVATIONS) for p in PARTITIONS}


def gate(max_wait_s: float = 30.0) -> DirectoryFirstGate:
    return DirectoryFirstGate(
        DIRECTORY_TOPIC, frozenset(INPUT_TOPICS) - {DIRECTORY_TOPIC}, max_wait_s
    )


def behind_at(*partitions: int) -> Callable[[TP], bool]:
    return lambda tp: tp.partition in partitions


def test_nothing_waits_while_every_directory_partition_is_caught_up() -> None:
    assert gate().admit(REQUESTED, behind_at(), 0.0) == REQUESTED


def test_the_inputs_of_a_partition_wait_for_its_directory_partition() -> None:
    admitted = gate().admit(REQUESTED, behind_at(1), 0.0)
    held_back = {TP(topic, 1) for topic in (TELEMETRY_TOPIC, TICKETS_TOPIC, SURVEYS_TOPIC)}
    assert admitted == REQUESTED - held_back
    # the directory partition itself is fetched, and so are internal topics
    assert TP(DIRECTORY_TOPIC, 1) in admitted and TP(OBSERVATIONS, 1) in admitted


def test_a_directory_partition_not_requested_holds_nothing_back() -> None:
    requested = {tp for tp in REQUESTED if tp != TP(DIRECTORY_TOPIC, 2)}
    assert gate().admit(requested, behind_at(2), 0.0) == requested


def test_the_wait_ends_after_max_wait_with_one_warning_and_starts_afresh_once_caught_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    directory_gate = gate(max_wait_s=30.0)
    behind = behind_at(0)
    assert TP(TELEMETRY_TOPIC, 0) not in directory_gate.admit(REQUESTED, behind, 100.0)
    assert TP(TELEMETRY_TOPIC, 0) not in directory_gate.admit(REQUESTED, behind, 130.0)
    with caplog.at_level(logging.WARNING):
        assert directory_gate.admit(REQUESTED, behind, 130.5) == REQUESTED
        assert directory_gate.admit(REQUESTED, behind, 200.0) == REQUESTED
    assert len([r for r in caplog.records if "still behind" in r.getMessage()]) == 1
    # caught up, then behind again: a new spell, waiting again
    assert directory_gate.admit(REQUESTED, behind_at(), 201.0) == REQUESTED
    assert TP(TELEMETRY_TOPIC, 0) not in directory_gate.admit(REQUESTED, behind, 202.0)
