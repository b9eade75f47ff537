"""The benchmarks' backlog of several days ends before today (``input_topics.py``): a
day in the future is dead-lettered by the engine, not scored."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.benchmarks.input_topics import backlog_first_day


@pytest.mark.parametrize("days", [1, 2, 5, 8])
@pytest.mark.parametrize("today", [date(2026, 12, 7) + timedelta(days=n) for n in range(7)])
def test_a_backlog_starts_on_a_workday_and_ends_before_today(today: date, days: int) -> None:
    first = backlog_first_day(today, days)
    last = first + timedelta(days=days - 1)
    assert first.weekday() < 5
    assert last < today
    assert today - last <= timedelta(days=3), "as recent as a workday start allows"
