"""The journey kept one moment at a time equals the whole day recomputed at every sample.

The reference is the per-user step's journey as it was before issue 16: append the
sample to the day's moments, sort them when it came out of time order, keep the latest
``MAX_JOURNEY_MOMENTS``, rebuild every ``Moment`` and score the list (``formula_1_0``,
also checked against today's ``journey_score``). The incremental
journey must give the same day, time and score (to the bit) after every sample, also
when the state goes through JSON between samples (as the Faust agent stores it) and when
it was stored before the running totals were kept.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.engine_events import assignment_event
from xlapulse.collectors.contract.events import LogonEvent, event_time_ms
from xlapulse.streams.scoring import day_journey
from xlapulse.streams.scoring.day_journey import (
    DAY_MS,
    LAST_MOMENT_MS,
    MAX_MOMENT_MS,
    MIN_MOMENT_MS,
    DayJourney,
)
from xlapulse.streams.scoring.journey import JourneyScore, Moment, journey_score
from xlapulse.streams.scoring.observations import JourneyObservation
from xlapulse.streams.scoring.touchpoints import indicate
from xlapulse.streams.scoring.user_model import UserState
from xlapulse.streams.scoring.user_state import step
from xlapulse.streams.scoring.xla import default_xla_config

CONFIG = default_xla_config()
DAY0_MS = 1_795_392_000_000  # 2026-11-23 00:00 UTC
USER = "u_" + "3" * 32
DEVICE = "d_" + "4" * 32


def formula_1_0(moments: list[Moment]) -> JourneyScore:
    """``journey_score`` as it was before issue 16, its ``sum()`` written out left to right
    (what ``sum()`` of floats does up to Python 3.11, the engine's interpreter)."""
    total_s = weighted_score_s = 0.0
    for moment in moments:
        total_s += moment.duration_s
    for moment in moments:
        weighted_score_s += moment.score * moment.duration_s
    mean = weighted_score_s / total_s
    worst = min(moment.score for moment in moments)
    last = moments[-1]
    end = last.score * last.duration_s / last.duration_s
    return JourneyScore(
        score=0.4 * mean + 0.3 * worst + 0.3 * end,
        mean=mean,
        worst=worst,
        end=end,
        moments=len(moments),
    )


def scored(moments: list[list[float]]) -> list[Moment]:
    """Each [time, score] lasting until the next (clamped), the last one a minute."""
    durations = [
        Moment(min(max(next_at - at, MIN_MOMENT_MS), MAX_MOMENT_MS) / 1000, score)
        for (at, score), (next_at, _) in pairwise(moments)
    ]
    return [*durations, Moment(LAST_MOMENT_MS / 1000, moments[-1][1])]


class RecomputedJourney:
    """The journey as the step computed it before issue 16: the whole day at every sample."""

    def __init__(self) -> None:
        self.day_ms: int | None = None
        self.moments: list[list[float]] = []

    def add(self, when_ms: int, score: float) -> tuple[int, int, JourneyScore]:
        day_ms = when_ms - when_ms % DAY_MS
        if self.day_ms is None or day_ms > self.day_ms:
            self.day_ms, self.moments = day_ms, []
        if day_ms == self.day_ms:
            out_of_order = bool(self.moments) and when_ms < self.moments[-1][0]
            self.moments.append([when_ms, score])
            if out_of_order:
                self.moments.sort(key=lambda moment: moment[0])
            del self.moments[: -day_journey.MAX_JOURNEY_MOMENTS]
        moments = scored(self.moments)
        expected = formula_1_0(moments)
        assert journey_score(moments) == expected
        return self.day_ms, int(self.moments[-1][0]), expected


class RecomputedDays:
    """The per-user step's journeys as specified since days may come out of order: the
    latest day as :class:`RecomputedJourney`; a past day, whole, takes a sample later
    than its last moment (one before it changes nothing, None), and a past day never
    seen starts with its first sample."""

    def __init__(self) -> None:
        self.latest = RecomputedJourney()
        self.past: dict[int, list[list[float]]] = {}

    def add(self, when_ms: int, score: float) -> tuple[int, int, JourneyScore] | None:
        day_ms = when_ms - when_ms % DAY_MS
        if self.latest.day_ms is None or day_ms >= self.latest.day_ms:
            if self.latest.day_ms is not None and day_ms > self.latest.day_ms:
                self.past[self.latest.day_ms] = list(self.latest.moments)
            return self.latest.add(when_ms, score)
        moments = self.past.setdefault(day_ms, [])
        if moments and when_ms < moments[-1][0]:
            return None
        moments.append([when_ms, score])
        return day_ms, int(moments[-1][0]), formula_1_0(scored(moments))


def through_json(journey: DayJourney, before_totals: bool) -> DayJourney:
    """The journey as a stored user state gives it back (``before_totals``: a state
    stored before the running totals were kept)."""
    stored = json.loads(json.dumps(UserState(journey=journey).to_dict()))
    if before_totals:
        del stored["journey_settled"]
    return UserState.from_dict(stored).journey


#: Mostly in time order (gaps from 0 s, the streams of one call, to hours), sometimes
#: back in time, now and then into the next day or the one before.
STEPS_MS = st.one_of(
    st.integers(0, 3 * MAX_MOMENT_MS),
    st.sampled_from([0, MIN_MOMENT_MS // 2, 2 * MAX_MOMENT_MS, DAY_MS]),
    st.integers(-4 * MAX_MOMENT_MS, 0),
    st.just(-DAY_MS),
)
SCORES = st.one_of(st.sampled_from([0.0, 50.0, 100.0]), st.floats(0, 100))
#: After a sample: keep the state in memory, store it, or store it the old way.
STORAGE = st.sampled_from(["memory", "memory", "json", "json before totals"])
SAMPLES = st.lists(st.tuples(STEPS_MS, SCORES, STORAGE), min_size=1, max_size=120)

PROPERTY_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.parametrize("cap", [day_journey.MAX_JOURNEY_MOMENTS, 7])
@PROPERTY_SETTINGS
@given(samples=SAMPLES, start_ms=st.integers(DAY0_MS, DAY0_MS + DAY_MS))
def test_the_incremental_journey_equals_the_recomputed_day(
    cap: int, samples: list[tuple[int, float, str]], start_ms: int
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(day_journey, "MAX_JOURNEY_MOMENTS", cap)
        journey, reference, when_ms = DayJourney(), RecomputedJourney(), start_ms
        for tag, (step_ms, score, storage) in enumerate(samples):
            when_ms += step_ms
            journey.add(when_ms, score, tag)
            got = (journey.day_start_ms, journey.last_ms, journey.score())
            assert got == reference.add(when_ms, score)
            assert len(journey.moments) <= cap
            if storage != "memory":
                journey = through_json(journey, before_totals=storage == "json before totals")


@PROPERTY_SETTINGS
@given(
    minutes=st.lists(st.floats(-60, 1500), min_size=1, max_size=60),
    logons_ms=st.lists(st.sampled_from([8_000, 60_000, 240_000]), min_size=60, max_size=60),
    stored=st.lists(st.booleans(), min_size=60, max_size=60),
)
def test_the_steps_journeys_equal_the_recomputed_day(
    minutes: list[float], logons_ms: list[int], stored: list[bool]
) -> None:
    """Through the per-user step, with the state stored as JSON between some events (as
    the agent does): every journey observation is the recomputed day's, a past day's
    too (samples reach back into the day before, after the next day started)."""
    start = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    events = [
        LogonEvent(
            event_time=start + timedelta(minutes=minute),
            user_id=USER,
            device_id=DEVICE,
            logon_duration_ms=logon_ms,
        )
        for minute, logon_ms in zip(minutes, logons_ms, strict=False)
    ]
    clock_ms = max(event_time_ms(event) for event in events)
    assignment = assignment_event(USER, start - timedelta(hours=2), "field_worker", "utrecht")
    state, reference = step(None, assignment, CONFIG, clock_ms).state, RecomputedDays()
    thresholds = CONFIG.persona("field_worker").thresholds
    for event, store in zip(events, stored, strict=False):
        result = step(state, event, CONFIG, clock_ms)
        indicator = indicate(event, thresholds)
        assert indicator is not None
        expected_day = reference.add(event_time_ms(event), indicator.score)
        journeys = [o for o in result.observations if isinstance(o, JourneyObservation)]
        stored_state = json.loads(json.dumps(result.state.to_dict())) if store else None
        state = result.state if stored_state is None else UserState.from_dict(stored_state)
        if expected_day is None:
            assert journeys == [], "a past day's earlier moment changes nothing"
            continue
        day_ms, last_ms, expected = expected_day
        [journey] = journeys
        assert (journey.day_start_ms, journey.event_time_ms) == (day_ms, last_ms)
        assert (journey.score, journey.mean, journey.worst, journey.end, journey.moments) == (
            round(expected.score, 3),
            round(expected.mean, 3),
            round(expected.worst, 3),
            round(expected.end, 3),
            expected.moments,
        )


def test_a_sample_of_an_earlier_day_changes_nothing() -> None:
    journey = DayJourney()
    journey.add(DAY0_MS + DAY_MS + 60_000, 50.0, 1)
    before = journey.score()
    assert not journey.add(DAY0_MS + 60_000, 0.0, 2)
    assert (journey.day_start_ms, journey.score()) == (DAY0_MS + DAY_MS, before)


def test_a_moment_the_day_holds_is_not_added_again() -> None:
    """A sample whose id the user's state forgot (replayed more than a day later) finds
    its moment by time and tag; another sample at the same millisecond is a moment."""
    journey = DayJourney()
    for tag, minute in enumerate((60, 90, 120)):
        assert journey.add(DAY0_MS + minute * 60_000, 40.0 + tag, tag)
    before = (list(map(list, journey.moments)), journey.score())
    assert not journey.add(DAY0_MS + 90 * 60_000, 41.0, 1), "out of time order"
    assert not journey.add(DAY0_MS + 120 * 60_000, 42.0, 2), "the last moment"
    assert (journey.moments, journey.score()) == before
    assert journey.add(DAY0_MS + 90 * 60_000, 0.0, 7), "a different sample at that time"
    past = through_json(journey, before_totals=False).compacted()
    assert not past.extend(DAY0_MS + 120 * 60_000, 42.0, 2)
    assert past.extend(DAY0_MS + 120 * 60_000, 42.0, 3)


def test_a_sample_replayed_after_its_id_is_forgotten_leaves_the_journey_alone() -> None:
    """Through the per-user step: a day's samples replayed two days (of the worker's
    clock) later, when the state no longer remembers their ids, publish no journey
    again, on the latest day and on a compacted past day alike."""
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    def logon(minutes: float, logon_ms: int) -> LogonEvent:
        return LogonEvent(
            event_time=start + timedelta(minutes=minutes),
            user_id=USER,
            device_id=DEVICE,
            logon_duration_ms=logon_ms,
        )

    monday = [logon(0, 8_000), logon(60, 240_000), logon(120, 60_000)]
    clock_ms = event_time_ms(monday[-1])
    assignment = assignment_event(USER, start - timedelta(hours=2), "field_worker", "utrecht")
    state = step(None, assignment, CONFIG, clock_ms).state
    for event in monday:
        state = step(state, event, CONFIG, clock_ms).state
    later_ms = clock_ms + 2 * DAY_MS

    def replayed_journeys(events: list[LogonEvent], at_ms: int) -> list[JourneyObservation]:
        nonlocal state
        journeys = []
        for event in events:
            result = step(state, event, CONFIG, at_ms)
            assert result.outcome == "ok", "the id is forgotten: the sample is scored"
            journeys += [o for o in result.observations if isinstance(o, JourneyObservation)]
            state = UserState.from_dict(json.loads(json.dumps(result.state.to_dict())))
        return journeys

    assert replayed_journeys(monday, later_ms) == [], "Monday is still the latest day"
    state = step(state, logon(2 * 24 * 60, 8_000), CONFIG, later_ms).state
    assert replayed_journeys(monday, later_ms + 2 * DAY_MS) == [], "Monday is a compacted past day"
