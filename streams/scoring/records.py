"""The records a cell publishes: one module for what reaches InfluxDB.

Reads a :class:`~xlapulse.streams.scoring.cells.Cell` and the XLA configuration;
writes nothing: :func:`cell_records` returns library-free :class:`Record` s and the
caller sends them to the sink (``streams/sink/points.py`` turns them into points).
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
* ticket correlation (``user_state.py``): a ticket is explained by the fitting touch
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
from dataclasses import dataclass
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
from xlapulse.streams.scoring.formula_versions import CURRENT_FORMULA, Formula
from xlapulse.streams.scoring.formulas import (
    apdex,
    happiness,
    sentiment_score_from_happiness,
    service_experience_score,
    servicenow_dex_score,
)
from xlapulse.streams.scoring.journey import JOURNEY_FORMULA_VERSION
from xlapulse.streams.scoring.personas import SERVICE_DESK, TELEMETRY_TOUCH_POINTS, TOUCH_POINTS
from xlapulse.streams.scoring.xla import OVERALL, Objective, ObjectiveStats, XlaConfig, evaluate

FORMULA_VERSION = CURRENT_FORMULA.version
MIN_USERS_PER_AGGREGATE = 5
ISSUE_SCORE = 70.0
SLA_GREEN_RATIO = 0.9
MIN_TICKETS_FOR_SLA = 5

#: The measurements, by name (their tags and fields: ``streams/sink/points.py``).
EXPERIENCE_SCORE = "experience_score"
XLA_COMPLIANCE = "xla_compliance"
SERVICE_DESK_MEASUREMENT = "service_desk"
SENTIMENT = "sentiment"
JOURNEY = "journey"
MEASUREMENTS = (EXPERIENCE_SCORE, XLA_COMPLIANCE, SERVICE_DESK_MEASUREMENT, SENTIMENT, JOURNEY)
#: not a cell's: one point per dip transition (``streams/dips/publish.py``), describing at
#: least 5 people by construction (the dip opens only then; the contract enforces it)
DIP = "dip"


@dataclass(frozen=True)
class Record:
    """One InfluxDB point, library-free: the sink turns it into line protocol."""

    measurement: str
    tags: dict[str, str]
    fields: dict[str, float | int | str]
    time_ns: int

    def series_key(self) -> tuple[Any, ...]:
        """Measurement, tags and time: equal keys overwrite each other in InfluxDB."""
        return (self.measurement, tuple(sorted(self.tags.items())), self.time_ns)


def _apdex_score(counts: list[float]) -> float:
    """100 x Apdex of the counts."""
    return 100 * apdex(counts[GOOD], counts[TOLERATING], sum(counts[:3]))


def _score(counts: list[float], formula: Formula) -> float:
    """The touch point's score: the mean graded score (formula 3.0) or 100 x Apdex."""
    if not formula.graded_tolerating:
        return _apdex_score(counts)
    return counts[SCORE_SUM] / sum(counts[:3])


def _weighted(scores: dict[str, float], weights: Any) -> float | None:
    total_weight = sum(weights.get(point, 0.0) for point in scores)
    if total_weight <= 0:
        return None
    return sum(score * weights.get(point, 0.0) for point, score in scores.items()) / total_weight


def _users_with(cell: Cell, touch_point: str) -> list[str]:
    return [user for user, per in cell.user_touch_points.items() if touch_point in per]


def user_scores(
    cell: Cell,
    config: XlaConfig,
    touch_points: Iterable[str] = TOUCH_POINTS,
    formula: Formula = CURRENT_FORMULA,
) -> dict[str, float]:
    """Each user's persona-weighted score over ``touch_points`` (users with weighted
    samples there only)."""
    weights = config.persona(cell.persona).weights
    points = set(touch_points)
    scores = {}
    for user, per_point in cell.user_touch_points.items():
        score = _weighted(
            {
                point: _score(counts, formula)
                for point, counts in per_point.items()
                if point in points
            },
            weights,
        )
        if score is not None:
            scores[user] = score
    return scores


