"""The processing steps shared by the Faust agents, the demo and the backtest.

Each step is a pure function over raw record bytes and a lookup of current
state; the caller owns the state (a Faust table or a dict) and the I/O.
Reads: encoded contract records and observation dicts. Writes: nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from xlapulse.streams.scoring.cell_counts import add_observation
from xlapulse.streams.scoring.cells import DEDUP_WINDOW_S, Cell, cells_for
from xlapulse.streams.scoring.exposure_clock import ExposureClock, advance, apply, clock_key
from xlapulse.streams.scoring.observations import ExposureObservation, Observation
from xlapulse.streams.scoring.xla import XlaConfig

_EXPECTED_TYPE: dict[str, type[EventBase]] = {
    TELEMETRY_TOPIC: TelemetryEvent,
    TICKETS_TOPIC: TicketEvent,
    SURVEYS_TOPIC: SurveyAnswerEvent,
    DIRECTORY_TOPIC: DirectoryAssignmentEvent,
}

CellLookup = Callable[[str], Cell | ExposureClock | None]


def read_input_record(raw: bytes, topic: str) -> EventBase:
    """Validate an input record; raise ContractViolation if it does not belong on ``topic``."""
    event = parse_event(raw)
    expected = _EXPECTED_TYPE[topic]
    if not isinstance(event, expected):
        raise ContractViolation(f"{event.event_type} event on the {topic} topic")
    return event


def update_cells(
    observation: Observation,
    lookup: CellLookup,
    config: XlaConfig,
    position: tuple[int, int] | None = None,
) -> list[Cell | ExposureClock]:
    """Count the observation in each of its window cells and move the group's exposure
    clock (``exposure_clock.py``); the cells and the clock that changed.

    ``position`` is where the observation is on the observations topic: its record's
    offset and its index in that record (None in process, where nothing is redelivered).
    The hourly cell's event ids decide whether the event was counted before: then nothing
    is counted. Any other cell also skips an observation it already counted
    (``Cell.applied_position``): after a worker died while storing a batch, its larger
    cells may be stored with the batch while the hourly cell is not
    (``cell_agent.stored_in_order`` stores the hourly cells after them). A replay still
    moves the clock, which is idempotent. Records are not built here: building them costs
    O(users) per cell, so callers publish each changed cell once per batch with
    :func:`records.cell_records` (a clock publishes nothing).
    """
    thresholds = config.persona(observation.persona).thresholds
    changed: dict[str, Cell | ExposureClock] = {}

    def get(key: str) -> Any:
        return changed.get(key) or lookup(key)

    counted = True
    for key, window_s, start_ms in cells_for(observation):
        cell = get(key) or Cell(observation.persona, observation.site, window_s, start_ms)
        remembers_ids = window_s == DEDUP_WINDOW_S
        if not remembers_ids and position is not None and position <= tuple(cell.applied_position):
            continue
        if not add_observation(cell, observation, thresholds.ticket_resolution_target_ms):
            counted = False
            break
        if not remembers_ids and position is not None:
            cell.applied_position = list(position)
        changed[key] = cell
    key = clock_key(observation.persona, observation.site)
    clock = get(key) or ExposureClock(observation.persona, observation.site)
    clock_was_ms = clock.window_start_ms
    # Each step's cells go into ``changed`` before the next step looks them up, or the
    # second step would credit a stale copy and replace the first step's credit.
    for cell in advance(clock, observation, get):
        changed[cell.key()] = cell
    if counted and isinstance(observation, ExposureObservation):
        for cell in apply(clock, observation, get):
            changed[cell.key()] = cell
        changed[key] = clock
    elif clock.window_start_ms != clock_was_ms:
        changed[key] = clock
    return list(changed.values())
