"""The records a cell publishes: one module for what reaches InfluxDB.

Reads a :class:`~xlapulse.streams.scoring.cells.Cell` and the XLA configuration;
writes nothing: :func:`cell_records` returns library-free :class:`Record` s and the
caller sends them to the sink (``streams/sink/points.py`` turns them into points);
``retractions.py`` names the points to delete before they are written.
The measurement names are defined here, once.

Formula ``FORMULA_VERSION`` (stored with every record; ``formula_versions.py`` and
``streams/scoring/README.md`` "Formula 3.0"):

* touch-point score = the mean graded score of its samples (formula 3.0: good 100,
  tolerating by its time lost, 100 at T down to 0 at 4T, frustrating 0; formula 2.2:
  100 x Apdex); the ``apdex`` field is 100 x Apdex under both;
* user score = the persona-weighted mean of the user's touch-point scores (never
  published per person);
* overall score = the persona-weighted mean of the published touch-point scores;
* a user "has issues" below ``ISSUE_SCORE`` (Nexthink's "employees with issues");
* ticket correlation (``user_tickets.py``): a ticket is explained by the fitting touch
  point that lost its user most time in the 4 h before it, else by the one that lost
  the users of the device it was raised from most time (``explained_via_device``),
  else it has no signal;
* silent sufferers: users with a frustrating sample, or (3.0) at least
  ``SIGNIFICANT_TOLERATING_LOST_MS`` lost in tolerating ones, and no ticket in the window;
* service desk: per handled ticket, first contact, reassignments, reopen,
  resolution in target, SLA; a blend of them (``service_experience_score``);
* watermelon: SLA green (>= 90 % met, >= 5 tickets handled) while experience is
  red (overall score or service-desk score below ``ISSUE_SCORE``, or happiness < 0).

No published figure rests on fewer than ``MIN_USERS_PER_AGGREGATE`` distinct people
(k-anonymity, field by field: ``streams/sink/points.py``), and nothing is published
per person.
"""

from __future__ import annotations

from collections.abc import Iterable
from math import fsum
from statistics import median
from typing import Any

from xlapulse.streams.scoring.cells import (
    FRUSTRATING,
    GOOD,
    JOURNEY_WINDOW_S,
    SCORE_SUM,
    TIME_LOST_MS,
    TOLERATING,
    Cell,
    window_label,
)
from xlapulse.streams.scoring.component_record import component_records
from xlapulse.streams.scoring.exposure_clock import ExposureClock
from xlapulse.streams.scoring.formula_versions import CURRENT_FORMULA, Formula
from xlapulse.streams.scoring.formulas import (
    happiness,
)
from xlapulse.streams.scoring.journey import JOURNEY_FORMULA_VERSION
from xlapulse.streams.scoring.personas import SERVICE_DESK, TOUCH_POINTS
from xlapulse.streams.scoring.phases import phase_records
from xlapulse.streams.scoring.published import (
    EXPERIENCE_SCORE,
    ISSUE_SCORE,
    JOURNEY,
    MIN_USERS_PER_AGGREGATE,
    SENTIMENT,
    XLA_COMPLIANCE,
    Record,
    apdex_score,
    users_with,
)
from xlapulse.streams.scoring.reliability_record import (
    ExposedTimes,
    reliability_records,
    reliability_stats,
)
from xlapulse.streams.scoring.service_desk_record import service_desk_record
from xlapulse.streams.scoring.xla import OVERALL, Objective, ObjectiveStats, XlaConfig, evaluate

FORMULA_VERSION = CURRENT_FORMULA.version


def _score(counts: list[float], formula: Formula) -> float:
    """The touch point's score: the mean graded score (formula 3.0) or 100 x Apdex."""
    if not formula.graded_tolerating:
        return apdex_score(counts)
    # the same sum as sum(counts[:3]), without the slice: called per person per point
    return counts[SCORE_SUM] / (counts[GOOD] + counts[TOLERATING] + counts[FRUSTRATING])


def _weighted(scores: dict[str, float], weights: Any) -> float | None:
    total_weight = fsum(weights.get(point, 0.0) for point in scores)
    if total_weight <= 0:
        return None
    # fsum: exactly rounded, so the order the touch points came in changes nothing
    return fsum(score * weights.get(point, 0.0) for point, score in scores.items()) / total_weight


def user_scores(
    cell: Cell,
    config: XlaConfig,
    touch_points: Iterable[str] = TOUCH_POINTS,
    formula: Formula = CURRENT_FORMULA,
) -> dict[str, float]:
    """Each user's persona-weighted score over ``touch_points`` (users with weighted
    samples there only)."""
    weights = config.persona(cell.persona).weights
    # Each point's weight once; then per user one pass, no dict per user: this ran for
    # every person of every changed cell of every batch (a quarter of ``cell_records``).
    # The same sums as ``_weighted`` (fsum is exactly rounded, so equal to the last bit).
    point_weights = {point: weights.get(point, 0.0) for point in touch_points}
    scores = {}
    for user, per_point in cell.user_touch_points.items():
        weighted, used_weights = [], []
        for point, counts in per_point.items():
            weight = point_weights.get(point)
            if weight is None:
                continue
            used_weights.append(weight)
            weighted.append(_score(counts, formula) * weight)
        total_weight = fsum(used_weights)
        if total_weight > 0:
            scores[user] = fsum(weighted) / total_weight
    return scores


