"""Per-device state: a ticket explained by its device's telemetry, whoever used it.

The Faust agent ``follow_devices`` keeps one :class:`DeviceState` per device
pseudonym in the ``device-state`` table (keyed, and partitioned, by device id)
and calls :func:`step` for each signal from ``<engine id>-device-signals``; the
in-process pipeline does the same with a dict. Reads: one device signal
(``device_signals.py``) and the clock. Writes: nothing; the caller stores the
state and sends each :class:`DeviceExplanation`, keyed by user id, to
``<engine id>-device-explanations``, where the user's own step applies it.

Rule: a ticket raised from a device, that the user's own telemetry left
"without a signal", is explained by the touch point that lost the device's
users (any user of it) the most time in the ``CORRELATION_WINDOW_MS`` before
the ticket, as ``user_state`` does for the user's own problems. Input topics
are not ordered with each other, and other users' telemetry is processed in
other partitions, so a problem that arrives after the ticket re-explains it;
an explanation is sent again only when it changes. The user's explanation
wins: the user's step sends only tickets its own telemetry leaves without a
signal, and releases a held one when a late signal of the user explains it or
when the user's state forgets it (closed).

State is bounded: problems are de-duplicated by event id, pruned by age (older
than the window before the earlier of the newest signal and the one being applied,
and before every held ticket) and
capped at ``MAX_DEVICE_PROBLEMS``; tickets are held for
``DEVICE_TICKET_HOLD_MS`` of signal time after their creation, at most
``MAX_DEVICE_TICKETS``; :func:`is_expired` tells the caller when to delete a
device silent for ``DEVICE_STATE_TTL_MS``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from xlapulse.streams.scoring.cells import short_event_id
from xlapulse.streams.scoring.correlation import (
    in_correlation_window,
    lost_by_touch_point,
    prune_problems,
    remember_in_time_order,
)
from xlapulse.streams.scoring.device_signals import (
    DeviceExplanation,
    DeviceProblem,
    DeviceSignal,
    DeviceTicket,
)
from xlapulse.streams.scoring.user_state import DAY_MS

#: A shared device has more users, hence more problems, than one user (``MAX_PROBLEMS``).
MAX_DEVICE_PROBLEMS = 200
MAX_DEVICE_TICKETS = 50
#: How long (in signal time after its creation) a ticket waits for late device problems.
DEVICE_TICKET_HOLD_MS = DAY_MS
DEVICE_STATE_TTL_MS = 2 * DAY_MS


@dataclass
class HeldTicket:
    """A ticket without a signal of its own user, waiting for the device's problems."""

    user_id: str
    ticket_id: str
    created_ms: int
    #: The explanation last sent for it (None: none sent yet).
    explained_by: str | None = None
    #: The touch points that can explain it (its category); None: any.
    fits: list[str] | None = None


