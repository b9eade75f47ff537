"""Per-user state and the step that turns one event into observations.

The Faust agent ``follow_users`` keeps one :class:`UserState` per user
pseudonym in the ``user-state`` table (co-partitioned with every input topic)
and calls :func:`step` for each event; the in-process pipeline does the same
with a dict. Reads: a validated contract event and the XLA configuration.
Writes: nothing; the caller stores the new state and sends the outputs
(observations, survey invitations, and device signals keyed by device id for
the device join, ``device_state.py``). :func:`apply_device_explanation`
applies what a device's telemetry says of one of the user's tickets.

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
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Any

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
from xlapulse.streams.scoring.cells import short_event_id
from xlapulse.streams.scoring.correlation import (
    CORRELATION_WINDOW_MS,
    in_correlation_window,
    lost_by_touch_point,
    prune_problems,
    remember_in_time_order,
)
from xlapulse.streams.scoring.day_journey import DayJourney, totals_from_dict
from xlapulse.streams.scoring.details import sample_detail
from xlapulse.streams.scoring.device_signals import (
    DeviceExplanation,
    DeviceProblem,
    DeviceSignal,
    DeviceTicket,
)
from xlapulse.streams.scoring.formula_versions import CURRENT_FORMULA, Formula
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.observations import (
    JourneyObservation,
    Observation,
    SampleObservation,
    SurveyObservation,
    TicketObservation,
    observation_from_dict,
)
from xlapulse.streams.scoring.personas import SERVICE_DESK, UNASSIGNED, UNKNOWN_SITE, Thresholds
from xlapulse.streams.scoring.ticket_categories import fitting_touch_points
from xlapulse.streams.scoring.touchpoints import Indicator, indicate
from xlapulse.streams.scoring.xla import XlaConfig, sample_meets

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

DEDUP_WINDOW_MS = DAY_MS
MAX_REMEMBERED_EVENT_IDS = 2_000
MAX_FUTURE_SKEW_MS = 5 * MINUTE_MS
DEFAULT_MAX_EVENT_AGE_MS = 7 * DAY_MS
MAX_HELD_EVENTS = 50
MAX_HOLD_MS = 10 * MINUTE_MS
MAX_PROBLEMS = 100
MAX_OPEN_TICKETS = 50
MAX_TICKET_EVENT_IDS = 20
USER_STATE_TTL_MS = 14 * DAY_MS

_INVITATION_NAMESPACE = uuid.UUID("6f1c1f0e-9f4e-5b0a-9a51-7c2d1b1e0a01")


@dataclass
class TicketProgress:
    """What the engine knows about one open ticket of the user."""

    created_ms: int
    first_contact_ms: int | None = None
    assignments: int = 0
    reopened: bool = False
    sla_breached: bool | None = None
    #: The touch points whose signals can explain the ticket, from its category
    #: (``ticket_categories.py``, formula 3.0); None: any touch point.
    fits: list[str] | None = None
    #: The touch point that explains the ticket and the time its signals lost.
    explained_by: str | None = None
    signal_time_lost_ms: int = 0
    #: How many late signals changed the explanation (numbers the correction events).
    corrections: int = 0
    #: The explanation came from the device's telemetry (other users of a shared
    #: device), not the user's own; the user's own signals replace it.
    via_device: bool = False
    #: The device the ticket was raised from, while that device holds the ticket for
    #: its telemetry (until the user's own signals explain it; ``device_state.py``).
    device_id: str | None = None
    #: Closed tickets are kept until telemetry has passed their creation time, so a
    #: signal that arrives after the whole lifecycle can still explain them.
    closed: bool = False
    #: The counted handling (a ``handled`` observation's dict), retracted when the
    #: ticket is reopened or resolved again, so a ticket counts once, as it ended.
    counted_handling: dict[str, Any] | None = None
    #: How many handlings were retracted (numbers the retraction events).
    retractions: int = 0
    #: Short ids of the ticket's events applied (at most ``MAX_TICKET_EVENT_IDS``): a
    #: replay the user's id memory (``DEDUP_WINDOW_MS``) has forgotten is still a
    #: duplicate, so it cannot retract a handling the cells would not count again.
    event_ids: list[str] = field(default_factory=list)


@dataclass
class UserState:
    """Everything the engine remembers about one user (JSON-friendly via to_dict)."""

    persona: str = UNASSIGNED
    site: str = UNKNOWN_SITE
    last_seen_ms: int = 0
    #: Event time of the latest telemetry (telemetry of one user arrives in order).
    last_telemetry_ms: int = 0
    seen_event_ids: dict[str, int] = field(default_factory=dict)
    #: Recent frustrating or tolerating samples: [time_ms, touch_point, cause, time_lost_ms].
    problems: list[list[Any]] = field(default_factory=list)
    #: Time of the newest problem the ``MAX_PROBLEMS`` cap dropped (None: none): a ticket
    #: whose window reaches back to it may have lost the problems that explain it.
    capped_until_ms: int | None = None
    tickets: dict[str, TicketProgress] = field(default_factory=dict)
    #: The journey of the user's latest day with a sample (``day_journey.py``).
    journey: DayJourney = field(default_factory=DayJourney)
    vpn_down_since_ms: int | None = None
    #: Telemetry waiting for a directory assignment: [clock_ms when held, encoded event].
    held: list[list[Any]] = field(default_factory=list)
    #: The clock when this user's last event was processed (for the TTL).
    last_active_ms: int = 0

    @property
    def assigned(self) -> bool:
        return self.persona != UNASSIGNED

    def to_dict(self) -> dict[str, Any]:
        """Shallow JSON-friendly form (the caller serializes it at once). The journey is
        stored flat, as before it was kept incrementally, plus its running totals."""
        return {
            "persona": self.persona,
            "site": self.site,
            "last_seen_ms": self.last_seen_ms,
            "last_telemetry_ms": self.last_telemetry_ms,
            "seen_event_ids": self.seen_event_ids,
            "problems": self.problems,
            "capped_until_ms": self.capped_until_ms,
            "tickets": {key: vars(progress) for key, progress in self.tickets.items()},
            "journey_day_ms": self.journey.day_start_ms,
            "moments": self.journey.moments,
            "journey_settled": self.journey.settled_dict(),
            "vpn_down_since_ms": self.vpn_down_since_ms,
            "held": self.held,
            "last_active_ms": self.last_active_ms,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UserState:
        """Read :meth:`to_dict` output; a state stored without ``journey_settled`` (before
        the journey was kept incrementally) recomputes the totals at its next sample."""
        values = dict(data)
        values["tickets"] = {
            key: TicketProgress(**value) for key, value in values["tickets"].items()
        }
        values["journey"] = DayJourney(
            values.pop("journey_day_ms"),
            values.pop("moments"),
            totals_from_dict(values.pop("journey_settled", None)),
        )
        return cls(**values)


@dataclass(frozen=True)
class UserStep:
    """The result of one event: new state, outputs, and the policy outcome."""

    state: UserState
    outcome: str
    observations: list[Observation] = field(default_factory=list)
    invitations: list[SurveyInvitationEvent] = field(default_factory=list)
    #: For the device join, keyed by device id (``device_signals.py``).
    device_signals: list[DeviceSignal] = field(default_factory=list)


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
    return _release_held(state, config, formula, event)


def _dispatch(state: UserState, event: EventBase, config: XlaConfig, formula: Formula) -> UserStep:
    """Score one telemetry, ticket or survey event under the user's current persona."""
    if isinstance(event, TelemetryEvent):
        return _telemetry(state, event, config)
    if isinstance(event, TicketEvent):
        return _ticket(state, event, config, formula)
    if isinstance(event, SurveyAnswerEvent):
        return UserStep(state, "ok", [_survey(state, event)])
    return UserStep(state, "ignored")


