"""Each published formula reproduces its source's own worked example.

Where a source publishes no worked example, the test says so and checks a
hand-computed example from the published definition.
"""

from __future__ import annotations

import pytest

from xlapulse.streams.scoring.formulas import (
    active_minutes,
    apdex,
    dex_band,
    happiness,
    impacted_active_minutes,
    sentiment_score_from_happiness,
    service_experience_score,
    servicenow_dex_score,
    systrack_health,
    time_lost_ms,
    time_lost_over_threshold_ms,
)

MINUTE_MS = 60_000
DAY_START_MS = 1_795_334_400_000  # 2026-11-23T00:00:00Z, a whole minute


def at(minute: float) -> int:
    """Epoch ms of a minute offset into the test day."""
    return DAY_START_MS + int(minute * MINUTE_MS)


# --- Apdex -------------------------------------------------------------------


def test_apdex_worked_example_100_samples() -> None:
    """T = 3 s; 60 samples under 3 s, 30 between 3 and 12 s, 10 above: (60 + 30/2) / 100.

    The Apdex Alliance specification (apdex.org; stored copy of the 2005 "Final
    Technical Specification" at
    https://docplayer.net/amp/14681247-Application-performance-index-apdex-final-technical-specification.html)
    defines the formula; this example is the one quoted with it at
    https://www.primidi.com/apdex/apdex_method (from Wikipedia's Apdex article).
    """
    assert apdex(60, 30, 100) == pytest.approx(0.75)


def test_apdex_worked_example_site24x7() -> None:
    """Site24x7's example: 40 satisfied, 200 tolerating, 48 frustrated of 288 polls -> 0.486.

    https://support.site24x7.com/portal/helpcenter/articles/apdex-score
    """
    assert apdex(40, 200, 40 + 200 + 48) == pytest.approx(0.486, abs=5e-4)


