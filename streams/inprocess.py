"""The scoring pipeline in one process, without Kafka or InfluxDB.

Reads: encoded contract records, exactly as they would arrive from Kafka.
Writes: nothing outside memory; the latest record per InfluxDB series and
time is kept in ``records``, as InfluxDB itself would keep it: a record written again
keeps the fields it does not name, and a retracted one (``scoring/retractions.py``)
is removed, as the sink deletes it.

The device join runs here too, depth first: each device signal of a user's step
goes through ``device_state.step`` at once, and each explanation it answers with
is applied to its user's state (the Faust agents pass them through two internal
topics; the resulting cells are the same).

Feeding only counts; :meth:`InProcessPipeline.flush` builds the records of the
cells that changed since the last flush (as the Faust agent does once per
batch), and :meth:`InProcessPipeline.latest` flushes first.
Used by ``xlapulse demo``, ``xlapulse backtest`` and by the integration tests
as the oracle the Faust workers are compared with.

Its clock is event time (the latest event time seen), so a replay of last
month scores the same as it did live; the Faust workers use the wall clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from xlapulse.collectors.contract.codec import ContractViolation, encode_event
from xlapulse.collectors.contract.events import EventBase, SurveyInvitationEvent, event_time_ms
from xlapulse.collectors.contract.topics import topic_for
from xlapulse.streams.dips.engine import DipEngine, DipOutputs
from xlapulse.streams.dips.settings import DipSettings
from xlapulse.streams.scoring import device_state
from xlapulse.streams.scoring.cells import Cell
from xlapulse.streams.scoring.device_signals import DeviceSignal
from xlapulse.streams.scoring.device_state import DeviceState
from xlapulse.streams.scoring.exposure_clock import ExposureClock
from xlapulse.streams.scoring.formula_versions import CURRENT_FORMULA, Formula
from xlapulse.streams.scoring.observations import Observation
from xlapulse.streams.scoring.pipeline import read_input_record, update_cells
from xlapulse.streams.scoring.published import Record
from xlapulse.streams.scoring.records import cell_records
from xlapulse.streams.scoring.retractions import retractions
from xlapulse.streams.scoring.user_model import UserState
from xlapulse.streams.scoring.user_state import DEFAULT_MAX_EVENT_AGE_MS, step
from xlapulse.streams.scoring.user_tickets import apply_device_explanation
from xlapulse.streams.scoring.xla import XlaConfig, default_xla_config


@dataclass
class InProcessPipeline:
    """User states and cells in dicts, fed one record at a time."""

    config: XlaConfig = field(default_factory=default_xla_config)
    formula: Formula = CURRENT_FORMULA
    max_event_age_ms: int = DEFAULT_MAX_EVENT_AGE_MS
    users: dict[str, UserState] = field(default_factory=dict)
    devices: dict[str, DeviceState] = field(default_factory=dict)
    cells: dict[str, Cell] = field(default_factory=dict)
    #: each persona and site's exposure clock (``scoring/exposure_clock.py``)
    exposure_clocks: dict[str, ExposureClock] = field(default_factory=dict)
    records: dict[tuple[Any, ...], Record] = field(default_factory=dict)
    invitations: list[SurveyInvitationEvent] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    dead_letters: list[str] = field(default_factory=list)
    clock_ms: int = 0
    #: dip detection over the same observations (``streams/dips/``); what it published
    dip_settings: DipSettings = field(default_factory=DipSettings)
    dip_engine: DipEngine = field(init=False)
    dips: DipOutputs = field(default_factory=DipOutputs)
    #: Called with every observation before it is counted (evaluations: which
    #: explanation each ticket got).
    on_observation: Callable[[Observation], None] | None = None
    _dirty: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.dip_engine = DipEngine.create(self.config, self.dip_settings)

    def feed_event(self, event: EventBase) -> None:
        """Encode and process one event, as if it came from its topic."""
        self.feed_record(encode_event(event), topic_for(event))

    def feed_record(self, raw: bytes, topic: str) -> None:
        """Process one input record."""
        try:
            event = read_input_record(raw, topic)
        except ContractViolation as violation:
            self._dead_letter(violation.reason)
            return
        self.clock_ms = max(self.clock_ms, event_time_ms(event))
        result = step(
            self.users.get(event.user_id),
            event,
            self.config,
            self.clock_ms,
            self.max_event_age_ms,
            self.formula,
        )
        self.users[event.user_id] = result.state
        self.outcomes[result.outcome] += 1
        if result.outcome in ("late", "future"):
            self._dead_letter(f"{result.outcome} event")
        self.invitations += result.invitations
        self._count(result.observations)
        for signal in result.device_signals:
            self._device_signal(signal)

    def _device_signal(self, signal: DeviceSignal) -> None:
        """The device join: the device's step, then each explanation in its user's state."""
        result = device_state.step(self.devices.get(signal.device_id), signal, self.clock_ms)
        self.devices[signal.device_id] = result.state
        for explanation in result.explanations:
            self._count(apply_device_explanation(self.users.get(explanation.user_id), explanation))

    def _count(self, observations: list[Observation]) -> None:
        for observation in observations:
            self.dips.extend(self.dip_engine.add(observation))
            if self.on_observation is not None:
                self.on_observation(observation)
            for cell in update_cells(observation, self._lookup, self.config):
                if isinstance(cell, ExposureClock):
                    self.exposure_clocks[cell.key()] = cell
                    continue
                self.cells[cell.key()] = cell
                self._dirty.add(cell.key())

    def _lookup(self, key: str) -> Cell | ExposureClock | None:
        return self.cells.get(key) or self.exposure_clocks.get(key)

    def flush(self) -> list[Record]:
        """Build the records of every cell changed since the last flush; return them."""
        published = []
        for key in self._dirty:
            records = cell_records(self.cells[key], self.config, self.formula)
            for retracted in retractions(self.cells[key], records):
                self.records.pop(retracted.series_key(), None)
            published += records
        self._dirty.clear()
        for record in published:
            # As InfluxDB does: a point written again keeps the fields it does not name.
            kept = self.records.get(record.series_key())
            if kept is not None and kept.fields.keys() - record.fields.keys():
                record = replace(record, fields={**kept.fields, **record.fields})
            self.records[record.series_key()] = record
        return published

    def finish_dips(self) -> DipOutputs:
        """The end of the input: flush dip detection, closing open dips; all its outputs."""
        self.dips.extend(self.dip_engine.finish())
        return self.dips

    def latest(self, measurement: str, **tags: str) -> list[Record]:
        """Current records of a measurement whose tags include ``tags``."""
        self.flush()
        return [
            record
            for record in self.records.values()
            if record.measurement == measurement
            and all(record.tags.get(key) == value for key, value in tags.items())
        ]

    def _dead_letter(self, reason: str) -> None:
        self.dead_letters.append(reason)
        self.outcomes["dead_letter"] += 1
