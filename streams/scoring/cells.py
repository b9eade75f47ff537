"""Tumbling-window cells per persona and site, and the records they publish.

A :class:`Cell` counts every observation of one persona at one site in one
tumbling window (5 min, 1 h, 1 day, aligned to the epoch). The Faust agent
``aggregate_cells`` keeps cells in the ``cells`` table; the in-process
pipeline keeps them in a dict. Reads observations; writes nothing: the caller
stores the cell and sends :func:`cell_records` to the sink.

Formula ``FORMULA_VERSION`` (stored with every record, see README "Scores"):

* touch-point score = 100 x Apdex of its samples (good 1, tolerating 1/2);
* user score = the persona-weighted mean of the user's touch-point scores;
* overall score = the persona-weighted mean of the touch-point scores;
* a user "has issues" below ``ISSUE_SCORE`` (Nexthink's "employees with issues");
* ticket correlation: a ticket is explained by the touch point that lost its user
  most time in the 4 h before it, else by the one that lost the users of the device
  it was raised from most time (``explained_via_device``), else it has no signal;
* silent sufferers: users with a frustrating sample and no ticket in the window;
* service desk: per handled ticket, first contact, reassignments, reopen,
  resolution in target, SLA; a blend of them (``service_experience_score``);
* watermelon: SLA green (>= 90 % met, >= 5 tickets handled) while experience is
  red (overall score or service-desk score below ``ISSUE_SCORE``, or happiness < 0).

Cells are idempotent: an event id is counted once, so replays do not double
count. A ticket is counted as handled once, as it ended: reopening it (or
resolving it again) retracts its earlier handling. Nothing is published for
fewer than ``MIN_USERS_PER_AGGREGATE`` people (k-anonymity); the per-user
record carries only the pseudonym, as a field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from xlapulse.streams.scoring.formulas import (
    apdex,
    happiness,
    sentiment_score_from_happiness,
    service_experience_score,
    servicenow_dex_score,
)
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.journey import JOURNEY_FORMULA_VERSION
from xlapulse.streams.scoring.observations import (
    JourneyObservation,
    Observation,
    SampleObservation,
    SurveyObservation,
    TicketObservation,
)
from xlapulse.streams.scoring.personas import (
    SERVICE_DESK,
    TELEMETRY_TOUCH_POINTS,
    TOUCH_POINTS,
)
from xlapulse.streams.scoring.xla import ObjectiveStats, XlaConfig, evaluate

FORMULA_VERSION = "2.2"
MIN_USERS_PER_AGGREGATE = 5
WINDOW_SIZES_S = (300, 3600, 86_400)
#: Only the hourly cell remembers event ids: an observation falls into exactly one
#: hourly cell, so that cell decides for all window sizes whether it was counted.
DEDUP_WINDOW_S = 3600
#: Per-user scores are published in the 5 min and 1 h windows (not per day).
USER_SCORE_WINDOWS_S = (300, 3600)
JOURNEY_WINDOW_S = 86_400
ISSUE_SCORE = 70.0
SLA_GREEN_RATIO = 0.9
MIN_TICKETS_FOR_SLA = 5
#: A survey answer of 8 or more counts as a satisfied customer (CSAT).
CSAT_SATISFIED_SCORE = 8
_BANDS = (Band.GOOD, Band.TOLERATING, Band.FRUSTRATING)


def window_start_ms(event_time_ms: int, window_s: int) -> int:
    """Start of the tumbling window of ``window_s`` seconds that contains the time."""
    size_ms = window_s * 1000
    return event_time_ms - event_time_ms % size_ms


def window_label(window_s: int) -> str:
    """Human label for a window size, used as an InfluxDB tag: 300 -> '5m', 3600 -> '1h'."""
    for unit_s, unit in ((86_400, "d"), (3600, "h"), (60, "m")):
        if window_s % unit_s == 0:
            return f"{window_s // unit_s}{unit}"
    return f"{window_s}s"


def cell_key(persona: str, site: str, window_s: int, start_ms: int) -> str:
    """Table key of a cell."""
    return f"{persona}|{site}|{window_s}|{start_ms}"


def cell_group_key(key: str) -> str:
    """The persona|site of a cell key: the record key of the observations it counts,
    hence the partition its writes and its tombstone belong to."""
    return key.rsplit("|", 2)[0]


@dataclass
class Cell:
    """Counts for one (persona, site, window) cell; JSON-friendly via to_dict/from_dict."""

    persona: str
    site: str
    window_s: int
    window_start_ms: int
    #: short event ids counted here (hourly cells only, see ``DEDUP_WINDOW_S``)
    event_ids: set[str] = field(default_factory=set)
    #: touch point -> [good, tolerating, frustrating, time_lost_ms]
    touch_points: dict[str, list[int]] = field(default_factory=dict)
    #: user -> touch point -> [good, tolerating, frustrating]
    user_touch_points: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    #: objective id -> [samples, hits]
    objectives: dict[str, list[int]] = field(default_factory=dict)
    #: answers per score 0..10, and who answered
    survey_scores: list[int] = field(default_factory=lambda: [0] * 11)
    survey_users: list[str] = field(default_factory=list)
    self_reported_lost_ms: int = 0
    self_reported_answers: int = 0
    #: the same for answers about a ticket (CSAT and service-desk happiness)
    ticket_survey_scores: list[int] = field(default_factory=lambda: [0] * 11)
    ticket_survey_users: list[str] = field(default_factory=list)
    csat_answers: int = 0
    csat_satisfied: int = 0
    tickets_opened: int = 0
    explained_by: dict[str, int] = field(default_factory=dict)
    #: of those, explained by the telemetry of the device they were raised from
    explained_via_device: int = 0
    signal_time_lost_ms: int = 0
    ticket_users: list[str] = field(default_factory=list)
    #: handled tickets per band, and service-desk facts
    handled: list[int] = field(default_factory=lambda: [0, 0, 0])
    no_contact: int = 0
    reopened: int = 0
    first_assignee: int = 0
    #: reassignments of all handled tickets, and handled tickets reassigned twice or more
    reassignments: int = 0
    reassigned_twice: int = 0
    sla_known: int = 0
    sla_met: int = 0
    resolved_in_target: int = 0
    first_contact_ms_total: int = 0
    first_contact_count: int = 0
    #: user -> [journey score, worst, end, event_time_ms] of the latest journey update
    journeys: dict[str, list[float]] = field(default_factory=dict)

    def key(self) -> str:
        return cell_key(self.persona, self.site, self.window_s, self.window_start_ms)

    def users(self) -> set[str]:
        return (
            set(self.user_touch_points)
            | set(self.survey_users)
            | set(self.ticket_users)
            | set(self.journeys)
        )

    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose: the caller serializes it at once (dataclasses.asdict's
        # deep copy was the engine's single largest cost).
        return {**vars(self), "event_ids": sorted(self.event_ids)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cell:
        return cls(**{**data, "event_ids": set(data["event_ids"])})


def short_event_id(event_id: str) -> str:
    """A 64-bit hash of an event id: enough to tell a day's events apart, half the size."""
    return hashlib.blake2b(event_id.encode(), digest_size=8).hexdigest()