def cell_records(cell: Cell, config: XlaConfig, formula: Formula = CURRENT_FORMULA) -> list[Record]:
    """Every publishable record of the cell, scored by ``formula``.

    k-anonymity: every figure is computed from at least ``MIN_USERS_PER_AGGREGATE``
    distinct people, and figures that sum over touch points sum over the published
    ones only, so no difference of two published figures describes fewer people.
    """
    if len(cell.users()) < MIN_USERS_PER_AGGREGATE:
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
    weights = config.persona(cell.persona).weights
    overall = _weighted(point_scores, weights)
    if overall is not None:
        per_user = user_scores(cell, config, point_scores, formula)
        overall_apdex = _weighted(
            {point: _apdex_score(cell.touch_points[point]) for point in point_scores}, weights
        )
        assert overall_apdex is not None  # the same touch points and weights as overall
        records.append(
            _overall_record(cell, tags, time_ns, (overall, overall_apdex), point_scores, per_user)
        )
    happiness_value = _happiness(cell.survey_scores, cell.survey_users)
    records += _compliance_records(
        cell, config, tags, time_ns, point_scores, overall, happiness_value
    )
    desk = _service_desk_record(
        cell, tags, time_ns, point_scores, overall, happiness_value, formula
    )
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
        point_users = _users_with(cell, point)
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
                    "apdex": round(_apdex_score(counts) / 100, 5),
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
    users = {user for point in point_scores for user in _users_with(cell, point)}
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
    point_scores: dict[str, float],
    overall: float | None,
    happiness_value: float | None,
) -> ObjectiveStats | None:
    """What the cell counted for one objective; None when the people it rests on are
    fewer than five (its touch point, or the overall score, is not published)."""
    if objective.kind == "happiness_at_least":
        answers, objective_happiness = _answers_for(cell, objective.touch_point, happiness_value)
        if objective_happiness is None:
            return None
        return ObjectiveStats(samples=answers, hits=0, happiness=objective_happiness)
    if objective.touch_point == OVERALL:
        if overall is None:
            return None
        samples = sum(sum(cell.touch_points[point][:3]) for point in point_scores)
        return ObjectiveStats(samples=samples, hits=0, score=overall)
    if objective.touch_point not in point_scores:
        return None
    if objective.kind == "score_at_least":
        samples = sum(cell.touch_points[objective.touch_point][:3])
        return ObjectiveStats(samples=samples, hits=0, score=point_scores[objective.touch_point])
    samples, hits = cell.objectives.get(objective.id, [0, 0])
    return ObjectiveStats(samples=samples, hits=hits)


def _compliance_records(
    cell: Cell,
    config: XlaConfig,
    tags: dict[str, str],
    time_ns: int,
    point_scores: dict[str, float],
    overall: float | None,
    happiness_value: float | None,
) -> list[Record]:
    records = []
    for objective in config.objectives_for(cell.persona):
        stats = _objective_stats(cell, objective, point_scores, overall, happiness_value)
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


def _suffering(per_point: dict[str, list[float]], formula: Formula) -> bool:
    """Whether a person's telemetry in the window shows significant time lost: a
    frustrating sample, or (formula 3.0) enough time lost in tolerating ones."""
    telemetry = [counts for point, counts in per_point.items() if point != SERVICE_DESK]
    if any(counts[FRUSTRATING] for counts in telemetry):
        return True
    significant_ms = formula.significant_tolerating_lost_ms
    return significant_ms is not None and sum(c[TIME_LOST_MS] for c in telemetry) >= significant_ms


def _telemetry_fields(
    cell: Cell, point_scores: dict[str, float], formula: Formula
) -> dict[str, float | int | str]:
    """Silent sufferers among the people with telemetry in the cell (five or more), and
    the time lost in the published touch points."""
    telemetry_users = {
        user: per_point
        for user, per_point in cell.user_touch_points.items()
        if any(point != SERVICE_DESK for point in per_point)
    }
    if len(telemetry_users) < MIN_USERS_PER_AGGREGATE:
        return {}
    frustrated_users = {
        user
        for user, per_point in telemetry_users.items()
        if any(counts[FRUSTRATING] for point, counts in per_point.items() if point != SERVICE_DESK)
    }
    suffering = {user for user, per in telemetry_users.items() if _suffering(per, formula)}
    return {
        "silent_sufferers": len(suffering - set(cell.ticket_users)),
        "users_suffering": len(suffering),
        "users_frustrated": len(frustrated_users),
        "telemetry_time_lost_ms": sum(
            cell.touch_points[point][TIME_LOST_MS]
            for point in point_scores
            if point != SERVICE_DESK
        ),
    }


