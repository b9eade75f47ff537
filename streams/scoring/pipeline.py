"""The processing steps shared by the Faust agents and the in-process demo.

Each step is a pure function over raw record bytes and a lookup of current
state; the caller owns the state (a Faust table or a dict) and the I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xlapulse.collectors.contract.codec import ContractViolation, parse_event
from xlapulse.collectors.contract.events import (
    DirectoryAssignmentEvent,
    Event,
    LogonEvent,
    TelemetryEvent,
)
from xlapulse.streams.scoring.observations import Assignment, Observation, observe_logon
from xlapulse.streams.scoring.windows import (
    WINDOW_SIZES_S,
    WindowAggregate,
    add_observation,
    aggregate_key,
    empty_aggregate,
    window_start_ms,
)

AssignmentLookup = Callable[[str], Assignment | None]
AggregateLookup = Callable[[str], WindowAggregate | None]


@dataclass(frozen=True)
class DirectoryUpdate:
    """A user's new assignment, to store under ``user_id``."""

    user_id: str
    assignment: Assignment


def read_directory_record(raw: bytes) -> DirectoryUpdate:
    """Validate a directory-topic record; raise ContractViolation if it is anything else."""
    event = parse_event(raw)
    if not isinstance(event, DirectoryAssignmentEvent):
        raise ContractViolation(f"{event.event_type} event on the directory topic")
    return DirectoryUpdate(user_id=event.user_id, assignment=Assignment.from_event(event))


def read_telemetry_record(raw: bytes) -> TelemetryEvent:
    """Validate a telemetry-topic record; raise ContractViolation if it is not telemetry."""
    event: Event = parse_event(raw)
    if not isinstance(event, TelemetryEvent):
        raise ContractViolation(f"{event.event_type} event on the telemetry topic")
    return event


def observe(event: TelemetryEvent, lookup: AssignmentLookup) -> list[Observation]:
    """Scored observations for one telemetry event (touch points without scoring yield none)."""
    if isinstance(event, LogonEvent):
        return [observe_logon(event, lookup(event.user_id))]
    return []


def aggregate(observation: Observation, lookup: AggregateLookup) -> list[WindowAggregate]:
    """The updated aggregate of every window size the observation falls into.

    Aggregates that already counted the observation's event id are left out,
    so a replayed event causes no write.
    """
    updated = []
    for window_s in WINDOW_SIZES_S:
        key = aggregate_key(
            observation.touch_point,
            observation.persona,
            observation.site,
            window_s,
            window_start_ms(observation.event_time_ms, window_s),
        )
        current = lookup(key) or empty_aggregate(observation, window_s)
        new = add_observation(current, observation)
        if new is not current:
            updated.append(new)
    return updated
