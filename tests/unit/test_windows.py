"""Tumbling-window aggregates: idempotent under replay, k-anonymous when published."""

from __future__ import annotations

from datetime import UTC, datetime

from xlapulse.collectors.contract.events import LogonEvent
from xlapulse.streams.scoring.observations import Assignment, observe_logon
from xlapulse.streams.scoring.pipeline import aggregate
from xlapulse.streams.scoring.windows import (
    MIN_USERS_PER_AGGREGATE,
    WindowAggregate,
    score_point,
    window_label,
    window_start_ms,
)

WHEN = datetime(2026, 11, 23, 8, 7, 30, tzinfo=UTC)
AGENT = Assignment(persona="call_centre_agent", site="utrecht")  # logon target 20 s


def _logon(user_number: int, duration_ms: int) -> LogonEvent:
    return LogonEvent(
        event_time=WHEN,
        user_id=f"u_{user_number:032x}",
        device_id=f"d_{user_number:032x}",
        logon_duration_ms=duration_ms,
    )


def _run(events: list[LogonEvent]) -> dict[str, WindowAggregate]:
    state: dict[str, WindowAggregate] = {}
    for event in events:
        for updated in aggregate(observe_logon(event, AGENT), state.get):
            state[updated.key()] = updated
    return state


def test_windows_are_aligned_to_the_epoch() -> None:
    start = window_start_ms(int(WHEN.timestamp() * 1000), 300)
    assert datetime.fromtimestamp(start / 1000, UTC) == datetime(2026, 11, 23, 8, 5, tzinfo=UTC)
    assert [window_label(s) for s in (300, 3600, 45)] == ["5m", "1h", "45s"]


def test_score_is_100_times_apdex_with_time_lost() -> None:
    durations = [10_000, 15_000, 30_000, 50_000, 90_000]  # 2 good, 2 tolerating, 1 frustrating
    state = _run([_logon(n, d) for n, d in enumerate(durations)])
    hourly = next(a for a in state.values() if a.window_s == 3600)
    point = score_point(hourly)
    assert point is not None
    assert (point.good, point.tolerating, point.frustrating) == (2, 2, 1)
    assert point.score == 60.0  # 100 * (2 + 2/2) / 5
    assert point.time_lost_ms == 10_000 + 30_000 + 70_000
    assert point.users == 5 and point.window == "1h"


def test_a_replayed_event_is_counted_once() -> None:
    events = [_logon(n, 10_000) for n in range(5)]
    once = _run(events)
    twice = _run(events + events)
    assert once == twice


def test_fewer_than_five_people_publish_nothing() -> None:
    four_people_many_logons = [_logon(n % 4, 10_000 + n) for n in range(20)]
    state = _run(four_people_many_logons)
    assert MIN_USERS_PER_AGGREGATE == 5
    assert all(score_point(a) is None for a in state.values())


def test_aggregates_survive_their_table_form() -> None:
    state = _run([_logon(n, 25_000) for n in range(6)])
    for cell in state.values():
        assert WindowAggregate.from_dict(cell.to_dict()) == cell


def test_unassigned_users_are_scored_not_dropped() -> None:
    observation = observe_logon(_logon(1, 25_000), None)
    assert (observation.persona, observation.site) == ("unassigned", "unknown")
    assert observation.target_ms == 30_000
