"""The processing steps shared by the Faust agents, the demo and the backtest.

Each step is a pure function over raw record bytes and a lookup of current
state; the caller owns the state (a Faust table or a dict) and the I/O.
Reads: encoded contract records and observation dicts. Writes: nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from xlapulse.collectors.contract.codec import ContractViolation, parse_event
from xlapulse.collectors.contract.events import (
    DirectoryAssignmentEvent,
    EventBase,
    SurveyAnswerEvent,
    TelemetryEvent,
    TicketEvent,
)
from xlapulse.collectors.contract.topics import (
    DIRECTORY_TOPIC,
    SURVEYS_TOPIC,
    TELEMETRY_TOPIC,
    TICKETS_TOPIC,
)
from xlapulse.streams.scoring.cells import Cell, add_observation, cells_for
from xlapulse.streams.scoring.observations import Observation
from xlapulse.streams.scoring.xla import XlaConfig

_EXPECTED_TYPE: dict[str, type[EventBase]] = {
    TELEMETRY_TOPIC: TelemetryEvent,
    TICKETS_TOPIC: TicketEvent,
    SURVEYS_TOPIC: SurveyAnswerEvent,
    DIRECTORY_TOPIC: DirectoryAssignmentEvent,
}

CellLookup = Callable[[str], Cell | None]


def read_input_record(raw: bytes, topic: str) -> EventBase:
    """Validate an input record; raise ContractViolation if it does not belong on ``topic``."""
    event = parse_event(raw)
    expected = _EXPECTED_TYPE[topic]
    if not isinstance(event, expected):
        raise ContractViolation(f"{event.event_type} event on the {topic} topic")
    return event


def update_cells(observation: Observation, lookup: CellLookup, config: XlaConfig) -> list[Cell]:
    """Count the observation in each of its window cells; the cells that changed.

    Empty when the hourly cell had already counted the observation (a replay).
    Records are not built here: building them costs O(users) per cell, so callers
    publish each changed cell once per batch with :func:`records.cell_records`.
    """
    thresholds = config.persona(observation.persona).thresholds
    changed = []
    for key, window_s, start_ms in cells_for(observation):
        cell = lookup(key) or Cell(observation.persona, observation.site, window_s, start_ms)
        if not add_observation(cell, observation, thresholds.ticket_resolution_target_ms):
            break
        changed.append(cell)
    return changed
