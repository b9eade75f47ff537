"""What the engine publishes, named once: the measurements, the record type, and the
rules every published figure shares (k-anonymity, the issue line).

Read by ``records.py`` (the cells' records), ``service_desk_record.py``, the dips'
publisher and the sink; writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xlapulse.streams.scoring.cells import GOOD, TOLERATING, Cell
from xlapulse.streams.scoring.formulas import apdex

MIN_USERS_PER_AGGREGATE = 5
ISSUE_SCORE = 70.0
SLA_GREEN_RATIO = 0.9
MIN_TICKETS_FOR_SLA = 5

#: The measurements, by name (their tags and fields: ``streams/sink/points.py``).
EXPERIENCE_SCORE = "experience_score"
XLA_COMPLIANCE = "xla_compliance"
SERVICE_DESK_MEASUREMENT = "service_desk"
SENTIMENT = "sentiment"
JOURNEY = "journey"
RELIABILITY = "reliability"
COMPONENT = "component"
PHASE = "phase"
MEASUREMENTS = (
    EXPERIENCE_SCORE,
    XLA_COMPLIANCE,
    SERVICE_DESK_MEASUREMENT,
    SENTIMENT,
    JOURNEY,
    RELIABILITY,
    COMPONENT,
    PHASE,
)
#: not a cell's: one point per dip transition (``streams/dips/publish.py``), describing at
#: least 5 people by construction (the dip opens only then; the contract enforces it)
DIP = "dip"


@dataclass(frozen=True)
class Record:
    """One InfluxDB point, library-free: the sink turns it into line protocol."""

    measurement: str
    tags: dict[str, str]
    fields: dict[str, float | int | str]
    time_ns: int

    def series_key(self) -> tuple[Any, ...]:
        """Measurement, tags and time: equal keys overwrite each other in InfluxDB."""
        return (self.measurement, tuple(sorted(self.tags.items())), self.time_ns)


def apdex_score(counts: Sequence[float]) -> float:
    """100 x Apdex of the counts."""
    return 100 * apdex(counts[GOOD], counts[TOLERATING], sum(counts[:3]))


def users_with(cell: Cell, touch_point: str) -> list[str]:
    return [user for user, per in cell.user_touch_points.items() if touch_point in per]
