"""Tumbling-window cells per persona and site: the counts the published records come from.

A :class:`Cell` counts every observation of one persona at one site in one
tumbling window (5 min, 1 h, 1 day, aligned to the epoch). The Faust agent
``aggregate_cells`` keeps cells in the ``cells`` table; the in-process
pipeline keeps them in a dict. Reads observations; writes nothing: the caller
stores the cell and publishes ``records.cell_records`` of it.

Cells are idempotent: an event id is counted once, so replays do not double
count. A ticket is counted as handled once, as it ended: reopening it (or
resolving it again) retracts its earlier handling. A cell remembers the tickets
opened in it with the explanation it counted, so a correction moves only a ticket
the cell holds (one opened under another persona or site, before its user moved,
changes nothing here) and no count goes negative, whatever the input order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from xlapulse.streams.scoring.exposure import is_failure
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.observations import (
    ExposureObservation,
    JourneyObservation,
    Observation,
    SampleObservation,
    SurveyObservation,
    TicketObservation,
)
from xlapulse.streams.scoring.personas import SERVICE_DESK
from xlapulse.streams.scoring.spans import total_ms
from xlapulse.streams.scoring.touchpoints import SAMPLE_SCORE

WINDOW_SIZES_S = (300, 3600, 86_400)
#: Only the hourly cell remembers event ids: an observation falls into exactly one
#: hourly cell, so that cell decides for all window sizes whether it was counted.
DEDUP_WINDOW_S = 3600
JOURNEY_WINDOW_S = 86_400
#: A survey answer of 8 or more counts as a satisfied customer (CSAT).
CSAT_SATISFIED_SCORE = 8
_BANDS = (Band.GOOD, Band.TOLERATING, Band.FRUSTRATING)
#: The counts of a touch point (of a cell, or of one user in it), by position:
#: samples per band, their time lost, and the sum of their graded scores.
GOOD, TOLERATING, FRUSTRATING, TIME_LOST_MS, SCORE_SUM = range(5)
#: Layout of stored counts: 1 (formula 2.x) had no score sum, and per user no time lost.
COUNTS_LAYOUT = 2
#: Touch points broken down by component, and the positions of a component's counts
#: (tolerating and frustrating at the same positions as a touch point's).
COMPONENT_TOUCH_POINTS = ("app", "vpn", "print")
UNKNOWN_COMPONENT = "unknown"
#: Touch points broken down by phase (``phases.py``), and the phase key of their timed
#: total (every timed sample, with phases or without).
PHASE_TOUCH_POINTS = ("boot", "logon")
PHASE_TOTAL = "*"
COMPONENT_SAMPLES, COMPONENT_FAILURES, COMPONENT_TIME_LOST_MS = 0, 3, 4


def new_counts() -> list[float]:
    """Zero counts of one touch point (see ``GOOD`` .. ``SCORE_SUM``)."""
    return [0, 0, 0, 0, 0.0]


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
    #: touch point -> [good, tolerating, frustrating, time_lost_ms, graded score sum]
    touch_points: dict[str, list[float]] = field(default_factory=dict)
    #: user -> touch point -> the same counts for that user
    user_touch_points: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    #: objective id -> [samples, hits]
    objectives: dict[str, list[int]] = field(default_factory=dict)
    #: answers per score 0..10, and who answered
    survey_scores: list[int] = field(default_factory=lambda: [0] * 11)
    survey_users: list[str] = field(default_factory=list)
    self_reported_lost_ms: int = 0
    self_reported_answers: int = 0
    self_reported_users: list[str] = field(default_factory=list)
    #: the same for answers about a ticket (CSAT and service-desk happiness)
    ticket_survey_scores: list[int] = field(default_factory=lambda: [0] * 11)
    ticket_survey_users: list[str] = field(default_factory=list)
    csat_answers: int = 0
    csat_satisfied: int = 0
    tickets_opened: int = 0
    #: short ticket key (:func:`short_ticket_key`) -> [explaining touch point or None,
    #: via device 0/1, signal time lost ms] of every ticket opened here: a correction
    #: moves only a ticket the cell holds, from what the cell counted for it
    opened_tickets: dict[str, list[Any]] = field(default_factory=dict)
    explained_by: dict[str, int] = field(default_factory=dict)
    #: of those, explained by the telemetry of the device they were raised from
    explained_via_device: int = 0
    signal_time_lost_ms: int = 0
    #: who has a ticket observation here (any stage), and who opened a ticket here
    ticket_users: list[str] = field(default_factory=list)
    opened_users: list[str] = field(default_factory=list)
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
    #: exposure (``exposure.py``) -> "user|device" -> exposed spans in this window
    #: (``spans.py``; ``exposure_clock.py`` credits them)
    exposure_spans: dict[str, dict[str, list[list[int]]]] = field(default_factory=dict)
    #: touch point -> samples that are failures its exposure divides (``exposure.py``)
    failures: dict[str, int] = field(default_factory=dict)
    #: "touch point|component" (a VPN gateway, an app and version, a printer; "unknown"
    #: when the event names none) -> [samples, tolerating, frustrating, failures, time
    #: lost ms], and who had those samples (``component_record.py`` publishes them)
    component_counts: dict[str, list[int]] = field(default_factory=dict)
    component_users: dict[str, list[str]] = field(default_factory=dict)
    #: "touch point|phase" (boot and logon phases, ``phases.py``; "touch point|*" the
    #: timed total) -> [sum ms, samples], and who reported each phase
    phase_sums: dict[str, list[float]] = field(default_factory=dict)
    phase_users: dict[str, list[str]] = field(default_factory=dict)
    counts_layout: int = COUNTS_LAYOUT

    def key(self) -> str:
        return cell_key(self.persona, self.site, self.window_s, self.window_start_ms)

    def users(self) -> set[str]:
        return (
            set(self.user_touch_points)
            | set(self.survey_users)
            | set(self.ticket_users)
            | set(self.journeys)
            | {holder.split("|")[0] for held in self.exposure_spans.values() for holder in held}
        )

    def exposed_ms(self, exposure: str) -> dict[str, int]:
        """User -> exposed ms of one exposure in this window (summed over devices)."""
        per_user: dict[str, int] = {}
        for holder, spans in self.exposure_spans.get(exposure, {}).items():
            user = holder.split("|")[0]
            per_user[user] = per_user.get(user, 0) + total_ms(spans)
        return per_user

    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose: the caller serializes it at once (dataclasses.asdict's
        # deep copy was the engine's single largest cost).
        return {**vars(self), "event_ids": sorted(self.event_ids)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cell:
        cell = cls(**{**data, "event_ids": set(data["event_ids"])})
        if "counts_layout" not in data:
            _upgrade_counts(cell)
        return cell


def _upgrade_counts(cell: Cell) -> None:
    """Counts stored by formula 2.x: score sums from the bands (no tolerating sample was
    graded then), per-user time lost unknown (0)."""
    for counts in cell.touch_points.values():
        counts.append(
            SAMPLE_SCORE[Band.GOOD] * counts[GOOD]
            + SAMPLE_SCORE[Band.TOLERATING] * counts[TOLERATING]
        )
    for per_point in cell.user_touch_points.values():
        for counts in per_point.values():
            counts += [
                0,
                SAMPLE_SCORE[Band.GOOD] * counts[GOOD]
                + SAMPLE_SCORE[Band.TOLERATING] * counts[TOLERATING],
            ]
    cell.counts_layout = COUNTS_LAYOUT


def short_event_id(event_id: str) -> str:
    """A 64-bit hash of an event id: enough to tell a day's events apart, half the size."""
    return hashlib.blake2b(event_id.encode(), digest_size=8).hexdigest()