def _envelope(state: UserState, event_id: str, user_id: str, when_ms: int) -> dict[str, Any]:
    """The fields every observation carries: which event, whose, where, when."""
    return {
        "event_id": event_id,
        "user_id": user_id,
        "persona": state.persona,
        "site": state.site,
        "event_time_ms": when_ms,
    }


def _forget_old_ids(state: UserState, clock_ms: int) -> None:
    horizon = clock_ms - DEDUP_WINDOW_MS
    seen = {key: at for key, at in state.seen_event_ids.items() if at >= horizon}
    if len(seen) > MAX_REMEMBERED_EVENT_IDS:
        newest = sorted(seen.items(), key=lambda item: item[1])[-MAX_REMEMBERED_EVENT_IDS:]
        seen = dict(newest)
    state.seen_event_ids = seen


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
    state.persona, state.site = event.persona, event.site
    return _release_held(state, config, formula, None)


def _telemetry(state: UserState, event: TelemetryEvent, config: XlaConfig) -> UserStep:
    persona = config.persona(state.persona)
    indicator = indicate(event, persona.thresholds)
    invitations = _vpn_invitation(state, event)
    when_ms = event_time_ms(event)
    state.last_telemetry_ms = max(state.last_telemetry_ms, when_ms)
    device_signals = _forget_closed_tickets(state, event.user_id)
    if indicator is None:
        return UserStep(state, "ok", [], invitations, device_signals)
    hits = _objective_hits(
        config, state.persona, indicator.touch_point, indicator.measured_ms, indicator.band
    )
    sample = SampleObservation(
        **_envelope(state, str(event.event_id), event.user_id, when_ms),
        touch_point=indicator.touch_point,
        band=indicator.band,
        time_lost_ms=indicator.time_lost_ms,
        measured_ms=indicator.measured_ms,
        cause=indicator.cause,
        detail=None if indicator.band is Band.GOOD else sample_detail(event),
        score=round(indicator.graded_score, 3),
        objective_hits=hits,
    )
    corrections: list[Observation] = []
    if indicator.band is not Band.GOOD:
        _remember_problem(state, indicator, when_ms)
        corrections, releases = _reexplain(state, event.user_id, when_ms)
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
    return UserStep(state, "ok", [sample, journey, *corrections], invitations, device_signals)


