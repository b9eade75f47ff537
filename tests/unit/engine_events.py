"""Contract events the engine tests feed the user and device steps, built one way.

Reads and writes nothing. Each builder fills the fields a test does not care about with
one fixed value (a ticket is a phone call about the network from the ``test`` source
system), so that a test names only what it is about.
"""

from __future__ import annotations

from datetime import datetime

from xlapulse.collectors.contract.events import DirectoryAssignmentEvent, TicketEvent


def ticket_event(
    user_id: str, action: str, event_time: datetime, ticket_id: str = "INC1", **fields: object
) -> TicketEvent:
    """One step of a ticket; ``fields`` add to or replace the defaults (``device_id``,
    ``channel``, ``category``, ``sla_breached``, ``priority`` ...)."""
    defaults = {"channel": "phone", "category": "network", "source_system": "test"}
    return TicketEvent(
        event_time=event_time,
        user_id=user_id,
        ticket_id=ticket_id,
        action=action,
        **{**defaults, **fields},
    )


def assignment_event(
    user_id: str, event_time: datetime, persona: str, site: str, department: str = "ops"
) -> DirectoryAssignmentEvent:
    """The directory's assignment of a user to a persona and a site."""
    return DirectoryAssignmentEvent(
        event_time=event_time, user_id=user_id, persona=persona, site=site, department=department
    )