def cells_for(observation: Observation) -> list[tuple[str, int, int]]:
    """(key, window_s, start_ms) of every cell the observation falls into, hourly cell first."""
    sizes = (
        (JOURNEY_WINDOW_S,)
        if isinstance(observation, JourneyObservation)
        else (DEDUP_WINDOW_S, *(size for size in WINDOW_SIZES_S if size != DEDUP_WINDOW_S))
    )
    return [
        (
            cell_key(observation.persona, observation.site, size, start),
            size,
            start,
        )
        for size in sizes
        for start in [window_start_ms(observation.event_time_ms, size)]
    ]


def add_observation(cell: Cell, observation: Observation, resolution_target_ms: int) -> bool:
    """Count the observation in the cell (in place); False if it was counted already.

    An hourly cell checks the event id; the caller must offer the hourly cell first
    and stop when it says False (see :func:`cells_for`).
    """
    if isinstance(observation, JourneyObservation):
        latest = cell.journeys.get(observation.user_id)
        if latest is not None and latest[3] > observation.event_time_ms:
            return False
        cell.journeys[observation.user_id] = [
            observation.score,
            observation.worst,
            observation.end,
            observation.event_time_ms,
        ]
        return True
    if cell.window_s == DEDUP_WINDOW_S:
        short_id = short_event_id(observation.event_id)
        if short_id in cell.event_ids:
            return False
        cell.event_ids.add(short_id)
    if isinstance(observation, SampleObservation):
        _add_sample(cell, observation)
    elif isinstance(observation, TicketObservation):
        _add_ticket(cell, observation, resolution_target_ms)
    elif isinstance(observation, SurveyObservation):
        _add_survey(cell, observation)
    return True


