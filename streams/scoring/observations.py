"""Turn one validated telemetry event into a scored observation.

An observation is the unit the windowed aggregates consume: which touch point,
whose persona and site, how it felt (band) and how much time it cost.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from xlapulse.collectors.contract.events import DirectoryAssignmentEvent, LogonEvent, event_time_ms
from xlapulse.streams.scoring.formulas import time_lost_ms
from xlapulse.streams.scoring.indicators import Band, classify_duration
from xlapulse.streams.scoring.personas import UNASSIGNED, UNKNOWN_SITE, persona_for


@dataclass(frozen=True)
class Assignment:
    """Where a user belongs, from their latest directory assignment."""

    persona: str
    site: str

    @classmethod
    def from_event(cls, event: DirectoryAssignmentEvent) -> Assignment:
        return cls(persona=event.persona, site=event.site)


UNASSIGNED_USER = Assignment(persona=UNASSIGNED, site=UNKNOWN_SITE)


@dataclass(frozen=True)
class Observation:
    """One scored experience sample."""

    event_id: str
    user_id: str
    touch_point: str
    persona: str
    site: str
    event_time_ms: int
    band: Band
    duration_ms: int
    target_ms: int
    time_lost_ms: int

    def group_key(self) -> str:
        """The aggregation key: observations of one persona at one site share a partition."""
        return f"{self.persona}|{self.site}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Observation:
        return cls(**{**data, "band": Band(data["band"])})


def observe_logon(event: LogonEvent, assignment: Assignment | None) -> Observation:
    """Score a logon against its persona's Apdex target."""
    where = assignment or UNASSIGNED_USER
    target_ms = persona_for(where.persona).thresholds.logon_target_ms
    return Observation(
        event_id=str(event.event_id),
        user_id=event.user_id,
        touch_point="logon",
        persona=where.persona,
        site=where.site,
        event_time_ms=event_time_ms(event),
        band=classify_duration(event.logon_duration_ms, target_ms),
        duration_ms=event.logon_duration_ms,
        target_ms=target_ms,
        time_lost_ms=time_lost_ms(event.logon_duration_ms, target_ms),
    )