def cell_records(
    cell: Cell | ExposureClock, config: XlaConfig, formula: Formula = CURRENT_FORMULA
) -> list[Record]:
    """Every publishable record of the cell, scored by ``formula`` (an exposure clock,
    stored beside the cells, has none).

    k-anonymity: every figure is computed from at least ``MIN_USERS_PER_AGGREGATE``
    distinct people, and figures that sum over touch points sum over the published
    ones only, so no difference of two published figures describes fewer people.
    """
    if isinstance(cell, ExposureClock) or len(cell.users()) < MIN_USERS_PER_AGGREGATE:
        return []
    tags = {
        "persona": cell.persona,
        "site": cell.site,
        "window": window_label(cell.window_s),
        "formula_version": formula.version,
    }
    time_ns = cell.window_start_ms * 1_000_000
    records = []
    if cell.window_s == JOURNEY_WINDOW_S and len(cell.journeys) >= MIN_USERS_PER_AGGREGATE:
        records += _journey_records(cell, tags, time_ns)
    point_records, point_scores = _touch_point_records(cell, tags, time_ns, formula)
    records += point_records
    exposed = ExposedTimes(cell)
    records += reliability_records(cell, tags, time_ns, exposed)
    records += component_records(cell, tags, time_ns)
    records += phase_records(cell.phase_sums, cell.phase_users, tags, time_ns)
    weights = config.persona(cell.persona).weights
    overall = _weighted(point_scores, weights)
    if overall is not None:
        per_user = user_scores(cell, config, point_scores, formula)
        overall_apdex = _weighted(
            {point: apdex_score(cell.touch_points[point]) for point in point_scores}, weights
        )
        assert overall_apdex is not None  # the same touch points and weights as overall
        records.append(
            _overall_record(cell, tags, time_ns, (overall, overall_apdex), point_scores, per_user)
        )
    happiness_value = _happiness(cell.survey_scores, cell.survey_users)
    records += _compliance_records(
        cell, config, tags, time_ns, exposed, (point_scores, overall, happiness_value)
    )
    desk = service_desk_record(cell, tags, time_ns, point_scores, overall, happiness_value, formula)
    if desk is not None:
        records.append(desk)
    if happiness_value is not None:
        records.append(_sentiment_record(cell, tags, time_ns, happiness_value))
    return records


def _touch_point_records(
    cell: Cell, tags: dict[str, str], time_ns: int, formula: Formula
) -> tuple[list[Record], dict[str, float]]:
    """The records of the touch points with samples of at least five people, and their scores."""
    records, scores = [], {}
    for point in TOUCH_POINTS:
        counts = cell.touch_points.get(point)
        if counts is None:
            continue
        point_users = users_with(cell, point)
        if len(point_users) < MIN_USERS_PER_AGGREGATE:
            continue
        samples = sum(counts[:3])
        score = _score(counts, formula)
        scores[point] = score
        records.append(
            Record(
                EXPERIENCE_SCORE,
                {**tags, "touch_point": point},
                {
                    "score": round(score, 3),
                    "apdex": round(apdex_score(counts) / 100, 5),
                    "good": counts[0],
                    "tolerating": counts[1],
                    "frustrating": counts[2],
                    "samples": samples,
                    "users": len(point_users),
                    "time_lost_ms": counts[3],
                },
                time_ns,
            )
        )
    return records, scores


def _overall_record(
    cell: Cell,
    tags: dict[str, str],
    time_ns: int,
    overall: tuple[float, float],
    point_scores: dict[str, float],
    per_user: dict[str, float],
) -> Record:
    """The persona-weighted overall score and Apdex (``overall``); its counts and people
    are those of the published touch points only (``point_scores``)."""
    published = [cell.touch_points[point] for point in point_scores]
    counts = [sum(c[i] for c in published) for i in range(TIME_LOST_MS + 1)]
    users = {user for point in point_scores for user in users_with(cell, point)}
    return Record(
        EXPERIENCE_SCORE,
        {**tags, "touch_point": "overall"},
        {
            "score": round(overall[0], 3),
            "apdex": round(overall[1] / 100, 5),
            "good": counts[0],
            "tolerating": counts[1],
            "frustrating": counts[2],
            "samples": sum(counts[:3]),
            "users": len(users),
            "time_lost_ms": counts[3],
            "users_with_issues": sum(score < ISSUE_SCORE for score in per_user.values()),
            "median_user_score": round(median(per_user.values()), 3) if per_user else 0.0,
        },
        time_ns,
    )