@dataclass
class DeviceState:
    """What the engine remembers about one device (JSON-friendly via to_dict)."""

    #: Recent problems of any user: [time_ms, touch_point, time_lost_ms, user_id, short event id].
    problems: list[list[Any]] = field(default_factory=list)
    #: "user_id|ticket_id" -> ticket waiting for an explanation.
    tickets: dict[str, HeldTicket] = field(default_factory=dict)
    #: Event time of the newest signal (problem time or ticket creation).
    newest_ms: int = 0
    #: The clock when the device's last signal was processed (for the TTL).
    last_active_ms: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Shallow JSON-friendly form (the caller serializes it at once)."""
        return {**vars(self), "tickets": {key: vars(t) for key, t in self.tickets.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeviceState:
        tickets = {key: HeldTicket(**value) for key, value in data["tickets"].items()}
        return cls(**{**data, "tickets": tickets})


@dataclass(frozen=True)
class DeviceStep:
    """The result of one signal: the new state and the explanations to send."""

    state: DeviceState
    explanations: list[DeviceExplanation] = field(default_factory=list)


def is_expired(state: DeviceState, clock_ms: int) -> bool:
    """True when no signal reached the device for longer than the state TTL."""
    return clock_ms - state.last_active_ms > DEVICE_STATE_TTL_MS


def step(state: DeviceState | None, signal: DeviceSignal, clock_ms: int) -> DeviceStep:
    """Apply one signal to a device's state (``None`` for a new device).

    The state is updated in place and returned in the step.
    """
    state = DeviceState() if state is None else state
    state.last_active_ms = max(state.last_active_ms, clock_ms)
    if isinstance(signal, DeviceProblem):
        explanations, signal_ms = _problem(state, signal), signal.time_ms
    else:
        explanations, signal_ms = _ticket(state, signal), signal.created_ms
    _prune(state, signal_ms)
    return DeviceStep(state, explanations)


def explanation(
    problems: list[list[Any]], created_ms: int, fits: Collection[str] | None = None
) -> str | None:
    """The touch point of ``fits`` (None: any) whose problems lost most time in the window
    before ``created_ms`` (on a tie the alphabetically first, so the answer does not
    depend on arrival order)."""
    lost = lost_by_touch_point(((at, tp, ms) for at, tp, ms, *_ in problems), created_ms, fits)
    if not lost:
        return None
    return max(sorted(lost), key=lost.__getitem__)


def _problem(state: DeviceState, problem: DeviceProblem) -> list[DeviceExplanation]:
    short_id = short_event_id(problem.event_id)
    if any(known[4] == short_id for known in state.problems):
        return []
    remember_in_time_order(
        state.problems,
        [problem.time_ms, problem.touch_point, problem.time_lost_ms, problem.user_id, short_id],
    )
    state.newest_ms = max(state.newest_ms, problem.time_ms)
    explanations: list[DeviceExplanation] = []
    for held in state.tickets.values():
        if in_correlation_window(problem.time_ms, held.created_ms):
            explanations += _explain(state, held)
    return explanations


def _ticket(state: DeviceState, ticket: DeviceTicket) -> list[DeviceExplanation]:
    key = f"{ticket.user_id}|{ticket.ticket_id}"
    state.newest_ms = max(state.newest_ms, ticket.created_ms)
    if ticket.release:
        state.tickets.pop(key, None)
        return []
    held = state.tickets.get(key)
    if held is None:
        fits = None if ticket.fits is None else list(ticket.fits)
        held = HeldTicket(ticket.user_id, ticket.ticket_id, ticket.created_ms, fits=fits)
        state.tickets[key] = held
    return _explain(state, held)


def _explain(state: DeviceState, held: HeldTicket) -> list[DeviceExplanation]:
    explained_by = explanation(state.problems, held.created_ms, held.fits)
    if explained_by is None or explained_by == held.explained_by:
        return []
    held.explained_by = explained_by
    return [DeviceExplanation(held.user_id, held.ticket_id, explained_by)]


def _prune(state: DeviceState, signal_ms: int) -> None:
    """Forget tickets created more than ``DEVICE_TICKET_HOLD_MS`` before the horizon
    (then the oldest beyond the cap), then problems older than ``CORRELATION_WINDOW_MS``
    before it and before every held ticket's creation (then the oldest beyond the cap).
    The horizon is the earlier of the newest signal and this one (``signal_ms``): a day
    replayed after a newer one keeps its own problems and tickets while it is fed, as
    the user's state does. A ticket that arrives later but was created earlier than
    that may find fewer problems in its window than the device had."""
    horizon_ms = min(state.newest_ms, signal_ms)
    hold_horizon = horizon_ms - DEVICE_TICKET_HOLD_MS
    held = sorted(
        (item for item in state.tickets.items() if item[1].created_ms >= hold_horizon),
        key=lambda item: item[1].created_ms,
    )[-MAX_DEVICE_TICKETS:]
    state.tickets = dict(held)
    state.problems, _ = prune_problems(
        state.problems,
        horizon_ms,
        (ticket.created_ms for ticket in state.tickets.values()),
        MAX_DEVICE_PROBLEMS,
    )
