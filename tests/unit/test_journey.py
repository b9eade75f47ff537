"""Peak-end journey score: Kahneman's cold-water preference, worst and end sensitivity."""

from __future__ import annotations

import pytest

from xlapulse.streams.scoring.journey import (
    JOURNEY_WEIGHTS,
    JourneyScore,
    Moment,
    journey_score,
)

#: Our monotone mapping of water temperature to an experience score: 20 °C and
#: warmer do not hurt (100), 10 °C and colder are unbearable (0), linear between.
PAINLESS_C = 20.0
UNBEARABLE_C = 10.0


def water_score(temperature_c: float) -> float:
    share = (temperature_c - UNBEARABLE_C) / (PAINLESS_C - UNBEARABLE_C)
    return 100 * min(1.0, max(0.0, share))


def discomfort(moments: list[Moment]) -> float:
    """Total pain felt in the moment: duration x (100 - score)."""
    return sum(moment.duration_s * (100 - moment.score) for moment in moments)


def test_kahneman_cold_water_longer_trial_with_milder_end_is_remembered_better() -> None:
    """Kahneman, Fredrickson, Schreiber & Redelmeier (1993), Psychological Science 4(6).

    Short trial: 60 s at 14 °C. Long trial: the same 60 s, then 30 s at 15 °C.
    Most participants chose to repeat the long trial.
    """
    short_trial = [Moment(duration_s=60, score=water_score(14))]
    long_trial = [*short_trial, Moment(duration_s=30, score=water_score(15))]

    short, long = journey_score(short_trial), journey_score(long_trial)

    assert discomfort(long_trial) > discomfort(short_trial)  # more pain in total...
    assert long.score > short.score  # ...yet remembered as better
    assert long.worst == short.worst == water_score(14)
    assert (short.score, long.score) == (pytest.approx(40.0), pytest.approx(44.333, abs=1e-3))


def test_the_score_neglects_duration() -> None:
    ten_minutes = journey_score([Moment(600, 70)])
    an_hour = journey_score([Moment(3600, 70)])
    assert ten_minutes.score == an_hour.score == pytest.approx(70)


def test_the_worst_moment_weighs_more_than_its_duration() -> None:
    """A 10 s outage in an hour of good work costs far more than its 0.3 % of the time."""
    calm = [Moment(1800, 90), Moment(1800, 90)]
    with_outage = [Moment(1800, 90), Moment(10, 0), Moment(1790, 90)]
    assert journey_score(calm).score == pytest.approx(90)
    dip = journey_score(calm).score - journey_score(with_outage).score
    assert dip == pytest.approx(JOURNEY_WEIGHTS[1] * 90, abs=0.5)
    assert journey_score(with_outage).worst == 0


def test_the_same_moments_score_better_when_the_bad_one_is_not_last() -> None:
    good, bad = Moment(300, 95), Moment(300, 30)
    bad_end = journey_score([good, bad])
    good_end = journey_score([bad, good])
    assert (bad_end.mean, bad_end.worst) == (good_end.mean, good_end.worst)
    assert good_end.score - bad_end.score == pytest.approx(JOURNEY_WEIGHTS[2] * (95 - 30))


def test_the_end_is_the_last_moment() -> None:
    result = journey_score([Moment(60, 10), Moment(60, 50), Moment(5, 80)])
    assert result == JourneyScore(
        score=pytest.approx(0.4 * (600 + 3000 + 400) / 125 + 0.3 * 10 + 0.3 * 80),
        mean=pytest.approx(32.0),
        worst=10,
        end=80,
        moments=3,
    )


def test_weights_sum_to_one_so_a_perfect_journey_scores_100() -> None:
    assert sum(JOURNEY_WEIGHTS) == pytest.approx(1)
    assert journey_score([Moment(1, 100), Moment(2, 100)]).score == pytest.approx(100)
    assert journey_score([Moment(1, 0)]).score == 0


def test_empty_journeys_and_impossible_moments_are_rejected() -> None:
    with pytest.raises(ValueError, match="at least one moment"):
        journey_score([])
    with pytest.raises(ValueError, match="positive time"):
        Moment(0, 50)
    with pytest.raises(ValueError, match="within 0"):
        Moment(1, 101)
