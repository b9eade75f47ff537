"""The scoring pipeline in one process, without Kafka or InfluxDB.

Reads: encoded contract records, exactly as they would arrive from Kafka.
Writes: nothing outside memory; published scores are kept in ``scores``.
Used by ``xlapulse demo`` and by tests that compare it with the Faust workers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from xlapulse.collectors.contract.codec import ContractViolation, encode_event
from xlapulse.collectors.contract.events import DirectoryAssignmentEvent, EventBase
from xlapulse.streams.scoring.observations import Assignment
from xlapulse.streams.scoring.pipeline import (
    aggregate,
    observe,
    read_directory_record,
    read_telemetry_record,
)
from xlapulse.streams.scoring.windows import ScorePoint, WindowAggregate, score_point


@dataclass
class InProcessPipeline:
    """Directory and aggregate state in dicts, fed one record at a time."""

    directory: dict[str, Assignment] = field(default_factory=dict)
    aggregates: dict[str, WindowAggregate] = field(default_factory=dict)
    scores: dict[str, ScorePoint] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    dead_letters: list[str] = field(default_factory=list)

    def feed_event(self, event: EventBase) -> list[ScorePoint]:
        """Encode and process one event, as if it came from its topic."""
        if isinstance(event, DirectoryAssignmentEvent):
            self.feed_directory_record(encode_event(event))
            return []
        return self.feed_telemetry_record(encode_event(event))

    def feed_directory_record(self, raw: bytes) -> None:
        try:
            update = read_directory_record(raw)
        except ContractViolation as violation:
            self._dead_letter(violation)
            return
        self.directory[update.user_id] = update.assignment
        self.outcomes["ok"] += 1

    def feed_telemetry_record(self, raw: bytes) -> list[ScorePoint]:
        """Process one telemetry record; return the scores it changed."""
        try:
            event = read_telemetry_record(raw)
        except ContractViolation as violation:
            self._dead_letter(violation)
            return []
        self.outcomes["ok"] += 1
        published = []
        for observation in observe(event, self.directory.get):
            for updated in aggregate(observation, self.aggregates.get):
                self.aggregates[updated.key()] = updated
                point = score_point(updated)
                if point is not None:
                    self.scores[updated.key()] = point
                    published.append(point)
        return published

    def _dead_letter(self, violation: ContractViolation) -> None:
        self.outcomes["dead_letter"] += 1
        self.dead_letters.append(violation.reason)
