"""A storm of dead letters logs a few lines, never one per record
(``streams/dead_letter_log.py``), and says how many it did not log."""

from __future__ import annotations

import logging

import pytest

from xlapulse.streams.dead_letter_log import LOG_EVERY_S, DeadLetterLog

LOGGER = "xlapulse.test.dead_letters"


def test_a_storm_logs_one_line_per_source_per_period_with_the_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    dead_letters = DeadLetterLog(logging.getLogger(LOGGER), clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for n in range(1_000):
            now[0] = n * 0.01  # 1,000 dead letters in 10 s
            dead_letters.dead_lettered("xlapulse.telemetry.v1", f"future event {n}")
        dead_letters.dead_lettered("xlapulse.tickets.v1", "late event")
        now[0] = LOG_EVERY_S
        dead_letters.dead_lettered("xlapulse.telemetry.v1", "future event 1000")
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "dead-lettering a record from xlapulse.telemetry.v1: future event 0",
        "dead-lettering a record from xlapulse.tickets.v1: late event",
        "dead-lettering a record from xlapulse.telemetry.v1: future event 1000 (and 999 more "
        "from it in the last 10 s not logged: xlapulse_dead_letters_total counts them, the "
        "dead-letter topic has their reasons)",
    ]


def test_dead_letters_further_apart_than_the_period_are_each_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    dead_letters = DeadLetterLog(logging.getLogger(LOGGER), clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for n in range(3):
            now[0] = n * LOG_EVERY_S
            dead_letters.dead_lettered("influxdb", f"point {n} refused")
    assert [record.getMessage() for record in caplog.records] == [
        f"dead-lettering a record from influxdb: point {n} refused" for n in range(3)
    ]
