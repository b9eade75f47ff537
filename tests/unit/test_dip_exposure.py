"""Exposed time in dip detection: the minute ledger (``dips/exposure_minutes.py``), the
buckets that carry it, and burn-rate checks of failures per exposed hour."""

from __future__ import annotations

import math
import random

import pytest

from xlapulse.streams.dips.buckets import MINUTE_MS, BucketBuilder
from xlapulse.streams.dips.detectors import Budget, WindowTotals, burn_rate, objective_budgets
from xlapulse.streams.dips.exposure_minutes import Credit, GroupExposure
from xlapulse.streams.dips.failure_rate import poisson_tail, seasonal_rate
from xlapulse.streams.dips.settings import BurnRateWindow, DipSettings
from xlapulse.streams.dips.tracker import DipTracker
from xlapulse.streams.scoring.exposure_clock import MAX_OPEN_MS
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.observations import ExposureObservation, SampleObservation
from xlapulse.streams.scoring.xla import default_xla_config

T0 = 1_764_576_000_000  # 2025-12-01 08:00 UTC, a minute boundary
HOUR_MS = 3_600_000
SETTINGS = DipSettings()
CRITICAL = BurnRateWindow(long_minutes=60, short_minutes=5, burn_rate=14.4, severity="critical")


def user(index: int) -> str:
    return f"u_{index:032x}"


def exposure(
    index: int,
    at_ms: int,
    opened: bool,
    *,
    kind: str = "active",
    measured_ms: int | None = None,
    site: str = "utrecht",
    persona: str = "developer",
) -> ExposureObservation:
    return ExposureObservation(
        event_id=f"x-{index}-{at_ms}-{opened}",
        user_id=user(index),
        persona=persona,
        site=site,
        event_time_ms=at_ms,
        exposure=kind,
        opened=opened,
        holder="pc-1",
        measured_ms=measured_ms,
    )


def hang(index: int, at_ms: int, *, site: str = "utrecht") -> SampleObservation:
    return SampleObservation(
        event_id=f"hang-{index}-{at_ms}",
        user_id=user(index),
        persona="developer",
        site=site,
        event_time_ms=at_ms,
        touch_point="app",
        band=Band.FRUSTRATING,
        time_lost_ms=30_000,
        cause="app_hang",
        detail="ide 17.14",
    )


# --- the ledger ------------------------------------------------------------------------


def test_an_interval_is_credited_from_its_opening_to_its_close_whatever_the_clock_did() -> None:
    ledger = GroupExposure()
    assert ledger.change(exposure(1, T0 + 30_000, True)) == []  # nothing credited yet
    assert ledger.advance(T0 + 3 * MINUTE_MS) == [Credit("app", T0 + 30_000, T0 + 3 * MINUTE_MS)]
    # closed at 08:01:30, learned after 08:03 was credited: the surplus is taken back
    assert ledger.change(exposure(1, T0 + 90_000, False)) == [
        Credit("app", T0 + 90_000, T0 + 3 * MINUTE_MS, -1)
    ]
    assert ledger.change(exposure(1, T0 + 90_000, False)) == [], "a replayed close"
    assert ledger.advance(T0 + 10 * MINUTE_MS) == [], "closed: nothing more"


def test_an_open_learned_late_is_credited_back_to_its_opening_and_capped() -> None:
    ledger = GroupExposure()
    ledger.advance(T0 + 20 * HOUR_MS)
    (credit,) = ledger.change(exposure(1, T0, True))
    assert credit == Credit("app", T0, T0 + MAX_OPEN_MS), "at most 12 h for one interval"
    assert ledger.change(exposure(1, T0, True)) == [], "a replayed open"


def test_a_close_without_an_open_credits_the_measured_length_and_vpn_down_is_not_read() -> None:
    ledger = GroupExposure()
    closed = exposure(1, T0 + HOUR_MS, False, kind="vpn_connected", measured_ms=600_000)
    assert ledger.change(closed) == [Credit("vpn", T0 + HOUR_MS - 600_000, T0 + HOUR_MS)]
    assert ledger.change(exposure(2, T0, True, kind="vpn_down")) == []


# --- buckets ---------------------------------------------------------------------------


def morning(people: int, hangs_per_person: int) -> list:
    """People active from 08:00 to 09:00 (opened at staggered seconds), hanging evenly."""
    observations = []
    for index in range(people):
        observations.append(exposure(index, T0 + index * 1_000, True))
        observations.append(exposure(index, T0 + HOUR_MS - index * 1_000, False))
        for count in range(hangs_per_person):
            at = T0 + (count + 1) * HOUR_MS // (hangs_per_person + 1) + index * 7_000
            observations.append(hang(index, at))
    return observations