def _add_sample(cell: Cell, sample: SampleObservation) -> None:
    band_index = _BANDS.index(sample.band)
    counts = cell.touch_points.setdefault(sample.touch_point, [0, 0, 0, 0])
    counts[band_index] += 1
    counts[3] += sample.time_lost_ms
    user = cell.user_touch_points.setdefault(sample.user_id, {})
    user.setdefault(sample.touch_point, [0, 0, 0])[band_index] += 1
    _count_objective_hits(cell, sample.objective_hits, 1)


def _count_objective_hits(cell: Cell, hits: tuple[tuple[str, bool], ...], sign: int) -> None:
    """Add (sign 1) or take back (sign -1) one sample's objective hits."""
    for objective_id, met in hits:
        tally = cell.objectives.setdefault(objective_id, [0, 0])
        tally[0] += sign
        tally[1] += sign * int(met)


def _add_ticket(cell: Cell, ticket: TicketObservation, resolution_target_ms: int) -> None:
    if ticket.stage == "retracted":
        _take_back_handling(cell, ticket, resolution_target_ms)
        return
    if ticket.user_id not in cell.ticket_users:
        cell.ticket_users.append(ticket.user_id)
    if ticket.stage in ("opened", "explained"):
        cell.tickets_opened += ticket.stage == "opened"
        cell.signal_time_lost_ms += ticket.signal_time_lost_ms
        cell.explained_via_device += int(ticket.via_device) - int(ticket.previous_via_device)
        if ticket.previous_explained_by is not None:
            cell.explained_by[ticket.previous_explained_by] -= 1
            if not cell.explained_by[ticket.previous_explained_by]:
                del cell.explained_by[ticket.previous_explained_by]
        if ticket.explained_by is not None:
            cell.explained_by[ticket.explained_by] = (
                cell.explained_by.get(ticket.explained_by, 0) + 1
            )
        return
    _count_handling(cell, ticket, resolution_target_ms, 1)


def _take_back_handling(cell: Cell, ticket: TicketObservation, resolution_target_ms: int) -> None:
    """Take back one handled ticket's service-desk facts (a retraction).

    A retraction the cell cannot match (it holds no handled ticket of the user in
    that band, e.g. the cell expired since) changes nothing.
    """
    user_desk = cell.user_touch_points.get(ticket.user_id, {}).get(SERVICE_DESK)
    if not user_desk or not user_desk[_BANDS.index(ticket.band or Band.GOOD)]:
        return
    _count_handling(cell, ticket, resolution_target_ms, -1)
    _drop_empty_service_desk(cell, ticket.user_id)


