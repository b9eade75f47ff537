"""Contract events the engine tests feed the user and device steps, built one way.

Reads and writes nothing. Each builder fills the fields a test does not care about with
one fixed value (a ticket is a phone call about the network from the ``test`` source
system), so that a test names only what it is about; :func:`feed` runs such events
through the in-process pipeline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from xlapulse.collectors.contract.events import DirectoryAssignmentEvent, EventBase, TicketEvent
from xlapulse.streams.inprocess import InProcessPipeline
from xlapulse.streams.scoring.xla import XlaConfig


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


def feed(events: Iterable[EventBase], config: XlaConfig | None = None) -> InProcessPipeline:
    """A new in-process pipeline (the packaged XLA file unless ``config``) fed ``events``
    in the order given."""
    pipeline = InProcessPipeline() if config is None else InProcessPipeline(config=config)
    for event in events:
        pipeline.feed_event(event)
    return pipeline
