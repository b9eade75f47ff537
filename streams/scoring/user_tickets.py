"""The user's tickets: their lifecycle, what explains them, and how they were handled.

Called by the per-user step (``user_state.py``) with the user's state
(``user_model.UserState``), updated in place:

* :func:`ticket_step` applies one ticket event: opened (explained by the user's recent
  problems of the touch points its category fits, ``ticket_categories.py``), assigned,
  first contact, handled on resolution (``handled`` observation, retracted when it is
  reopened or resolved again), closed;
* :func:`reexplain` corrects open tickets that a late-arriving problem now explains
  differently;
* :func:`forget_closed_tickets` drops closed tickets no later telemetry can explain;
* :func:`apply_device_explanation` applies what a device's telemetry
  (``device_state.py``) says of a ticket raised from it.

A ticket raised from a device that the user's own signals do not explain is held by
that device (a ``DeviceTicket`` signal, keyed by device id) until they do or the ticket
is forgotten. Reads and writes nothing; the caller sends the observations and signals.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from xlapulse.collectors.contract.events import TicketEvent, event_time_ms
from xlapulse.streams.scoring.cells import short_event_id
from xlapulse.streams.scoring.correlation import (
    CORRELATION_WINDOW_MS,
    in_correlation_window,
    lost_by_touch_point,
)
from xlapulse.streams.scoring.device_signals import DeviceExplanation, DeviceSignal, DeviceTicket
from xlapulse.streams.scoring.formula_versions import Formula
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.observations import (
    Observation,
    TicketObservation,
    observation_from_dict,
)
from xlapulse.streams.scoring.personas import SERVICE_DESK, Thresholds
from xlapulse.streams.scoring.ticket_categories import fitting_touch_points
from xlapulse.streams.scoring.user_model import (
    TicketProgress,
    UserState,
    UserStep,
    envelope,
    objective_hits,
)
from xlapulse.streams.scoring.xla import XlaConfig

MAX_OPEN_TICKETS = 50
MAX_TICKET_EVENT_IDS = 20


def ticket_step(
    state: UserState, event: TicketEvent, config: XlaConfig, formula: Formula
) -> UserStep:
    """Apply one ticket event of an assigned user (a replay of one of the ticket's
    events is a duplicate); ``formula`` decides whether its category limits what
    explains it."""
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
        device_signals += forget_closed_tickets(state, event.user_id)
    return UserStep(state, "ok", observations, device_signals=device_signals)


def forget_closed_tickets(state: UserState, user_id: str) -> list[DeviceSignal]:
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
        **envelope(state, str(event.event_id), event.user_id, when_ms),
        ticket_id=event.ticket_id,
        stage="opened",
        explained_by=progress.explained_by,
        signal_time_lost_ms=progress.signal_time_lost_ms,
    )


def reexplain(
    state: UserState, user_id: str, problem_ms: int
) -> tuple[list[Observation], list[DeviceSignal]]:
    """Corrections for open tickets that a late-arriving signal now explains differently,
    and the release of each such ticket its device held.

    Topics are not ordered with each other, so a ticket can be processed before the
    telemetry that preceded it. Each correction moves the ticket from its previous
    explanation (or "without a signal", or an explanation via its device) to the new
    one, in the ticket's own cells. A held ticket's window keeps its problems
    (``user_state._remember_problem``), so a late signal only adds to what explained it; a ticket
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
        **envelope(
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
    when they arrive later (``reexplain``). The ticket's own time lost stays its
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
        **envelope(state, str(event.event_id), event.user_id, when_ms),
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
        objective_hits=objective_hits(config, state.persona, SERVICE_DESK, resolution_ms, band),
    )


def _retract_handling(ticket_id: str, progress: TicketProgress) -> list[Observation]:
    """Undo the ticket's counted handling, in the cells that counted it (none if none)."""
    if progress.counted_handling is None:
        return []
    progress.retractions += 1
    counted = observation_from_dict(progress.counted_handling)
    assert isinstance(counted, TicketObservation), "a handling is a ticket observation"
    progress.counted_handling = None
    return [
        replace(
            counted, event_id=f"retracted:{ticket_id}:{progress.retractions}", stage="retracted"
        )
    ]