def _objective_hits(
    config: XlaConfig, persona: str, touch_point: str, measured_ms: int | None, band: Band
) -> tuple[tuple[str, bool], ...]:
    """(objective id, met) of every sample-based objective of the persona this sample counts for."""
    hits = []
    for objective in config.objectives_for(persona):
        met = sample_meets(objective, touch_point, measured_ms, band is Band.FRUSTRATING)
        if met is not None:
            hits.append((objective.id, met))
    return tuple(hits)


def _remember_problem(state: UserState, indicator: Indicator, when_ms: int) -> None:
    """Remember a problem; forget those older than ``CORRELATION_WINDOW_MS`` before the
    latest telemetry and before every held ticket's creation (the start of the oldest of
    those windows), then the oldest beyond the cap (``capped_until_ms`` records the newest
    one dropped). A ticket processed later but created earlier than that may find fewer
    problems in its window than it had."""
    remember_in_time_order(
        state.problems, [when_ms, indicator.touch_point, indicator.cause, indicator.time_lost_ms]
    )
    state.problems, newest_capped_ms = prune_problems(
        state.problems,
        state.last_telemetry_ms,
        (progress.created_ms for progress in state.tickets.values()),
        MAX_PROBLEMS,
    )
    if newest_capped_ms is not None and (
        state.capped_until_ms is None or newest_capped_ms > state.capped_until_ms
    ):
        state.capped_until_ms = newest_capped_ms


