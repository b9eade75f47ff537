"""Published experience formulas, as pure functions with their sources.

Each function implements one formula that an established product or standard
publishes; its docstring cites the source and states the formula, and
``tests/unit/test_formulas.py`` reproduces the source's own worked example
(or, where the source has none, says so and checks a hand-computed one).

Reads and writes nothing. Units are in the names: ``_ms`` milliseconds,
``_ratio`` 0..1; scores are 0..100 unless stated otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

MS_PER_MINUTE = 60_000

#: ServiceNow DEX default weights: health 50, user sentiment 30, service experience 20.
DEX_WEIGHTS = (0.5, 0.3, 0.2)
#: ServiceNow DEX classification: good above 75, poor below 45, "average" in between.
DEX_GOOD_ABOVE = 75.0
DEX_POOR_BELOW = 45.0

#: Our weighting of the five service-desk indicators ServiceNow lists for its
#: service experience score. ServiceNow publishes the indicators and that the
#: score is their weighted average of 0-100 normalized values, but not default
#: weights; these are ours: the user's own verdict (CSAT) first, then speed,
#: then promises kept, then being passed around and reopened tickets.
SERVICE_EXPERIENCE_WEIGHTS = {
    "csat": 0.30,
    "resolved_in_target": 0.25,
    "sla_met": 0.20,
    "first_assignee": 0.15,
    "not_reopened": 0.10,
}

Interval = tuple[int, int]


def apdex(satisfied: float, tolerating: float, total: float) -> float:
    """Apdex score in 0..1 (Apdex Alliance technical specification, apdex.org).

    ``Apdex_T = (satisfied + tolerating / 2) / total``: satisfied samples took at
    most T, tolerating ones more than T up to 4T; ``total`` also counts the
    frustrated samples (above 4T, or failed).
    """
    if total <= 0:
        raise ValueError("Apdex needs at least one sample")
    if satisfied < 0 or tolerating < 0 or satisfied + tolerating > total:
        raise ValueError(f"inconsistent Apdex counts: {satisfied=} {tolerating=} {total=}")
    return (satisfied + tolerating / 2) / total


def time_lost_ms(duration_ms: int, threshold_ms: int) -> int:
    """Time one event lost over its threshold (Nexthink): ``max(0, duration - threshold)``."""
    return max(0, duration_ms - threshold_ms)


def time_lost_over_threshold_ms(durations_ms: Iterable[int], threshold_ms: int) -> int:
    """Nexthink *time lost* of duration-based events: ``sum(duration - threshold)``.

    Nexthink's Digital Experience overview (docs.nexthink.com, "Time lost per
    week"): for duration metrics such as logon time, the threshold is subtracted
    from the duration of each event worse than the threshold; better events
    lose nothing.
    """
    if threshold_ms < 0:
        raise ValueError(f"threshold must not be negative, got {threshold_ms} ms")
    return sum(time_lost_ms(duration_ms, threshold_ms) for duration_ms in durations_ms)


def _merged(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping union of half-open ``[start_ms, end_ms)`` intervals."""
    merged: list[Interval] = []
    for start_ms, end_ms in sorted(intervals):
        if end_ms < start_ms:
            raise ValueError(f"interval ends before it starts: ({start_ms}, {end_ms})")
        if merged and start_ms <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end_ms))
        elif end_ms > start_ms:
            merged.append((start_ms, end_ms))
    return merged


def _intersection(left: Sequence[Interval], right: Sequence[Interval]) -> list[Interval]:
    """Intersection of two merged interval lists (a two-pointer sweep)."""
    both: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start_ms = max(left[i][0], right[j][0])
        end_ms = min(left[i][1], right[j][1])
        if start_ms < end_ms:
            both.append((start_ms, end_ms))
        if left[i][1] <= right[j][1]:
            i += 1
        else:
            j += 1
    return both