def _opened_fields(cell: Cell) -> dict[str, float | int | str]:
    """Tickets opened and what explains them, for five or more people who opened one."""
    if len(cell.opened_users) < MIN_USERS_PER_AGGREGATE:
        return {}
    explained = sum(cell.explained_by.values())
    return {
        "tickets_opened": cell.tickets_opened,
        "explained": explained,
        "explained_via_device": cell.explained_via_device,
        "without_signal": cell.tickets_opened - explained,
        "signal_time_lost_ms": cell.signal_time_lost_ms,
        # Every telemetry touch point, 0 included: InfluxDB keeps a field that a rewritten
        # point leaves out, so a ticket moved to another explanation must zero its old one.
        **{
            f"explained_by_{point}": cell.explained_by.get(point, 0)
            for point in sorted(set(TELEMETRY_TOUCH_POINTS) | set(cell.explained_by))
        },
    }


def _self_reported_fields(cell: Cell) -> dict[str, float | int | str]:
    """Self-reported lost time, for five or more people who reported it."""
    if len(cell.self_reported_users) < MIN_USERS_PER_AGGREGATE:
        return {}
    return {
        "self_reported_lost_ms": cell.self_reported_lost_ms,
        "self_reported_answers": cell.self_reported_answers,
    }


def _handled_fields(
    cell: Cell, overall: float | None, happiness_value: float | None
) -> dict[str, float | int | str]:
    """How the desk handled the tickets of five or more people, and the watermelon check."""
    if len(_users_with(cell, SERVICE_DESK)) < MIN_USERS_PER_AGGREGATE:
        return {}
    handled = sum(cell.handled)
    sla_met_ratio = cell.sla_met / cell.sla_known if cell.sla_known else None
    fields: dict[str, float | int | str] = {
        "handled": handled,
        "no_contact": cell.no_contact,
        "reopened": cell.reopened,
        "mean_reassignments": round(cell.reassignments / handled, 3),
        "reassigned_twice_ratio": round(cell.reassigned_twice / handled, 5),
    }
    if cell.first_contact_count:
        fields["mean_first_contact_ms"] = cell.first_contact_ms_total // cell.first_contact_count
    if sla_met_ratio is not None:
        fields["sla_met_ratio"] = round(sla_met_ratio, 5)
    csat_ratio = (
        cell.csat_satisfied / cell.csat_answers
        if cell.csat_answers and len(cell.ticket_survey_users) >= MIN_USERS_PER_AGGREGATE
        else None
    )
    service = service_experience_score(
        csat_ratio=csat_ratio,
        resolved_in_target_ratio=cell.resolved_in_target / handled,
        first_assignee_ratio=cell.first_assignee / handled,
        sla_met_ratio=sla_met_ratio,
        reopen_ratio=cell.reopened / handled,
    )
    fields["service_experience_score"] = round(service, 3)
    if overall is not None and happiness_value is not None:
        fields["dex_score"] = round(
            servicenow_dex_score(overall, sentiment_score_from_happiness(happiness_value), service),
            3,
        )
    sla_green = (
        sla_met_ratio is not None
        and cell.sla_known >= MIN_TICKETS_FOR_SLA
        and sla_met_ratio >= SLA_GREEN_RATIO
    )
    experience_red = (
        (overall is not None and overall < ISSUE_SCORE)
        or _apdex_score(cell.handled) < ISSUE_SCORE
        or (happiness_value is not None and happiness_value < 0)
    )
    fields["watermelon"] = int(sla_green and experience_red)
    return fields


def _service_desk_record(
    cell: Cell,
    tags: dict[str, str],
    time_ns: int,
    point_scores: dict[str, float],
    overall: float | None,
    happiness_value: float | None,
    formula: Formula,
) -> Record | None:
    """The service-desk figures whose people number five or more; None if no group does."""
    fields = {
        **_telemetry_fields(cell, point_scores, formula),
        **_opened_fields(cell),
        **_self_reported_fields(cell),
        **_handled_fields(cell, overall, happiness_value),
    }
    return Record(SERVICE_DESK_MEASUREMENT, dict(tags), fields, time_ns) if fields else None


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
                "mean_score": round(sum(scores) / len(scores), 3),
                "lowest_five_mean_score": round(
                    sum(sorted(scores)[:MIN_USERS_PER_AGGREGATE]) / MIN_USERS_PER_AGGREGATE, 3
                ),
                "mean_worst_moment": round(
                    sum(j[1] for j in cell.journeys.values()) / len(scores), 3
                ),
                "mean_end": round(sum(j[2] for j in cell.journeys.values()) / len(scores), 3),
                "users_below_issue_score": sum(score < ISSUE_SCORE for score in scores),
            },
            time_ns,
        )
    ]