def _add_moment(
    state: UserState, event: EventBase, indicator: Indicator, when_ms: int
) -> JourneyObservation:
    """Add the sample to the user's journey of its day; that journey's score so far."""
    state.journey.add(when_ms, indicator.score)
    journey = state.journey.score()
    return JourneyObservation(
        **_envelope(state, f"journey:{event.event_id}", event.user_id, state.journey.last_ms),
        day_start_ms=state.journey.day_start_ms,
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


def _ticket(state: UserState, event: TicketEvent, config: XlaConfig, formula: Formula) -> UserStep:
    when_ms = event_time_ms(event)
    progress = state.tickets.get(event.ticket_id)
    observations: list[Observation] = []
    device_signals: list[DeviceSignal] = []
    event_id = short_event_id(str(event.event_id))
    if progress is not None and event_id in progress.event_ids:
        return UserStep(state, "duplicate")
    if progress is None:
        fits = fitting_touch_points(event.category) if formula.category_aware else None
        progress = TicketProgress(created_ms=when_ms, fits=None if fits is None else list(fits))
        kept = len(state.tickets) < MAX_OPEN_TICKETS
        if kept:
            state.tickets[event.ticket_id] = progress
        if event.action == "created":
            observations.append(_opened(state, event, progress, when_ms))
            # Only a kept ticket without a signal of its own, that a signal could
            # explain, can take its device's.
            if (
                kept
                and event.device_id is not None
                and progress.explained_by is None
                and progress.fits != []
            ):
                progress.device_id = event.device_id
                device_signals.append(
                    _device_ticket(event.user_id, event.ticket_id, progress, release=False)
                )
    progress.event_ids = [*progress.event_ids, event_id][-MAX_TICKET_EVENT_IDS:]
    if event.sla_breached is not None:
        progress.sla_breached = event.sla_breached
    if event.action in ("assigned", "reassigned"):
        progress.assignments += 1
    elif event.action == "first_contact" and progress.first_contact_ms is None:
        progress.first_contact_ms = when_ms
    elif event.action == "reopened":
        progress.reopened = True
        observations += _retract_handling(event.ticket_id, progress)
    elif event.action == "resolved":
        observations += _retract_handling(event.ticket_id, progress)
        handled = _handled(state, event, progress, when_ms, config)
        progress.counted_handling = {**handled.to_dict(), "band": str(handled.band)}
        observations.append(handled)
    elif event.action == "closed":
        progress.closed = True
        device_signals += _forget_closed_tickets(state, event.user_id)
    return UserStep(state, "ok", observations, device_signals=device_signals)


def _forget_closed_tickets(state: UserState, user_id: str) -> list[DeviceSignal]:
    """Drop closed tickets that no later telemetry can explain any more; the release of
    each one its device held (the device's explanations could no longer apply)."""
    releases: list[DeviceSignal] = []
    for ticket_id, progress in list(state.tickets.items()):
        if progress.closed and progress.created_ms < state.last_telemetry_ms:
            del state.tickets[ticket_id]
            if progress.device_id is not None:
                releases.append(_device_ticket(user_id, ticket_id, progress, release=True))
    return releases


def _device_ticket(
    user_id: str, ticket_id: str, progress: TicketProgress, release: bool
) -> DeviceTicket:
    """Ask the ticket's device (``progress.device_id``) to hold the ticket, or to stop
    holding it (``release``)."""
    assert progress.device_id is not None  # callers send only tickets a device holds
    return DeviceTicket(
        device_id=progress.device_id,
        user_id=user_id,
        ticket_id=ticket_id,
        created_ms=progress.created_ms,
        release=release,
        fits=None if progress.fits is None else tuple(progress.fits),
    )


def _explanation(
    state: UserState, created_ms: int, fits: Collection[str] | None
) -> tuple[str | None, int]:
    """The touch point of ``fits`` (None: any) that lost the user most time in the window
    before ``created_ms`` (on a tie the one seen first), and the time all signals of
    those touch points in that window lost."""
    lost = lost_by_touch_point(((at, tp, ms) for at, tp, _, ms in state.problems), created_ms, fits)
    if not lost:
        return None, 0
    return max(lost, key=lost.__getitem__), sum(lost.values())


def _opened(
    state: UserState, event: TicketEvent, progress: TicketProgress, when_ms: int
) -> TicketObservation:
    progress.explained_by, progress.signal_time_lost_ms = _explanation(
        state, when_ms, progress.fits
    )
    return TicketObservation(
        **_envelope(state, str(event.event_id), event.user_id, when_ms),
        ticket_id=event.ticket_id,
        stage="opened",
        explained_by=progress.explained_by,
        signal_time_lost_ms=progress.signal_time_lost_ms,
    )


def _reexplain(
    state: UserState, user_id: str, problem_ms: int
) -> tuple[list[Observation], list[DeviceSignal]]:
    """Corrections for open tickets that a late-arriving signal now explains differently,
    and the release of each such ticket its device held.

    Topics are not ordered with each other, so a ticket can be processed before the
    telemetry that preceded it. Each correction moves the ticket from its previous
    explanation (or "without a signal", or an explanation via its device) to the new
    one, in the ticket's own cells. A held ticket's window keeps its problems
    (``_remember_problem``), so a late signal only adds to what explained it; a ticket
    whose window lost problems to the cap is left as it is. A ticket that the user's
    own signal now explains no longer needs its device's: its release tells the
    device to stop holding it. A signal that does not fit the ticket's category
    (``TicketProgress.fits``) changes nothing.
    """
    corrections: list[Observation] = []
    releases: list[DeviceSignal] = []
    for ticket_id, progress in state.tickets.items():
        created_ms = progress.created_ms
        if not in_correlation_window(problem_ms, created_ms):
            continue
        if (
            state.capped_until_ms is not None
            and state.capped_until_ms >= created_ms - CORRELATION_WINDOW_MS
        ):
            continue
        explained_by, lost_ms = _explanation(state, created_ms, progress.fits)
        if explained_by is None:
            continue  # the new problem does not fit the ticket: nothing of its own explains it
        if (explained_by, lost_ms, False) == (
            progress.explained_by,
            progress.signal_time_lost_ms,
            progress.via_device,
        ):
            continue
        corrections.append(_correction(state, user_id, ticket_id, progress, explained_by, lost_ms))
        if progress.device_id is not None:
            releases.append(_device_ticket(user_id, ticket_id, progress, release=True))
            progress.device_id = None
    return corrections, releases


def _correction(
    state: UserState,
    user_id: str,
    ticket_id: str,
    progress: TicketProgress,
    explained_by: str | None,
    lost_ms: int,
    via_device: bool = False,
) -> TicketObservation:
    """Move the ticket to a new explanation; the observation that moves it in its cells."""
    progress.corrections += 1
    correction = TicketObservation(
        **_envelope(
            state, f"explained:{ticket_id}:{progress.corrections}", user_id, progress.created_ms
        ),
        ticket_id=ticket_id,
        stage="explained",
        explained_by=explained_by,
        previous_explained_by=progress.explained_by,
        signal_time_lost_ms=lost_ms - progress.signal_time_lost_ms,
        via_device=via_device,
        previous_via_device=progress.via_device,
    )
    progress.explained_by, progress.signal_time_lost_ms = explained_by, lost_ms
    progress.via_device = via_device
    return correction


def apply_device_explanation(
    state: UserState | None, explanation: DeviceExplanation
) -> list[Observation]:
    """Explain a ticket by its device's telemetry (``device_state.py``), in place.

    Only a ticket that the user's own telemetry leaves without a signal (or that an
    earlier device explanation explains differently) moves; its own signals win, also
    when they arrive later (``_reexplain``). The ticket's own time lost stays its
    user's: other users' lost time is not this user's. An explanation for a ticket
    the state no longer holds, or a replay of the current one, changes nothing.
    """
    progress = None if state is None else state.tickets.get(explanation.ticket_id)
    if state is None or progress is None:
        return []
    if progress.explained_by is not None and not progress.via_device:
        return []
    if progress.via_device and progress.explained_by == explanation.explained_by:
        return []
    return [
        _correction(
            state,
            explanation.user_id,
            explanation.ticket_id,
            progress,
            explanation.explained_by,
            progress.signal_time_lost_ms,
            via_device=True,
        )
    ]


def handled_band(
    first_contact_ms: int | None,
    resolution_ms: int,
    reassignments: int,
    reopened: bool,
    limits: Thresholds,
) -> tuple[Band, str | None]:
    """How the service desk handled a ticket, and the first thing that went wrong.

    Frustrating: resolved without contacting the user ("geen mailtje, geen
    belletje"), reopened, or resolved after twice the target. Tolerating: late
    first contact, two or more reassignments, or resolved after the target.
    """
    if first_contact_ms is None:
        return Band.FRUSTRATING, "no_contact"
    if reopened:
        return Band.FRUSTRATING, "reopened"
    if resolution_ms > 2 * limits.ticket_resolution_target_ms:
        return Band.FRUSTRATING, "very_slow_resolution"
    if first_contact_ms > limits.ticket_first_contact_target_ms:
        return Band.TOLERATING, "late_first_contact"
    if reassignments >= 2:
        return Band.TOLERATING, "reassigned"
    if resolution_ms > limits.ticket_resolution_target_ms:
        return Band.TOLERATING, "slow_resolution"
    return Band.GOOD, None


def _handled(
    state: UserState,
    event: TicketEvent,
    progress: TicketProgress,
    when_ms: int,
    config: XlaConfig,
) -> TicketObservation:
    """The ticket's handling; its time to resolve is its sample for service-desk objectives."""
    first_contact_ms = (
        None
        if progress.first_contact_ms is None
        else max(0, progress.first_contact_ms - progress.created_ms)
    )
    resolution_ms = max(0, when_ms - progress.created_ms)
    reassignments = max(0, progress.assignments - 1)
    band, cause = handled_band(
        first_contact_ms,
        resolution_ms,
        reassignments,
        progress.reopened,
        config.persona(state.persona).thresholds,
    )
    return TicketObservation(
        **_envelope(state, str(event.event_id), event.user_id, when_ms),
        ticket_id=event.ticket_id,
        stage="handled",
        band=band,
        cause=cause,
        first_contact_ms=first_contact_ms,
        resolution_ms=resolution_ms,
        reassignments=reassignments,
        reopened=progress.reopened,
        contacted_user=first_contact_ms is not None,
        sla_breached=progress.sla_breached,
        objective_hits=_objective_hits(config, state.persona, SERVICE_DESK, resolution_ms, band),
    )


def _retract_handling(ticket_id: str, progress: TicketProgress) -> list[Observation]:
    """Undo the ticket's counted handling, in the cells that counted it (none if none)."""
    if progress.counted_handling is None:
        return []
    progress.retractions += 1
    counted = observation_from_dict(progress.counted_handling)
    progress.counted_handling = None
    return [
        replace(
            counted, event_id=f"retracted:{ticket_id}:{progress.retractions}", stage="retracted"
        )
    ]


def _survey(state: UserState, event: SurveyAnswerEvent) -> SurveyObservation:
    lost_ms = (
        None
        if event.self_reported_lost_minutes is None
        else event.self_reported_lost_minutes * MINUTE_MS
    )
    return SurveyObservation(
        **_envelope(state, str(event.event_id), event.user_id, event_time_ms(event)),
        score=event.score,
        self_reported_lost_ms=lost_ms,
        about_ticket=event.ticket_id is not None,
    )