def cells_for(observation: Observation) -> list[tuple[str, int, int]]:
    """(key, window_s, start_ms) of every cell the observation falls into, hourly cell first."""
    if isinstance(observation, JourneyObservation):
        sizes: tuple[int, ...] = (JOURNEY_WINDOW_S,)
    elif isinstance(observation, ExposureObservation):
        # In no cell: ``exposure_clock.py`` applies it, idempotently.
        sizes = ()
    else:
        sizes = (DEDUP_WINDOW_S, *(size for size in WINDOW_SIZES_S if size != DEDUP_WINDOW_S))
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
    score = SAMPLE_SCORE[sample.band] if sample.score is None else sample.score
    user = cell.user_touch_points.setdefault(sample.user_id, {})
    for counts in (
        cell.touch_points.setdefault(sample.touch_point, new_counts()),
        user.setdefault(sample.touch_point, new_counts()),
    ):
        counts[band_index] += 1
        counts[TIME_LOST_MS] += sample.time_lost_ms
        counts[SCORE_SUM] += score
    if is_failure(sample.touch_point, sample.cause):
        cell.failures[sample.touch_point] = cell.failures.get(sample.touch_point, 0) + 1
    if sample.touch_point in COMPONENT_TOUCH_POINTS:
        _count_component(cell, sample, band_index)
    if sample.touch_point in PHASE_TOUCH_POINTS:
        _count_phases(cell, sample)
    _count_objective_hits(cell, sample.objective_hits, 1)


def _count_phases(cell: Cell, sample: SampleObservation) -> None:
    timed = [(PHASE_TOTAL, sample.measured_ms)] if sample.measured_ms is not None else []
    for phase, ms in (*sample.phases, *timed):
        key = f"{sample.touch_point}|{phase}"
        sums = cell.phase_sums.setdefault(key, [0, 0])
        sums[0] += ms
        sums[1] += 1
        if phase == PHASE_TOTAL:
            continue
        users = cell.phase_users.setdefault(key, [])
        if sample.user_id not in users:
            users.append(sample.user_id)