def _count_handling(
    cell: Cell, ticket: TicketObservation, resolution_target_ms: int, sign: int
) -> None:
    """Add (sign 1) or take back (sign -1) one handled ticket's service-desk facts."""
    band_index = _BANDS.index(ticket.band or Band.GOOD)
    user = cell.user_touch_points.setdefault(ticket.user_id, {})
    user.setdefault(SERVICE_DESK, [0, 0, 0])[band_index] += sign
    cell.handled[band_index] += sign
    cell.touch_points.setdefault(SERVICE_DESK, [0, 0, 0, 0])[band_index] += sign
    _count_objective_hits(cell, ticket.objective_hits, sign)
    cell.no_contact += sign * int(not ticket.contacted_user)
    cell.reopened += sign * int(ticket.reopened)
    cell.first_assignee += sign * int(ticket.reassignments == 0)
    cell.reassignments += sign * ticket.reassignments
    cell.reassigned_twice += sign * int(ticket.reassignments >= 2)
    if ticket.sla_breached is not None:
        cell.sla_known += sign
        cell.sla_met += sign * int(not ticket.sla_breached)
    if ticket.resolution_ms is not None and ticket.resolution_ms <= resolution_target_ms:
        cell.resolved_in_target += sign
    if ticket.first_contact_ms is not None:
        cell.first_contact_ms_total += sign * ticket.first_contact_ms
        cell.first_contact_count += sign


def _drop_empty_service_desk(cell: Cell, user_id: str) -> None:
    """Forget service-desk counts that retractions brought back to zero."""
    user = cell.user_touch_points[user_id]
    if not any(user[SERVICE_DESK]):
        del user[SERVICE_DESK]
    if not user:
        del cell.user_touch_points[user_id]
    desk = cell.touch_points.get(SERVICE_DESK)
    if desk is not None and not any(desk[:3]):
        del cell.touch_points[SERVICE_DESK]


def _add_survey(cell: Cell, survey: SurveyObservation) -> None:
    cell.survey_scores[survey.score] += 1
    if survey.user_id not in cell.survey_users:
        cell.survey_users.append(survey.user_id)
    if survey.self_reported_lost_ms is not None:
        cell.self_reported_lost_ms += survey.self_reported_lost_ms
        cell.self_reported_answers += 1
    if survey.about_ticket:
        cell.ticket_survey_scores[survey.score] += 1
        if survey.user_id not in cell.ticket_survey_users:
            cell.ticket_survey_users.append(survey.user_id)
        cell.csat_answers += 1
        cell.csat_satisfied += int(survey.score >= CSAT_SATISFIED_SCORE)


# --- publishing ----------------------------------------------------------


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


def _score(counts: list[int]) -> float:
    return 100 * apdex(counts[0], counts[1], sum(counts[:3]))


def _weighted(scores: dict[str, float], weights: Any) -> float | None:
    total_weight = sum(weights.get(point, 0.0) for point in scores)
    if total_weight <= 0:
        return None
    return sum(score * weights.get(point, 0.0) for point, score in scores.items()) / total_weight


def user_scores(cell: Cell, config: XlaConfig) -> dict[str, float]:
    """Each user's persona-weighted score in the cell (users with weighted samples only)."""
    weights = config.persona(cell.persona).weights
    scores = {}
    for user, per_point in cell.user_touch_points.items():
        score = _weighted({point: _score(counts) for point, counts in per_point.items()}, weights)
        if score is not None:
            scores[user] = score
    return scores


def cell_records(cell: Cell, config: XlaConfig, changed_users: Iterable[str] = ()) -> list[Record]:
    """Every publishable record of the cell, and the scores of the users that changed."""
    users = cell.users()
    if len(users) < MIN_USERS_PER_AGGREGATE:
        return []
    tags = {
        "persona": cell.persona,
        "site": cell.site,
        "window": window_label(cell.window_s),
        "formula_version": FORMULA_VERSION,
    }
    time_ns = cell.window_start_ms * 1_000_000
    journeys = (
        _journey_records(cell, tags, time_ns)
        if cell.window_s == JOURNEY_WINDOW_S and len(cell.journeys) >= MIN_USERS_PER_AGGREGATE
        else []
    )
    if not (cell.user_touch_points or cell.survey_users or cell.ticket_users):
        return journeys
    records, point_scores = _touch_point_records(cell, tags, time_ns)
    per_user = user_scores(cell, config)
    overall = _weighted(point_scores, config.persona(cell.persona).weights)
    happiness_value = _happiness(cell.survey_scores, cell.survey_users)
    if overall is not None:
        records.append(_overall_record(cell, tags, time_ns, overall, per_user))
    records += _compliance_records(
        cell, config, tags, time_ns, point_scores, overall, happiness_value
    )
    records.append(_service_desk_record(cell, tags, time_ns, overall, happiness_value))
    records += journeys
    if happiness_value is not None:
        records.append(_sentiment_record(cell, tags, time_ns, happiness_value))
    if cell.window_s in USER_SCORE_WINDOWS_S:
        records += [
            _user_record(cell, tags, user, per_user[user])
            for user in sorted(changed_users)
            if user in per_user
        ]
    return records


