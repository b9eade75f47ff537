"""Per-user state and the step that turns one event into observations.

The Faust agent ``follow_users`` keeps one ``UserState`` (``user_model.py``) per user
pseudonym in the ``user-state`` table (co-partitioned with every input topic)
and calls :func:`step` for each event; the in-process pipeline does the same
with a dict. Reads: a validated contract event and the XLA configuration.
Writes: nothing; the caller stores the new state and sends the outputs
(observations, survey invitations, and device signals keyed by device id for
the device join, ``device_state.py``). The step scores telemetry (a sample, the
journey of its day, ``day_journey.py``) and survey answers itself and hands ticket
events to ``user_tickets.py``, whose ``apply_device_explanation`` applies what a
device's telemetry says of one of the user's tickets.

Policies (each outcome is counted by the caller):

* **duplicate**: an event id seen for this user within ``DEDUP_WINDOW_MS`` is
  dropped (at-least-once delivery, collector retries, webhook redeliveries);
* **future**: an event more than ``MAX_FUTURE_SKEW_MS`` ahead of the clock is
  dead-lettered (a broken endpoint clock must not open windows in the future);
* **late**: an event older than ``max_event_age_ms`` is dead-lettered: its
  windows are closed and its user state may have expired;
* **held**: events of a user without a directory assignment are held (at
  most ``MAX_HELD_EVENTS`` for ``MAX_HOLD_MS``) and scored when the assignment
  arrives, because the directory topic is not ordered with the others;
  after that they are scored as persona ``unassigned``.

State is bounded: ids, problems, tickets and journey moments are capped and
pruned by age (problems: older than the window of every held ticket and than
``CORRELATION_WINDOW_MS`` before the latest telemetry), and :func:`is_expired`
tells the caller when to delete a user unseen for ``USER_STATE_TTL_MS`` (the
caller's sweep sends no release: a device holds a ticket for a day of its signal
time, and an explanation for a deleted user changes nothing).
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from xlapulse.collectors.contract.codec import encode_event, parse_event
from xlapulse.collectors.contract.events import (
    DirectoryAssignmentEvent,
    EventBase,
    SurveyAnswerEvent,
    SurveyInvitationEvent,
    TelemetryEvent,
    TicketEvent,
    VpnSessionEvent,
    event_time_ms,
)
from xlapulse.streams.scoring.cells import SCORE_DECIMALS, short_event_id
from xlapulse.streams.scoring.correlation import prune_problems, remember_in_time_order
from xlapulse.streams.scoring.day_journey import PAST_DAYS_KEPT_MS, moment_tag, past_day
from xlapulse.streams.scoring.details import sample_component, sample_detail
from xlapulse.streams.scoring.device_signals import DeviceProblem, DeviceSignal
from xlapulse.streams.scoring.exposure import exposure_observations, moved_exposures, remember_open
from xlapulse.streams.scoring.formula_versions import CURRENT_FORMULA, Formula
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.observations import (
    JourneyObservation,
    Observation,
    SampleObservation,
    SurveyObservation,
)
from xlapulse.streams.scoring.personas import UNASSIGNED
from xlapulse.streams.scoring.phases import sample_phases
from xlapulse.streams.scoring.touchpoints import Indicator, indicate
from xlapulse.streams.scoring.user_model import UserState, UserStep, envelope, objective_hits
from xlapulse.streams.scoring.user_tickets import forget_closed_tickets, reexplain, ticket_step
from xlapulse.streams.scoring.xla import XlaConfig

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

DEDUP_WINDOW_MS = DAY_MS
#: at least the newest this many ids are remembered (a soft cap: see the slack)
MAX_REMEMBERED_EVENT_IDS = 2_000
#: ids remembered beyond the cap before the oldest are forgotten, all at once: a user
#: state holds up to 2,500 ids, about 18 kB more JSON than at 2,000
REMEMBERED_IDS_SLACK = MAX_REMEMBERED_EVENT_IDS // 4
MAX_FUTURE_SKEW_MS = 5 * MINUTE_MS
DEFAULT_MAX_EVENT_AGE_MS = 7 * DAY_MS
MAX_HELD_EVENTS = 50
MAX_HOLD_MS = 10 * MINUTE_MS
MAX_PROBLEMS = 100
USER_STATE_TTL_MS = 14 * DAY_MS

_INVITATION_NAMESPACE = uuid.UUID("6f1c1f0e-9f4e-5b0a-9a51-7c2d1b1e0a01")


def is_expired(
    state: UserState, clock_ms: int, max_event_age_ms: int = DEFAULT_MAX_EVENT_AGE_MS
) -> bool:
    """True when the user has been silent for longer than the state TTL.

    The TTL is never shorter than the late-event horizon: a state is kept as long
    as an event that still counts could arrive for it.
    """
    return clock_ms - state.last_active_ms > max(USER_STATE_TTL_MS, max_event_age_ms)


def step(
    state: UserState | None,
    event: EventBase,
    config: XlaConfig,
    clock_ms: int,
    max_event_age_ms: int = DEFAULT_MAX_EVENT_AGE_MS,
    formula: Formula = CURRENT_FORMULA,
) -> UserStep:
    """Apply one event to a user's state (``None`` for a new user), ``formula`` deciding
    whether a ticket's category limits what explains it.

    The state is updated in place and returned in the step, so the caller can
    store it back (Faust table or dict) without copying it per event.
    """
    state = UserState() if state is None else state
    when_ms = event_time_ms(event)
    if when_ms > clock_ms + MAX_FUTURE_SKEW_MS:
        return UserStep(state, "future")
    if when_ms < clock_ms - max_event_age_ms:
        return UserStep(state, "late")
    event_id = short_event_id(str(event.event_id))
    _forget_old_ids(state, clock_ms)
    if event_id in state.seen_event_ids:
        return UserStep(state, "duplicate")
    state.seen_event_ids[event_id] = clock_ms
    state.last_seen_ms = max(state.last_seen_ms, when_ms)
    state.last_active_ms = max(state.last_active_ms, clock_ms)

    if isinstance(event, DirectoryAssignmentEvent):
        return _assign(state, event, config, formula)
    if state.assigned:
        return _dispatch(state, event, config, formula)
    if _hold(state, event, clock_ms):
        return UserStep(state, "held")
    unassigned = len(state.held) + 1
    return replace(_release_held(state, config, formula, event), released_unassigned=unassigned)


def _dispatch(state: UserState, event: EventBase, config: XlaConfig, formula: Formula) -> UserStep:
    """Score one telemetry, ticket or survey event under the user's current persona."""
    if isinstance(event, TelemetryEvent):
        return _telemetry(state, event, config)
    if isinstance(event, TicketEvent):
        return ticket_step(state, event, config, formula)
    if isinstance(event, SurveyAnswerEvent):
        return UserStep(state, "ok", [_survey(state, event)])
    return UserStep(state, "ignored")


