"""The service desk and the survey: tickets with a lifecycle, answers that follow them.

Reads: ``Hurt`` records of the telemetry model, the endpoint and a seeded RNG.
Writes: ticket events (created -> assigned -> [reassigned] -> [first_contact] ->
resolved -> [reopened -> resolved] -> closed) and survey_answer events, into a list.

The mechanics that make the data interesting for correlation:

* some people never file a ticket (``ticket_propensity`` 0: silent sufferers);
* some tickets have no telemetry cause (password resets, access requests);
* one in five tickets never gets a first contact ("geen mailtje, geen belletje");
* survey scores fall with the time the problem cost, a missing first contact,
  an SLA breach and a reopen; some answers carry self-reported lost minutes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from xlapulse.collectors.contract.events import EventBase
from xlapulse.collectors.simulator.build import SOURCE_SYSTEM, event
from xlapulse.collectors.simulator.profiles import (
    ASSIGNMENT_GROUPS,
    NO_SIGNAL_CATEGORIES,
    TICKET_CATEGORIES,
    Endpoint,
)

NO_SIGNAL_TICKETS_PER_WORKDAY = 0.008
MISSING_FIRST_CONTACT_CHANCE = 0.2
REASSIGN_CHANCE = 0.2
REOPEN_CHANCE = 0.08
SURVEY_RESPONSE_CHANCE = 0.35
PULSE_RESPONSE_CHANCE = 0.15
CLOSE_AFTER = timedelta(days=3)
# priority -> (median hours to resolve, SLA target hours)
RESOLUTION_HOURS = {1: (2, 4), 2: (5, 8), 3: (14, 24), 4: (30, 72), 5: (48, 120)}
CHANNELS = ("portal", "phone", "email", "chat")
CHANNEL_WEIGHTS = (0.45, 0.35, 0.12, 0.08)
_VENDOR_STATUS = {
    "created": "New",
    "assigned": "Assigned",
    "reassigned": "Assigned",
    "first_contact": "In Progress",
    "resolved": "Resolved",
    "reopened": "In Progress",
    "closed": "Closed",
}


@dataclass(frozen=True)
class TicketRequest:
    """A ticket a user files: when, why, and how much the problem had cost them."""

    ticket_id: str
    created_at: datetime
    category: str
    channel: str
    priority: int
    lost_s: float
    with_device: bool


def pick_channel(rng: random.Random) -> str:
    return rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]


def no_signal_request(
    endpoint: Endpoint, ticket_id: str, at: datetime, rng: random.Random
) -> TicketRequest:
    """A ticket no telemetry explains: password reset, access or hardware request, how-to."""
    category = NO_SIGNAL_CATEGORIES[int(rng.random() * len(NO_SIGNAL_CATEGORIES))]
    priority = TICKET_CATEGORIES[category][1]
    return TicketRequest(ticket_id, at, category, pick_channel(rng), priority, 0.0, False)


def ticket_lifecycle(
    endpoint: Endpoint, request: TicketRequest, rng: random.Random, out: list[EventBase]
) -> None:
    """Append every lifecycle event of one ticket, and maybe the user's survey answer."""
    writer = _TicketWriter(endpoint, request, rng, out)
    group = TICKET_CATEGORIES[request.category][0]
    median_h, target_h = RESOLUTION_HOURS[request.priority]
    resolve_after = timedelta(hours=median_h * math.exp(rng.gauss(0, 0.8)))
    created = request.created_at
    writer.emit("created", created, None, None)
    assigned_at = created + timedelta(minutes=2 + rng.expovariate(1 / 15))
    resolved_at = max(assigned_at + timedelta(minutes=5), created + resolve_after)
    writer.emit("assigned", assigned_at, group, None)
    if rng.random() < REASSIGN_CHANCE:
        group = rng.choice([g for g in ASSIGNMENT_GROUPS if g != group])
        reassigned_at = assigned_at + (resolved_at - assigned_at) * rng.uniform(0.1, 0.5)
        writer.emit("reassigned", reassigned_at, group, None)
    contacted = rng.random() >= MISSING_FIRST_CONTACT_CHANCE
    if contacted:
        contact_at = assigned_at + (resolved_at - assigned_at) * rng.uniform(0.05, 0.9)
        writer.emit("first_contact", contact_at, group, None)
    breached = resolved_at - created > timedelta(hours=target_h)
    writer.emit("resolved", resolved_at, group, breached)
    reopened = rng.random() < REOPEN_CHANCE
    if reopened:
        reopened_at = resolved_at + timedelta(hours=rng.uniform(1, 24))
        writer.emit("reopened", reopened_at, group, breached)
        resolved_at = reopened_at + timedelta(hours=median_h * math.exp(rng.gauss(0, 0.5)))
        breached = resolved_at - created > timedelta(hours=target_h)
        writer.emit("resolved", resolved_at, group, breached)
    writer.emit("closed", resolved_at + CLOSE_AFTER, group, breached)
    if rng.random() < SURVEY_RESPONSE_CHANCE:
        answered_at = resolved_at + timedelta(minutes=rng.uniform(10, 24 * 60))
        penalty = 2.5 * (not contacted) + 1.5 * breached + 2.0 * reopened
        _survey(endpoint, rng, answered_at, request.lost_s, penalty, out, request.ticket_id)


def pulse_answer(
    endpoint: Endpoint, at: datetime, week_lost_s: float, rng: random.Random, out: list[EventBase]
) -> None:
    """The weekly pulse question: how was IT this week? Silent sufferers show up here."""
    _survey(endpoint, rng, at, week_lost_s, 0.0, out, None, journey_moment="weekly_pulse")


def _survey(
    endpoint: Endpoint,
    rng: random.Random,
    at: datetime,
    lost_s: float,
    penalty: float,
    out: list[EventBase],
    ticket_id: str | None,
    journey_moment: str | None = None,
) -> None:
    lost_min = lost_s / 60
    expected = 9.0 - min(5.0, lost_min / 20) - penalty
    score = min(10, max(0, round(expected + rng.gauss(0, 1.0))))
    fields: dict[str, object] = {"score": score}
    if ticket_id is not None:
        fields["ticket_id"] = ticket_id
    if journey_moment is not None:
        fields["journey_moment"] = journey_moment
    if rng.random() < 0.6:
        reported = (lost_min + 5) * math.exp(rng.gauss(0, 0.4))  # + time spent on the desk
        fields["self_reported_lost_minutes"] = min(10_000, round(reported))
    if penalty >= 2.5 and rng.random() < 0.3:
        fields["comment"] = "Geen mailtje, geen belletje: ik wist niet dat het opgelost was."
    out.append(event("survey_answer", rng, at, endpoint.user_id, endpoint.device_id, fields))


class _TicketWriter:
    def __init__(
        self,
        endpoint: Endpoint,
        request: TicketRequest,
        rng: random.Random,
        out: list[EventBase],
    ) -> None:
        self._endpoint, self._request, self._rng, self._out = endpoint, request, rng, out

    def emit(self, action: str, at: datetime, group: str | None, sla_breached: bool | None) -> None:
        request = self._request
        fields: dict[str, object] = {
            "ticket_id": request.ticket_id,
            "action": action,
            "channel": request.channel,
            "category": request.category,
            "source_system": SOURCE_SYSTEM,
            "priority": request.priority,
            "vendor_status": _VENDOR_STATUS[action],
        }
        if group is not None:
            fields["assignment_group"] = group
        if sla_breached is not None:
            fields["sla_breached"] = sla_breached
        device = self._endpoint.device_id if request.with_device else None
        self._out.append(event("ticket", self._rng, at, self._endpoint.user_id, device, fields))