def _minutes_touched(intervals: Sequence[Interval]) -> int:
    """Whole clock minutes (epoch-aligned) that overlap any of the merged intervals."""
    minutes = _merged(
        (start_ms // MS_PER_MINUTE, (end_ms - 1) // MS_PER_MINUTE + 1)
        for start_ms, end_ms in intervals
    )
    return sum(end - start for start, end in minutes)


def active_minutes(active_intervals: Iterable[Interval]) -> int:
    """Whole clock minutes in which the user was active (the SysTrack denominator).

    Counted by the same rule as :func:`impacted_active_minutes`, so the impacted
    minutes never exceed the active ones.
    """
    return _minutes_touched(_merged(active_intervals))


def impacted_active_minutes(
    impact_intervals: Iterable[Interval], active_intervals: Iterable[Interval]
) -> int:
    """SysTrack impacted minutes: clock minutes in which the user was active *and* impacted.

    Lakeside SysTrack marks impact per one-minute interval and counts it only
    while a user is active (documentation.lakesidesoftware.com, "Health Impact
    Categories" and "Health Score Details"). Intervals are half-open
    ``(start_ms, end_ms)`` epoch milliseconds; overlapping impacts count once,
    and a minute counts once however briefly it was both active and impacted.
    """
    both = _intersection(_merged(impact_intervals), _merged(active_intervals))
    return _minutes_touched(both)


def systrack_health(impacted_active_minutes: float, active_minutes: float) -> float:
    """Lakeside SysTrack health score: ``100 * (1 - impacted / active)`` minutes.

    Source: Lakeside "Health Score Details": the share of a user's active time
    not impacted by IT problems, e.g. 30 impacted of 480 active minutes -> 93.75.
    """
    if active_minutes <= 0:
        raise ValueError("a health score needs active minutes")
    if not 0 <= impacted_active_minutes <= active_minutes:
        raise ValueError(
            f"impacted minutes must be within 0..active ({active_minutes}), "
            f"got {impacted_active_minutes}"
        )
    return 100 * (1 - impacted_active_minutes / active_minutes)


def happiness(scores: Iterable[int]) -> float:
    """HappySignals Happiness: ``%(answers 9-10) - %(answers 0-6)``, in -100..+100.

    Source: HappySignals support, "How are Happiness and Lost time values
    calculated?": like NPS, positive minus negative shares of all 0-10 ratings;
    7 and 8 count only in the total.
    """
    positive = negative = total = 0
    for score in scores:
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
            raise ValueError(f"a happiness rating is an integer 0..10, got {score!r}")
        total += 1
        positive += score >= 9
        negative += score <= 6
    if total == 0:
        raise ValueError("happiness needs at least one rating")
    return 100 * (positive - negative) / total


def sentiment_score_from_happiness(happiness: float) -> float:
    """Happiness (-100..+100) as a 0..100 sentiment score, linearly: ``(h + 100) / 2``.

    Ours, so that happiness can enter the ServiceNow-style blend, whose inputs
    are 0..100 scores: -100 -> 0, 0 -> 50, +100 -> 100.
    """
    if not -100 <= happiness <= 100:
        raise ValueError(f"happiness must be within -100..100, got {happiness}")
    return (happiness + 100) / 2


def servicenow_dex_score(
    health: float | None,
    sentiment: float | None,
    service: float | None,
    weights: tuple[float, float, float] = DEX_WEIGHTS,
) -> float:
    """ServiceNow DEX experience score: the weighted average of three 0..100 scores.

    Source: ServiceNow "DEX Score metrics calculation": ``sum(score * weight) /
    sum(weights)`` over health metrics (50), user sentiment (30) and service
    experience (20). A missing (None) part is left out and the others are
    re-weighted, as Nexthink does when no sentiment campaign runs. ServiceNow
    rounds the result to a whole number for display; this returns it unrounded.
    """
    parts = list(zip((health, sentiment, service), weights, strict=True))
    if any(weight < 0 for _, weight in parts):
        raise ValueError(f"weights must not be negative, got {weights}")
    present = [(score, weight) for score, weight in parts if score is not None]
    for score, _ in present:
        if not 0 <= score <= 100:
            raise ValueError(f"scores must be within 0..100, got {score}")
    total_weight = sum(weight for _, weight in present)
    if total_weight <= 0:
        raise ValueError("the DEX score needs at least one present part with a positive weight")
    return sum(score * weight for score, weight in present) / total_weight


def dex_band(score: float) -> Literal["good", "fair", "poor"]:
    """ServiceNow's classification: good above 75, poor below 45, else fair.

    ServiceNow calls the middle band "average" (45 through 75); we say "fair" so
    it is not mistaken for a mean.
    """
    if score > DEX_GOOD_ABOVE:
        return "good"
    if score < DEX_POOR_BELOW:
        return "poor"
    return "fair"


def service_experience_score(
    csat_ratio: float | None,
    resolved_in_target_ratio: float | None,
    first_assignee_ratio: float | None,
    sla_met_ratio: float | None,
    reopen_ratio: float | None,
) -> float:
    """ServiceNow-style service experience score, 0..100, from five ticket ratios.

    ServiceNow ("DEX Score metric definitions") scores the service desk from
    CSAT of resolved incidents, time to resolve, first-assignment resolution,
    SLA breaches and reopened incidents, each normalized to 0..100 and averaged
    with weights. Here each ratio (0..1) becomes ``100 * ratio``, the reopen
    ratio ``100 * (1 - ratio)``, weighted by :data:`SERVICE_EXPERIENCE_WEIGHTS`
    (csat 30, resolved in target 25, SLA met 20, first assignee 15, not
    reopened 10). None inputs (no data) are skipped and the rest re-weighted.
    """
    inputs = {
        "csat": csat_ratio,
        "resolved_in_target": resolved_in_target_ratio,
        "sla_met": sla_met_ratio,
        "first_assignee": first_assignee_ratio,
        "reopen": reopen_ratio,
    }
    for name, ratio in inputs.items():
        if ratio is not None and not 0 <= ratio <= 1:
            raise ValueError(f"{name}_ratio must be within 0..1, got {ratio}")
    present = {name: ratio for name, ratio in inputs.items() if ratio is not None}
    if "reopen" in present:
        present["not_reopened"] = 1 - present.pop("reopen")
    if not present:
        raise ValueError("the service experience score needs at least one ratio")
    weight = sum(SERVICE_EXPERIENCE_WEIGHTS[name] for name in present)
    return 100 * sum(SERVICE_EXPERIENCE_WEIGHTS[name] * r for name, r in present.items()) / weight