def _forget_old_ids(state: UserState, clock_ms: int) -> None:
    """Forget ids seen more than ``DEDUP_WINDOW_MS`` ago, and the oldest beyond
    ``MAX_REMEMBERED_EVENT_IDS`` once ``REMEMBERED_IDS_SLACK`` more were seen.

    Ids are remembered in the order they were first seen, at the processing clock, so
    the first is the oldest (a worker taking over with a clock a little behind can only
    make an id stay a little longer): the check costs the same for 10 ids as for 2,000,
    and the dict is rebuilt only when ids go. Before, a ``min`` over every id per event,
    and a sort per event for a user at the cap (a live user at several events a second
    reaches it in minutes)."""
    horizon = clock_ms - DEDUP_WINDOW_MS
    remembered = state.seen_event_ids
    if (
        len(remembered) <= MAX_REMEMBERED_EVENT_IDS + REMEMBERED_IDS_SLACK
        and next(iter(remembered.values()), horizon) >= horizon
    ):
        return
    kept = [(key, at) for key, at in remembered.items() if at >= horizon]
    state.seen_event_ids = dict(kept[-MAX_REMEMBERED_EVENT_IDS:])


def _hold(state: UserState, event: EventBase, clock_ms: int) -> bool:
    """Hold the event for the coming assignment; False once holding is no longer sensible
    (too many held, or held for longer than ``MAX_HOLD_MS`` of processing time)."""
    first_held_ms = state.held[0][0] if state.held else clock_ms
    if len(state.held) >= MAX_HELD_EVENTS or clock_ms - first_held_ms > MAX_HOLD_MS:
        return False
    state.held.append([clock_ms, encode_event(event).decode()])
    return True


