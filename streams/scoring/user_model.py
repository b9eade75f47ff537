"""The per-user state the engine keeps and what one event's step returns.

:class:`UserState` is what the ``user-state`` table stores per user pseudonym (as
:meth:`UserState.to_dict`), :class:`TicketProgress` one open ticket in it, and
:class:`UserStep` the result of one event (``user_state.step``). :func:`envelope` and
:func:`objective_hits` are the fields every observation of the user carries. Shared by
the step (``user_state.py``) and the ticket handling (``user_tickets.py``). Reads and
writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xlapulse.collectors.contract.events import SurveyInvitationEvent
from xlapulse.streams.scoring.day_journey import DayJourney, totals_from_dict
from xlapulse.streams.scoring.device_signals import DeviceSignal
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.observations import Observation
from xlapulse.streams.scoring.personas import UNASSIGNED, UNKNOWN_SITE
from xlapulse.streams.scoring.xla import XlaConfig, sample_meets


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
    #: Short ids of the ticket's events applied (at most ``MAX_TICKET_EVENT_IDS`` of
    #: ``user_tickets.py``): a replay the user's id memory (``DEDUP_WINDOW_MS``) has
    #: forgotten is still a duplicate, so it cannot retract a handling the cells would
    #: not count again.
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
    #: Past days' journeys, compacted (``day_journey.py``): day start (ms) -> journey.
    past_journeys: dict[int, DayJourney] = field(default_factory=dict)
    vpn_down_since_ms: int | None = None
    #: Open exposure intervals (``exposure.py``): exposure -> device -> opened at (ms),
    #: closed in the old persona or site and opened in the new one when the user moves.
    open_exposures: dict[str, dict[str, int]] = field(default_factory=dict)
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
            "past_journeys": [
                [day_ms, journey.moments[-1], journey.settled_dict()]
                for day_ms, journey in self.past_journeys.items()
            ],
            "vpn_down_since_ms": self.vpn_down_since_ms,
            "open_exposures": self.open_exposures,
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
        values["past_journeys"] = {
            day_ms: DayJourney(day_ms, [last], totals_from_dict(settled))
            for day_ms, last, settled in values.pop("past_journeys", [])
        }
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
    #: events scored as persona ``unassigned`` by this step: the hold ended (full, or
    #: held too long) before the user's directory assignment arrived
    released_unassigned: int = 0


def envelope(state: UserState, event_id: str, user_id: str, when_ms: int) -> dict[str, Any]:
    """The fields every observation carries: which event, whose, where, when."""
    return {
        "event_id": event_id,
        "user_id": user_id,
        "persona": state.persona,
        "site": state.site,
        "event_time_ms": when_ms,
    }


def objective_hits(
    config: XlaConfig, persona: str, touch_point: str, measured_ms: int | None, band: Band
) -> tuple[tuple[str, bool], ...]:
    """(objective id, met) of every sample-based objective of the persona this sample counts for."""
    hits = []
    for objective in config.objectives_for(persona):
        met = sample_meets(objective, touch_point, measured_ms, band is Band.FRUSTRATING)
        if met is not None:
            hits.append((objective.id, met))
    return tuple(hits)
