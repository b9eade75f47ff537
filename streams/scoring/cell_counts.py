"""Counting one observation into a cell (``cells.py`` holds the cell itself).

Reads: a sample, ticket, survey or journey observation and the cell it falls into.
Writes: the cell, in place. Samples count per touch point and per user, with their
failures, components and phases; a ticket is opened, explained anew, handled, or its
handling retracted; a survey answer counts its score, self-reported lost time and CSAT.
Idempotence (an event counted once) and what a correction may move are described in
``cells.py``.
"""

from __future__ import annotations

from xlapulse.streams.scoring.cells import (
    COMPONENT_FAILURES,
    COMPONENT_SAMPLES,
    COMPONENT_TIME_LOST_MS,
    COMPONENT_TOUCH_POINTS,
    DEDUP_WINDOW_S,
    DIRECT_PRINTING,
    GOOD,
    PHASE_TOTAL,
    PHASE_TOUCH_POINTS,
    PRINT_SERVER,
    SCORE_DECIMALS,
    SCORE_SUM,
    TIME_LOST_MS,
    UNKNOWN_COMPONENT,
    Cell,
    new_counts,
    short_event_id,
)
from xlapulse.streams.scoring.details import print_server
from xlapulse.streams.scoring.exposure import is_failure
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.observations import (
    JourneyObservation,
    Observation,
    SampleObservation,
    SurveyObservation,
    TicketObservation,
)
from xlapulse.streams.scoring.personas import SERVICE_DESK
from xlapulse.streams.scoring.touchpoints import SAMPLE_SCORE

#: A survey answer of 8 or more counts as a satisfied customer (CSAT).
CSAT_SATISFIED_SCORE = 8
_BANDS = (Band.GOOD, Band.TOLERATING, Band.FRUSTRATING)


def exact_sum(total: float, score: float) -> float:
    """``total + score`` for scores of three decimals (``SampleObservation.score``),
    rounded back to three: the float error of each addition (far below 0.0005 for any
    sum a cell reaches) is dropped, so the sum is the same in every arrival order."""
    return round(total + score, SCORE_DECIMALS)


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
        counts[SCORE_SUM] = exact_sum(counts[SCORE_SUM], score)
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
    component = sample.component or UNKNOWN_COMPONENT
    keys = [f"{sample.touch_point}|{component}"]
    if sample.touch_point == "print":
        keys.append(f"{PRINT_SERVER}|{print_server_component(component)}")
    failure = is_component_failure(sample.touch_point, sample)
    for key in keys:
        counts = cell.component_counts.setdefault(key, [0, 0, 0, 0, 0])
        counts[COMPONENT_SAMPLES] += 1
        if band_index != GOOD:
            counts[band_index] += 1  # TOLERATING and FRUSTRATING share the positions
        counts[COMPONENT_FAILURES] += failure
        counts[COMPONENT_TIME_LOST_MS] += sample.time_lost_ms
        users = cell.component_users.setdefault(key, [])
        if sample.user_id not in users:
            users.append(sample.user_id)


def print_server_component(printer: str) -> str:
    """The print-server breakdown's name for a printer: its server, ``direct`` for a
    printer reached without one, ``unknown`` when the job named no printer."""
    if printer == UNKNOWN_COMPONENT:
        return UNKNOWN_COMPONENT
    return print_server(printer) or DIRECT_PRINTING


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
        counts[SCORE_SUM] = exact_sum(counts[SCORE_SUM], sign * SAMPLE_SCORE[band])
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