def _release_held(
    state: UserState, config: XlaConfig, formula: Formula, current: EventBase | None
) -> UserStep:
    """Score every held event under the user's current persona, then ``current`` (if
    any), in the order they arrived: a ticket's steps stay in their order."""
    held, state.held = state.held, []
    observations: list[Observation] = []
    invitations: list[SurveyInvitationEvent] = []
    device_signals: list[DeviceSignal] = []
    outcome = "ok"
    events = [parse_event(raw.encode()) for _, raw in held]
    for event in [*events, *([current] if current is not None else [])]:
        released = _dispatch(state, event, config, formula)
        observations += released.observations
        invitations += released.invitations
        device_signals += released.device_signals
        outcome = released.outcome if event is current else outcome
    return UserStep(state, outcome, observations, invitations, device_signals)


def _assign(
    state: UserState, event: DirectoryAssignmentEvent, config: XlaConfig, formula: Formula
) -> UserStep:
    when_ms = event_time_ms(event)
    old_envelope = envelope(state, "", event.user_id, when_ms)
    state.persona, state.site = event.persona, event.site
    released = _release_held(state, config, formula, None)
    new_envelope = envelope(state, "", event.user_id, when_ms)
    if old_envelope == new_envelope or not state.open_exposures:
        return released
    moves = moved_exposures(
        state.open_exposures,
        old_envelope,
        new_envelope,
        str(event.event_id),
        whole=old_envelope["persona"] == UNASSIGNED,
    )
    return replace(released, observations=[*moves, *released.observations])


def _telemetry(state: UserState, event: TelemetryEvent, config: XlaConfig) -> UserStep:
    persona = config.persona(state.persona)
    indicator = indicate(event, persona.thresholds)
    invitations = _vpn_invitation(state, event)
    when_ms = event_time_ms(event)
    state.last_telemetry_ms = max(state.last_telemetry_ms, when_ms)
    device_signals = forget_closed_tickets(state, event.user_id)
    changes = exposure_observations(event, envelope(state, "", event.user_id, when_ms))
    remember_open(state.open_exposures, changes)
    exposures: list[Observation] = list(changes)
    if indicator is None:
        return UserStep(state, "ok", exposures, invitations, device_signals)
    hits = objective_hits(
        config, state.persona, indicator.touch_point, indicator.measured_ms, indicator.band
    )
    sample = SampleObservation(
        **envelope(state, str(event.event_id), event.user_id, when_ms),
        touch_point=indicator.touch_point,
        band=indicator.band,
        time_lost_ms=indicator.time_lost_ms,
        measured_ms=indicator.measured_ms,
        cause=indicator.cause,
        detail=None if indicator.band is Band.GOOD else sample_detail(event),
        component=sample_component(event),
        phases=sample_phases(event),
        score=round(indicator.graded_score, SCORE_DECIMALS),
        objective_hits=hits,
    )
    corrections: list[Observation] = []
    if indicator.band is not Band.GOOD:
        _remember_problem(state, indicator, when_ms)
        corrections, releases = reexplain(state, event.user_id, when_ms)
        device_signals += releases
        device_signals.append(
            DeviceProblem(
                device_id=event.device_id,
                user_id=event.user_id,
                event_id=str(event.event_id),
                time_ms=when_ms,
                touch_point=indicator.touch_point,
                time_lost_ms=indicator.time_lost_ms,
            )
        )
    journey = _add_moment(state, event, indicator, when_ms)
    journeys = [] if journey is None else [journey]
    return UserStep(
        state, "ok", [sample, *journeys, *corrections, *exposures], invitations, device_signals
    )