@pytest.mark.parametrize(
    ("args", "message"), [((1, 1, 0), "at least one"), ((5, 6, 10), "inconsistent")]
)
def test_apdex_rejects_impossible_counts(args, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        apdex(*args)


# --- Nexthink time lost ------------------------------------------------------


def test_time_lost_hand_computed_from_the_nexthink_definition() -> None:
    """Nexthink publishes the definition but no worked example, so this one is ours.

    https://docs.nexthink.com/platform/user-guide/digital-experience/using-the-overview-dashboard
    ("Time lost per week": the threshold is subtracted from each event's duration
    when the value is worse than the threshold). Logons of 20, 45 and 90 s
    against 30 s lose 0 + 15 + 60 s.
    """
    durations_ms = [20_000, 45_000, 90_000]
    assert time_lost_over_threshold_ms(durations_ms, 30_000) == 75_000
    assert [time_lost_ms(d, 30_000) for d in durations_ms] == [0, 15_000, 60_000]


def test_time_lost_at_the_threshold_is_zero_and_empty_is_zero() -> None:
    assert time_lost_over_threshold_ms([30_000], 30_000) == 0
    assert time_lost_over_threshold_ms([], 30_000) == 0
    with pytest.raises(ValueError, match="negative"):
        time_lost_over_threshold_ms([1], -1)


# --- Lakeside SysTrack -------------------------------------------------------


def test_systrack_health_worked_example() -> None:
    """Active 8 h, impacted 30 min: 30 / 480 = 6.25 % impacted, health 93.75.

    https://docs.lakesidesoftware.com/Content/ExecutiveInsights/health_score_details.htm
    """
    assert systrack_health(30, 480) == pytest.approx(93.75)


def test_the_worked_example_from_intervals() -> None:
    """The same example built from intervals: a workday with a lunch break."""
    active = [(at(8 * 60), at(12 * 60)), (at(13 * 60), at(17 * 60))]  # 480 min
    impacts = [
        (at(9 * 60), at(9 * 60 + 20)),  # 20 min impacted while working
        (at(9 * 60 + 10), at(9 * 60 + 15)),  # overlaps the first: counts once
        (at(12 * 60 + 30), at(12 * 60 + 50)),  # during lunch: not active, ignored
        (at(16 * 60 + 50), at(17 * 60 + 30)),  # 10 min active, then gone home
        (at(2 * 60), at(3 * 60)),  # night-time antivirus: ignored
    ]
    impacted = impacted_active_minutes(impacts, active)
    assert (impacted, active_minutes(active)) == (30, 480)
    assert systrack_health(impacted, active_minutes(active)) == pytest.approx(93.75)


def test_a_minute_counts_once_however_briefly_it_is_impacted() -> None:
    active = [(at(0), at(10))]
    # 5 s in minute 1, 5 s in minute 1 again, and the boundary-straddling 2 s in minutes 3 and 4.
    impacts = [
        (at(1), at(1) + 5_000),
        (at(1) + 30_000, at(1) + 35_000),
        (at(4) - 1_000, at(4) + 1_000),
    ]
    assert impacted_active_minutes(impacts, active) == 3


def test_interval_ends_are_exclusive_and_empty_intervals_count_nothing() -> None:
    assert impacted_active_minutes([(at(2), at(3))], [(at(0), at(10))]) == 1
    assert impacted_active_minutes([(at(2), at(2))], [(at(0), at(10))]) == 0
    assert impacted_active_minutes([(at(0), at(5))], [(at(5), at(10))]) == 0
    assert impacted_active_minutes([], [(at(0), at(10))]) == 0


def test_inverted_intervals_and_impossible_health_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        impacted_active_minutes([(at(3), at(2))], [(at(0), at(10))])
    with pytest.raises(ValueError, match="active minutes"):
        systrack_health(0, 0)
    with pytest.raises(ValueError, match=r"within 0\.\.active"):
        systrack_health(31, 30)


# --- HappySignals ------------------------------------------------------------


def test_happiness_worked_example() -> None:
    """+52 is about 76 % positive (9-10) and 24 % negative (0-6) ratings.

    https://support.happysignals.com/how-are-happiness-and-lost-time-values-calculated
    """
    ratings = [10] * 40 + [9] * 36 + [6] * 10 + [3] * 8 + [0] * 6
    assert happiness(ratings) == pytest.approx(52)


def test_neutral_ratings_count_only_in_the_total() -> None:
    assert happiness([10, 8, 7, 0]) == pytest.approx(0)
    assert happiness([9, 8]) == pytest.approx(50)
    assert happiness([7, 8]) == pytest.approx(0)
    assert happiness([10]) == 100 and happiness([6]) == -100


@pytest.mark.parametrize("ratings", [[], [11], [-1], [9.5], [True]])
def test_happiness_rejects_empty_and_out_of_range(ratings) -> None:
    with pytest.raises(ValueError):
        happiness(ratings)


def test_sentiment_from_happiness_is_linear() -> None:
    assert [sentiment_score_from_happiness(h) for h in (-100, 0, 40, 100)] == [0, 50, 70, 100]
    with pytest.raises(ValueError, match=r"-100\.\.100"):
        sentiment_score_from_happiness(101)


# --- ServiceNow DEX ----------------------------------------------------------

SERVICENOW_CALC = (
    "https://raw.githubusercontent.com/ServiceNow/ServiceNowDocs/australia/markdown/"
    "it-service-management/digital-experience-score/dexscr-dex-score-metrics-calc.md"
)


def test_servicenow_application_experience_worked_example() -> None:
    """Health 55 (50), sentiment 58 (30), service 72 (20) -> 59.3, shown as 59.

    ServiceNow "DEX Score metrics calculation", application experience example
    (SERVICENOW_CALC).
    """
    score = servicenow_dex_score(55, 58, 72)
    assert score == pytest.approx(59.3)
    assert round(score) == 59
    assert dex_band(score) == "fair"


def test_servicenow_device_experience_worked_example() -> None:
    """Health 64, sentiment 68, service 70 -> 66.4, shown as 66 (SERVICENOW_CALC)."""
    assert round(servicenow_dex_score(64, 68, 70)) == 66


def test_servicenow_overall_worked_example_with_equal_weights() -> None:
    """The overall score: application 55 and device 54, weights 50/50 -> 54 (SERVICENOW_CALC).

    (54.5 rounds to 54 under Python's round-half-even; ServiceNow shows 54 too.)
    """
    assert servicenow_dex_score(55, 54, None, weights=(50, 50, 0)) == pytest.approx(54.5)


def test_a_missing_part_is_left_out_and_the_rest_reweighted() -> None:
    assert servicenow_dex_score(80, None, 60) == pytest.approx((80 * 0.5 + 60 * 0.2) / 0.7)
    with pytest.raises(ValueError, match="at least one"):
        servicenow_dex_score(None, None, None)
    with pytest.raises(ValueError, match=r"0\.\.100"):
        servicenow_dex_score(101, 50, 50)
    with pytest.raises(ValueError, match="negative"):
        servicenow_dex_score(50, 50, 50, weights=(1, -1, 1))


@pytest.mark.parametrize(
    ("score", "band"),
    [(100, "good"), (75.01, "good"), (75, "fair"), (45, "fair"), (44.99, "poor"), (0, "poor")],
)
def test_dex_bands_follow_servicenow(score: float, band: str) -> None:
    """Good if greater than 75, average from 45 through 75, poor below 45 (SERVICENOW_CALC)."""
    assert dex_band(score) == band


def test_service_experience_hand_computed() -> None:
    """ServiceNow publishes the indicators but no weights or example; this one is ours.

    CSAT 0.8, resolved in target 0.9, first assignee 0.7, SLA met 0.95, reopened 0.1:
    100 * (0.3*0.8 + 0.25*0.9 + 0.2*0.95 + 0.15*0.7 + 0.1*0.9) = 85.0
    """
    assert service_experience_score(0.8, 0.9, 0.7, 0.95, 0.1) == pytest.approx(85.0)


def test_service_experience_skips_missing_ratios() -> None:
    # Only CSAT (0.3) and reopen (0.1) known: (0.3*0.5 + 0.1*1.0) / 0.4 = 0.625.
    assert service_experience_score(0.5, None, None, None, 0.0) == pytest.approx(62.5)
    assert service_experience_score(None, None, None, None, 1.0) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="at least one"):
        service_experience_score(None, None, None, None, None)
    with pytest.raises(ValueError, match="reopen_ratio"):
        service_experience_score(None, None, None, None, 1.5)