def _touch_point_records(
    cell: Cell, tags: dict[str, str], time_ns: int
) -> tuple[list[Record], dict[str, float]]:
    records, scores = [], {}
    for point in TOUCH_POINTS:
        counts = cell.touch_points.get(point)
        if counts is None:
            continue
        point_users = [u for u, per in cell.user_touch_points.items() if point in per]
        if len(point_users) < MIN_USERS_PER_AGGREGATE:
            continue
        samples = sum(counts[:3])
        score = _score(counts)
        scores[point] = score
        records.append(
            Record(
                "experience_score",
                {**tags, "touch_point": point},
                {
                    "score": round(score, 3),
                    "apdex": round(score / 100, 5),
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
    cell: Cell, tags: dict[str, str], time_ns: int, overall: float, per_user: dict[str, float]
) -> Record:
    counts = [sum(c[i] for c in cell.touch_points.values()) for i in range(4)]
    return Record(
        "experience_score",
        {**tags, "touch_point": "overall"},
        {
            "score": round(overall, 3),
            "apdex": round(overall / 100, 5),
            "good": counts[0],
            "tolerating": counts[1],
            "frustrating": counts[2],
            "samples": sum(counts[:3]),
            "users": len(cell.user_touch_points),
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
        samples, hits = cell.objectives.get(objective.id, [0, 0])
        score = (
            overall
            if objective.touch_point == "overall"
            else point_scores.get(objective.touch_point)
        )
        if objective.kind == "score_at_least" and score is not None:
            counted = (
                cell.touch_points.values()
                if objective.touch_point == "overall"
                else [cell.touch_points[objective.touch_point]]
            )
            samples = sum(sum(counts[:3]) for counts in counted)
        objective_happiness = None
        if objective.kind == "happiness_at_least":
            samples, objective_happiness = _answers_for(
                cell, objective.touch_point, happiness_value
            )
        compliance = evaluate(
            objective,
            cell.persona,
            ObjectiveStats(samples=samples, hits=hits, score=score, happiness=objective_happiness),
        )
        if compliance.value is None:
            continue
        records.append(
            Record(
                "xla_compliance",
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


def _service_desk_record(
    cell: Cell,
    tags: dict[str, str],
    time_ns: int,
    overall: float | None,
    happiness_value: float | None,
) -> Record:
    frustrated_users = {
        user
        for user, per_point in cell.user_touch_points.items()
        if any(counts[2] for point, counts in per_point.items() if point != SERVICE_DESK)
    }
    handled = sum(cell.handled)
    sla_met_ratio = cell.sla_met / cell.sla_known if cell.sla_known else None
    desk_score = _score(cell.handled) if handled else None
    fields: dict[str, float | int | str] = {
        "tickets_opened": cell.tickets_opened,
        "explained": sum(cell.explained_by.values()),
        "explained_via_device": cell.explained_via_device,
        "without_signal": cell.tickets_opened - sum(cell.explained_by.values()),
        "silent_sufferers": len(frustrated_users - set(cell.ticket_users)),
        "users_frustrated": len(frustrated_users),
        "telemetry_time_lost_ms": sum(c[3] for c in cell.touch_points.values()),
        "signal_time_lost_ms": cell.signal_time_lost_ms,
        "self_reported_lost_ms": cell.self_reported_lost_ms,
        "self_reported_answers": cell.self_reported_answers,
        "handled": handled,
        "no_contact": cell.no_contact,
        "reopened": cell.reopened,
    }
    if handled:
        fields["mean_reassignments"] = round(cell.reassignments / handled, 3)
        fields["reassigned_twice_ratio"] = round(cell.reassigned_twice / handled, 5)
    # Every telemetry touch point, 0 included: InfluxDB keeps a field that a rewritten
    # point leaves out, so a ticket moved to another explanation must zero its old one.
    fields.update(
        {
            f"explained_by_{point}": cell.explained_by.get(point, 0)
            for point in sorted(set(TELEMETRY_TOUCH_POINTS) | set(cell.explained_by))
        }
    )
    if cell.first_contact_count:
        fields["mean_first_contact_ms"] = cell.first_contact_ms_total // cell.first_contact_count
    if sla_met_ratio is not None:
        fields["sla_met_ratio"] = round(sla_met_ratio, 5)
    if handled:
        service = service_experience_score(
            csat_ratio=cell.csat_satisfied / cell.csat_answers if cell.csat_answers else None,
            resolved_in_target_ratio=cell.resolved_in_target / handled,
            first_assignee_ratio=cell.first_assignee / handled,
            sla_met_ratio=sla_met_ratio,
            reopen_ratio=cell.reopened / handled,
        )
        fields["service_experience_score"] = round(service, 3)
        if overall is not None and happiness_value is not None:
            fields["dex_score"] = round(
                servicenow_dex_score(
                    overall, sentiment_score_from_happiness(happiness_value), service
                ),
                3,
            )
    sla_green = (
        sla_met_ratio is not None
        and cell.sla_known >= MIN_TICKETS_FOR_SLA
        and sla_met_ratio >= SLA_GREEN_RATIO
    )
    experience_red = (
        (overall is not None and overall < ISSUE_SCORE)
        or (desk_score is not None and desk_score < ISSUE_SCORE)
        or (happiness_value is not None and happiness_value < 0)
    )
    fields["watermelon"] = int(sla_green and experience_red)
    return Record("service_desk", dict(tags), fields, time_ns)


def _sentiment_record(
    cell: Cell, tags: dict[str, str], time_ns: int, happiness_value: float
) -> Record:
    fields: dict[str, float | int | str] = {
        "happiness": round(happiness_value, 3),
        "answers": sum(cell.survey_scores),
        "users": len(set(cell.survey_users)),
    }
    if cell.csat_answers:
        fields["csat_ratio"] = round(cell.csat_satisfied / cell.csat_answers, 5)
    return Record("sentiment", dict(tags), fields, time_ns)


def _journey_records(cell: Cell, tags: dict[str, str], time_ns: int) -> list[Record]:
    scores = [journey[0] for journey in cell.journeys.values()]
    return [
        Record(
            "journey",
            {**tags, "journey_formula_version": JOURNEY_FORMULA_VERSION},
            {
                "users": len(scores),
                "mean_score": round(sum(scores) / len(scores), 3),
                "worst_score": round(min(scores), 3),
                "mean_worst_moment": round(
                    sum(j[1] for j in cell.journeys.values()) / len(scores), 3
                ),
                "mean_end": round(sum(j[2] for j in cell.journeys.values()) / len(scores), 3),
                "users_below_issue_score": sum(score < ISSUE_SCORE for score in scores),
            },
            time_ns,
        )
    ]


def _user_record(cell: Cell, tags: dict[str, str], user_id: str, score: float) -> Record:
    """A user's score; the timestamp is spread inside the window by the pseudonym's hash,
    so users of one cell do not overwrite each other while the user id stays a field."""
    offset_ns = int(hashlib.sha256(user_id.encode()).hexdigest()[:12], 16) % (
        cell.window_s * 1_000_000_000
    )
    samples = sum(sum(c) for c in cell.user_touch_points[user_id].values())
    return Record(
        "user_score",
        dict(tags),
        {"user_id": user_id, "score": round(score, 3), "samples": samples},
        cell.window_start_ms * 1_000_000 + offset_ns,
    )
