"""What one simulated day shares, and the records its generators hand back.

Reads and writes nothing: plain data used by ``telemetry.py``, ``calls.py``,
``sessions.py`` and the fleet's day loop.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from xlapulse.collectors.simulator.incidents import Incidents
from xlapulse.collectors.simulator.profiles import Endpoint
from xlapulse.collectors.simulator.rhythm import LocalDay
from xlapulse.collectors.simulator.samples import SampleTables


@dataclass(frozen=True)
class Hurt:
    """A moment that cost the user time; the service desk model may turn it into a ticket."""

    at: datetime
    category: str
    lost_s: float
    ticket_chance: float
    incident: str | None = None


@dataclass(frozen=True)
class Workday:
    """When one person works on one day (local minutes after midnight) and from where."""

    start_min: float
    end_min: float
    remote: bool


@dataclass
class DayContext:
    """What every endpoint of one simulated day shares."""

    seed: int
    day: LocalDay
    incidents: Incidents
    probe_interval_min: int
    samples: SampleTables
    release_users: dict[str, frozenset[int]] = field(default_factory=dict)
    #: (incident name, endpoint index, when): every moment an incident changed an event
    hits: list[tuple[str, int, datetime]] = field(default_factory=list)

    def incident_rng(self, endpoint: Endpoint, incident: str) -> random.Random:
        return random.Random(f"{self.seed}:{endpoint.index}:{self.day.date}:{incident}")

    def hit(self, incident: str, endpoint: Endpoint, when: datetime) -> None:
        self.hits.append((incident, endpoint.index, when))