def exposed_and_failures(observations: list) -> tuple[int, int]:
    builder = BucketBuilder()
    final: dict = {}
    for observation in observations:
        for bucket in builder.add(observation):
            final[(bucket.scope, bucket.minute_ms)] = bucket
    for bucket in builder.flush():
        final[(bucket.scope, bucket.minute_ms)] = bucket
    app = [bucket for (scope, _), bucket in final.items() if scope.touch_point == "app"]
    return sum(b.exposed_ms for b in app), sum(b.failures for b in app)


def test_buckets_carry_each_minutes_exposed_time_and_failures_in_any_arrival_order() -> None:
    observations = sorted(morning(10, 3), key=lambda o: o.event_time_ms)
    truth_ms = sum(HOUR_MS - 2 * index * 1_000 for index in range(10))
    assert exposed_and_failures(observations) == (truth_ms, 30)
    # collectors deliver late: the same observations, each up to 90 s out of order
    rng = random.Random(3)
    jittered = sorted(observations, key=lambda o: o.event_time_ms + rng.randrange(90_000))
    assert exposed_and_failures(jittered) == (truth_ms, 30)


# --- burn rate on failures per exposed hour -------------------------------------------


def totals(failures: int, exposed_hours: float, people: int = 6) -> WindowTotals:
    return WindowTotals(
        failures=failures,
        exposed_ms=round(exposed_hours * HOUR_MS),
        affected_users={user(index) for index in range(people)},
    )


def test_failures_per_exposed_hour_burn_when_both_windows_pass_the_rate() -> None:
    budgets = {"app-mttf": Budget("app", 0.1, per_exposed_hour=True)}
    # 14.4 x 0.1 = 1.44 failures per exposed hour
    long_bad, short_bad = totals(60, 40), totals(8, 3.5)
    finding = burn_rate([(CRITICAL, long_bad, short_bad)], budgets, SETTINGS)
    assert finding.fires and finding.severity == "critical"
    assert finding.value == pytest.approx(1.5 / 0.1)
    calm_long = totals(4, 40)
    assert not burn_rate([(CRITICAL, calm_long, short_bad)], budgets, SETTINGS).fires
    too_little = totals(20, 5)  # 5 exposed hours: under burn_rate_min_exposed_hours
    assert burn_rate([(CRITICAL, too_little, short_bad)], budgets, SETTINGS) is None
    one_person = totals(8, 3.5, people=1)  # under min_people_in_window
    assert burn_rate([(CRITICAL, long_bad, one_person)], budgets, SETTINGS) is None


def test_a_release_that_hangs_opens_a_burn_rate_dip_on_the_app_and_a_calm_hour_does_not() -> None:
    budgets = objective_budgets(default_xla_config())
    assert budgets["developer"]["app-failures-per-active-hour"].per_exposed_hour

    def dips(hangs_per_person: int) -> list:
        builder, tracker = BucketBuilder(), DipTracker(SETTINGS, budgets)
        transitions = []
        for observation in sorted(morning(30, hangs_per_person), key=lambda o: o.event_time_ms):
            for bucket in builder.add(observation):
                transitions += tracker.add(bucket)
        return transitions

    opened = [dip for dip in dips(3) if dip.state == "opened"]
    assert [(d.scope.touch_point, d.detector) for d in opened] == [("app", "burn_rate")]
    assert dips(0) == []


# --- the seasonal detector on failures per exposed hour -------------------------------


def test_poisson_tail_matches_the_closed_forms() -> None:
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(1, 0.5) == pytest.approx(1 - math.exp(-0.5))
    assert poisson_tail(2, 1.0) == pytest.approx(1 - 2 * math.exp(-1))
    assert poisson_tail(3, 0.0) == 0.0
    assert poisson_tail(40, 2.0) < 1e-30


def test_a_release_that_hangs_everywhere_stands_out_from_the_scopes_own_past() -> None:
    calm_past = [0.0, 0.03, 0.02, 0.05]  # failures per active hour, this hour, past days
    # 40 developers active for 5 minutes: 3.3 exposed hours, 9 crashes and hangs
    release = totals(9, 40 * 5 / 60, people=8)
    finding = seasonal_rate(release, calm_past, 3, SETTINGS, 1e-9)
    assert finding.fires and finding.metric == "failures_per_hour"
    assert finding.value == pytest.approx(9 / (40 * 5 / 60))
    assert finding.reference == 0.05, "the usual rate, at least the baseline floor"
    unlucky = totals(2, 40 * 5 / 60, people=2)  # two crashes in the same 5 minutes
    assert not seasonal_rate(unlucky, calm_past, 3, SETTINGS, 1e-9).fires
    assert seasonal_rate(release, calm_past[:2], 3, SETTINGS) is None, "two days: no baseline"
    assert seasonal_rate(totals(9, 0.5), calm_past, 3, SETTINGS) is None, "too little exposure"
