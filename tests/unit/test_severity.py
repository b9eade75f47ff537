"""Formula 3.0: time lost over the threshold moves the score and the silent-sufferer count.

The issue's case: a GPO change adds 40 s to every logon at one site, so each logon
lands in "tolerating" (under 4T), where the logons of a normal 9:00 storm land too.
Knowledge-worker logons here follow the simulator's calm model (lognormal, median
22 s, sigma 0.35; ``collectors/simulator/telemetry.py``), at evenly spaced quantiles;
the incident adds 40 s to each. The chain is the engine's: contract event ->
``indicate`` -> observation -> cell -> records.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from statistics import NormalDist

from xlapulse.collectors.contract.events import LogonEvent
from xlapulse.streams.scoring.cell_counts import add_observation
from xlapulse.streams.scoring.cells import TOLERATING, Cell
from xlapulse.streams.scoring.formula_versions import (
    FORMULA_2_2,
    FORMULA_3_0,
    SIGNIFICANT_TOLERATING_LOST_MS,
)
from xlapulse.streams.scoring.observations import SampleObservation
from xlapulse.streams.scoring.records import cell_records
from xlapulse.streams.scoring.touchpoints import indicate
from xlapulse.streams.scoring.xla import default_xla_config

CONFIG = default_xla_config()
LIMITS = CONFIG.persona("knowledge_worker").thresholds  # T = 30 s
START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
START_MS = int(START.timestamp() * 1000)
PEOPLE = 40
MEDIAN_S, SIGMA = 22.0, 0.35


def calm_logon_s(n: int) -> float:
    quantile = (n + 0.5) / PEOPLE
    return MEDIAN_S * math.exp(SIGMA * NormalDist().inv_cdf(quantile))


def cell_of(logon_s: list[float]) -> Cell:
    cell = Cell("knowledge_worker", "rotterdam", 300, START_MS)
    for n, seconds in enumerate(logon_s):
        user = f"u_{n:032x}"
        event = LogonEvent(
            event_time=START,
            user_id=user,
            device_id="d_" + user[2:],
            logon_duration_ms=round(seconds * 1000),
        )
        indicator = indicate(event, LIMITS)
        assert indicator is not None
        sample = SampleObservation(
            event_id=f"e{n}",
            user_id=user,
            persona="knowledge_worker",
            site="rotterdam",
            event_time_ms=START_MS,
            touch_point="logon",
            band=indicator.band,
            time_lost_ms=indicator.time_lost_ms,
            measured_ms=indicator.measured_ms,
            score=indicator.graded_score,
        )
        add_observation(cell, sample, 0)
    return cell


def figures(cell: Cell, formula) -> tuple[float, int]:
    records = cell_records(cell, CONFIG, formula)
    [logon] = [r for r in records if r.tags.get("touch_point") == "logon"]
    [desk] = [r for r in records if r.measurement == "service_desk"]
    assert {r.tags["formula_version"] for r in records} == {formula.version}
    return float(logon.fields["score"]), int(desk.fields["silent_sufferers"])


STORM = [calm_logon_s(n) for n in range(PEOPLE)]
INCIDENT = [seconds + 40 for seconds in STORM]


def test_the_incident_stays_under_4t_so_apdex_sees_only_tolerating_logons() -> None:
    assert max(INCIDENT) < 4 * LIMITS.logon_target_ms / 1000
    counts = cell_of(INCIDENT).touch_points["logon"]
    assert counts[TOLERATING] == PEOPLE


def test_formula_3_keeps_the_storm_calm_and_shows_the_incident() -> None:
    storm_score, storm_silent = figures(cell_of(STORM), FORMULA_3_0)
    incident_score, incident_silent = figures(cell_of(INCIDENT), FORMULA_3_0)
    assert storm_score > 95, "a normal storm's slow tail costs a few seconds, a few points"
    assert incident_score < 70, "below the issue score: an incident"
    assert storm_score - incident_score > 30
    assert storm_silent <= 1
    assert incident_silent == PEOPLE, "every victim lost over 20 s and filed no ticket"


def test_formula_2_2_flattened_the_incident_into_the_storm_band() -> None:
    """Under 2.2 the storm's tail already scored 50 per logon and nobody was counted."""
    storm_score, storm_silent = figures(cell_of(STORM), FORMULA_2_2)
    incident_score, incident_silent = figures(cell_of(INCIDENT), FORMULA_2_2)
    assert incident_score == 50.0
    assert storm_score < 95
    assert (storm_silent, incident_silent) == (0, 0)


def test_a_sufferer_needs_the_documented_lost_time_in_tolerating_samples() -> None:
    threshold_s = LIMITS.logon_target_ms / 1000
    just_under = threshold_s + SIGNIFICANT_TOLERATING_LOST_MS / 1000 - 0.5
    just_over = threshold_s + SIGNIFICANT_TOLERATING_LOST_MS / 1000
    under = figures(cell_of([just_under] * 5), FORMULA_3_0)[1]
    over = figures(cell_of([just_over] * 5), FORMULA_3_0)[1]
    assert (under, over) == (0, 5)


def test_cells_stored_by_formula_2_count_on_with_apdex_score_sums() -> None:
    cell = cell_of(STORM)
    old = cell.to_dict()
    del old["counts_layout"]
    old["touch_points"] = {tp: counts[:4] for tp, counts in old["touch_points"].items()}
    old["user_touch_points"] = {
        user: {tp: counts[:3] for tp, counts in per.items()}
        for user, per in old["user_touch_points"].items()
    }
    upgraded = Cell.from_dict(old)
    good, tolerating = cell.touch_points["logon"][:2]
    assert upgraded.touch_points["logon"] == [
        *cell.touch_points["logon"][:4],
        100 * good + 50 * tolerating,
    ]
    assert figures(upgraded, FORMULA_2_2) == figures(cell, FORMULA_2_2)
    assert upgraded.counts_layout == cell.counts_layout