def _count_component(cell: Cell, sample: SampleObservation, band_index: int) -> None:
    key = f"{sample.touch_point}|{sample.component or UNKNOWN_COMPONENT}"
    counts = cell.component_counts.setdefault(key, [0, 0, 0, 0, 0])
    counts[COMPONENT_SAMPLES] += 1
    if band_index != GOOD:
        counts[band_index] += 1  # TOLERATING and FRUSTRATING share the positions
    counts[COMPONENT_FAILURES] += is_component_failure(sample.touch_point, sample)
    counts[COMPONENT_TIME_LOST_MS] += sample.time_lost_ms
    users = cell.component_users.setdefault(key, [])
    if sample.user_id not in users:
        users.append(sample.user_id)


def is_component_failure(touch_point: str, sample: SampleObservation) -> bool:
    """An app crash or hang, a VPN drop or failed connect, a failed print job."""
    if touch_point == "print":
        return sample.band is Band.FRUSTRATING
    return is_failure(touch_point, sample.cause)


def _count_objective_hits(cell: Cell, hits: tuple[tuple[str, bool], ...], sign: int) -> None:
    """Add (sign 1) or take back (sign -1) one sample's objective hits."""
    for objective_id, met in hits:
        tally = cell.objectives.setdefault(objective_id, [0, 0])
        tally[0] += sign
        tally[1] += sign * int(met)


def short_ticket_key(user_id: str, ticket_id: str) -> str:
    """A 64-bit hash of the user's ticket: how a cell remembers which tickets it holds."""
    return short_event_id(f"{user_id}|{ticket_id}")


def _add_ticket(cell: Cell, ticket: TicketObservation, resolution_target_ms: int) -> None:
    if ticket.stage == "retracted":
        _take_back_handling(cell, ticket, resolution_target_ms)
        return
    if ticket.stage == "opened":
        _open_ticket(cell, ticket)
    elif ticket.stage == "explained":
        _move_explanation(cell, ticket)
    else:
        _note_ticket_user(cell, ticket.user_id)
        _count_handling(cell, ticket, resolution_target_ms, 1)


def _note_ticket_user(cell: Cell, user_id: str) -> None:
    if user_id not in cell.ticket_users:
        cell.ticket_users.append(user_id)


def _open_ticket(cell: Cell, ticket: TicketObservation) -> None:
    """Count an opened ticket and its explanation; a ticket the cell holds opens once."""
    key = short_ticket_key(ticket.user_id, ticket.ticket_id)
    if key in cell.opened_tickets:
        return
    cell.opened_tickets[key] = [ticket.explained_by, 0, ticket.signal_time_lost_ms]
    _note_ticket_user(cell, ticket.user_id)
    if ticket.user_id not in cell.opened_users:
        cell.opened_users.append(ticket.user_id)
    cell.tickets_opened += 1
    cell.signal_time_lost_ms += ticket.signal_time_lost_ms
    _count_explanation(cell, ticket.explained_by, 1)


def _move_explanation(cell: Cell, ticket: TicketObservation) -> None:
    """Move a ticket the cell holds from the explanation the cell counted for it to the
    correction's. A correction for a ticket the cell does not hold changes nothing: the
    cell never counted it (e.g. its user moved to another persona or site since, so the
    correction lands in cells of the new one, or the ticket's opening was never seen)."""
    held = cell.opened_tickets.get(short_ticket_key(ticket.user_id, ticket.ticket_id))
    if held is None:
        return
    counted_by, counted_via_device, counted_lost_ms = held
    # The correction carries the change of the ticket's lost time; never below zero.
    lost_ms = max(0, counted_lost_ms + ticket.signal_time_lost_ms)
    cell.signal_time_lost_ms += lost_ms - counted_lost_ms
    cell.explained_via_device += int(ticket.via_device) - counted_via_device
    _count_explanation(cell, counted_by, -1)
    _count_explanation(cell, ticket.explained_by, 1)
    held[:] = [ticket.explained_by, int(ticket.via_device), lost_ms]


def _count_explanation(cell: Cell, touch_point: str | None, sign: int) -> None:
    """Add (sign 1) or take back (sign -1) one ticket explained by ``touch_point``."""
    if touch_point is None:
        return
    count = cell.explained_by.get(touch_point, 0) + sign
    if count:
        cell.explained_by[touch_point] = count
    else:
        del cell.explained_by[touch_point]


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
    band = ticket.band or Band.GOOD
    band_index = _BANDS.index(band)
    user = cell.user_touch_points.setdefault(ticket.user_id, {})
    for counts in (
        user.setdefault(SERVICE_DESK, new_counts()),
        cell.touch_points.setdefault(SERVICE_DESK, new_counts()),
    ):
        counts[band_index] += sign
        counts[SCORE_SUM] += sign * SAMPLE_SCORE[band]
    cell.handled[band_index] += sign
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
        if survey.user_id not in cell.self_reported_users:
            cell.self_reported_users.append(survey.user_id)
    if survey.about_ticket:
        cell.ticket_survey_scores[survey.score] += 1
        if survey.user_id not in cell.ticket_survey_users:
            cell.ticket_survey_users.append(survey.user_id)
        cell.csat_answers += 1
        cell.csat_satisfied += int(survey.score >= CSAT_SATISFIED_SCORE)