def _happiness(survey_scores: list[int], users: list[str]) -> float | None:
    """Happiness of answers counted per score, None for fewer than five people."""
    answers = [score for score, count in enumerate(survey_scores) for _ in range(count)]
    if len(set(users)) < MIN_USERS_PER_AGGREGATE or not answers:
        return None
    return happiness(answers)


def _answers_for(
    cell: Cell, touch_point: str, happiness_of_all: float | None
) -> tuple[int, float | None]:
    """How many answers count and their happiness: those about tickets for the service
    desk, else all of them, whose happiness (``happiness_of_all``) the caller has already."""
    if touch_point == SERVICE_DESK:
        scores = cell.ticket_survey_scores
        return sum(scores), _happiness(scores, cell.ticket_survey_users)
    return sum(cell.survey_scores), happiness_of_all


def _objective_stats(
    cell: Cell,
    objective: Objective,
    exposed: ExposedTimes,
    scores: tuple[dict[str, float], float | None, float | None],
) -> ObjectiveStats | None:
    """What the cell counted for one objective; None when the people it rests on are
    fewer than five (its touch point, or the overall score, is not published).
    ``scores``: the published touch-point scores, the overall score and happiness."""
    point_scores, overall, happiness_value = scores
    if objective.kind == "happiness_at_least":
        answers, objective_happiness = _answers_for(cell, objective.touch_point, happiness_value)
        if objective_happiness is None:
            return None
        return ObjectiveStats(samples=answers, hits=0, happiness=objective_happiness)
    if objective.touch_point == OVERALL:
        if overall is None:
            return None
        samples = int(sum(sum(cell.touch_points[point][:3]) for point in point_scores))
        return ObjectiveStats(samples=samples, hits=0, score=overall)
    if objective.kind == "failures_per_hour_at_most":
        return reliability_stats(cell, objective.touch_point, exposed)
    if objective.touch_point not in point_scores:
        return None
    if objective.kind == "score_at_least":
        samples = int(sum(cell.touch_points[objective.touch_point][:3]))
        return ObjectiveStats(samples=samples, hits=0, score=point_scores[objective.touch_point])
    samples, hits = cell.objectives.get(objective.id, [0, 0])
    return ObjectiveStats(samples=samples, hits=hits)


def _compliance_records(
    cell: Cell,
    config: XlaConfig,
    tags: dict[str, str],
    time_ns: int,
    exposed: ExposedTimes,
    scores: tuple[dict[str, float], float | None, float | None],
) -> list[Record]:
    records = []
    for objective in config.objectives_for(cell.persona):
        stats = _objective_stats(cell, objective, exposed, scores)
        if stats is None:
            continue
        compliance = evaluate(objective, cell.persona, stats)
        if compliance.value is None:
            continue
        records.append(
            Record(
                XLA_COMPLIANCE,
                {
                    **tags,
                    "objective": objective.id,
                    "kind": compliance.kind,
                    "touch_point": compliance.touch_point,
                    "xla_version": config.version,
                },
                {
                    "value": round(compliance.value, 5),
                    "target": float(compliance.target),
                    "met": int(bool(compliance.met)),
                    "samples": compliance.samples,
                    "xla_digest": config.digest,
                },
                time_ns,
            )
        )
    return records


def _sentiment_record(
    cell: Cell, tags: dict[str, str], time_ns: int, happiness_value: float
) -> Record:
    fields: dict[str, float | int | str] = {
        "happiness": round(happiness_value, 3),
        "answers": sum(cell.survey_scores),
        "users": len(set(cell.survey_users)),
    }
    if cell.csat_answers and len(cell.ticket_survey_users) >= MIN_USERS_PER_AGGREGATE:
        fields["csat_ratio"] = round(cell.csat_satisfied / cell.csat_answers, 5)
    return Record(SENTIMENT, dict(tags), fields, time_ns)


def _journey_records(cell: Cell, tags: dict[str, str], time_ns: int) -> list[Record]:
    scores = [journey[0] for journey in cell.journeys.values()]
    return [
        Record(
            JOURNEY,
            {**tags, "journey_formula_version": JOURNEY_FORMULA_VERSION},
            {
                "users": len(scores),
                # fsum: exactly rounded, whatever order the users came in
                "mean_score": round(fsum(scores) / len(scores), 3),
                "lowest_five_mean_score": round(
                    fsum(sorted(scores)[:MIN_USERS_PER_AGGREGATE]) / MIN_USERS_PER_AGGREGATE, 3
                ),
                "mean_worst_moment": round(
                    fsum(j[1] for j in cell.journeys.values()) / len(scores), 3
                ),
                "mean_end": round(fsum(j[2] for j in cell.journeys.values()) / len(scores), 3),
                "users_below_issue_score": sum(score < ISSUE_SCORE for score in scores),
            },
            time_ns,
        )
    ]