def _remember_problem(state: UserState, indicator: Indicator, when_ms: int) -> None:
    """Remember a problem; forget those older than ``CORRELATION_WINDOW_MS`` before the
    latest telemetry, before this problem (a day replayed after a newer one keeps its own
    recent problems for the tickets that follow them) and before every held ticket's
    creation (the start of the oldest of those windows), then the oldest beyond the cap
    (``capped_until_ms`` records the newest one dropped). A ticket processed later but
    created earlier than that may find fewer problems in its window than it had."""
    remember_in_time_order(
        state.problems, [when_ms, indicator.touch_point, indicator.cause, indicator.time_lost_ms]
    )
    state.problems, newest_capped_ms = prune_problems(
        state.problems,
        min(state.last_telemetry_ms, when_ms),
        (progress.created_ms for progress in state.tickets.values()),
        MAX_PROBLEMS,
    )
    if newest_capped_ms is not None and (
        state.capped_until_ms is None or newest_capped_ms > state.capped_until_ms
    ):
        state.capped_until_ms = newest_capped_ms


def _add_moment(
    state: UserState, event: EventBase, indicator: Indicator, when_ms: int
) -> JourneyObservation | None:
    """Add the sample to the user's journey of its day; that journey's score so far (None
    when the day's journey cannot take it or already holds it: ``day_journey.py``)."""
    day_ms = when_ms - when_ms % DAY_MS
    latest_ms = state.journey.day_start_ms
    day = state.journey
    tag = moment_tag(str(event.event_id))
    if latest_ms is not None and day_ms < latest_ms:
        past = state.past_journeys.get(day_ms)
        if past is None:
            day = state.past_journeys[day_ms] = past_day(day_ms, when_ms, indicator.score, tag)
        elif past.extend(when_ms, indicator.score, tag):
            day = past
        else:
            return None
    else:
        if latest_ms is not None and day_ms > latest_ms and state.journey.moments:
            state.past_journeys[latest_ms] = state.journey.compacted()
        if not state.journey.add(when_ms, indicator.score, tag):
            return None
    horizon_ms = (state.journey.day_start_ms or day_ms) - PAST_DAYS_KEPT_MS
    for past_ms in [past for past in state.past_journeys if past < horizon_ms]:
        del state.past_journeys[past_ms]
    journey = day.score()
    day_start_ms = day.day_start_ms
    assert day_start_ms is not None, "a day's journey knows its day"
    return JourneyObservation(
        **envelope(state, f"journey:{event.event_id}", event.user_id, day.last_ms),
        day_start_ms=day_start_ms,
        score=round(journey.score, 3),
        mean=round(journey.mean, 3),
        worst=round(journey.worst, 3),
        end=round(journey.end, 3),
        moments=journey.moments,
    )


def _vpn_invitation(state: UserState, event: TelemetryEvent) -> list[SurveyInvitationEvent]:
    """Invite a survey at the first good VPN session after a drop (a peak-end moment)."""
    if not isinstance(event, VpnSessionEvent):
        return []
    when_ms = event_time_ms(event)
    if event.state in ("dropped", "failed"):
        if state.vpn_down_since_ms is None:
            state.vpn_down_since_ms = when_ms
        return []
    if event.state != "connected" or state.vpn_down_since_ms is None:
        return []
    state.vpn_down_since_ms = None
    return [
        SurveyInvitationEvent(
            event_id=uuid.uuid5(_INVITATION_NAMESPACE, f"vpn_recovered:{event.event_id}"),
            event_time=event.event_time,
            user_id=event.user_id,
            device_id=event.device_id,
            trigger="vpn_recovered",
            survey="vpn_recovery",
            journey_moment="first_good_vpn_session_after_drop",
        )
    ]


def _survey(state: UserState, event: SurveyAnswerEvent) -> SurveyObservation:
    lost_ms = (
        None
        if event.self_reported_lost_minutes is None
        else event.self_reported_lost_minutes * MINUTE_MS
    )
    return SurveyObservation(
        **envelope(state, str(event.event_id), event.user_id, event_time_ms(event)),
        score=event.score,
        self_reported_lost_ms=lost_ms,
        about_ticket=event.ticket_id is not None,
    )
