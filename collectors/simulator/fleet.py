"""Fleet simulator: the events a fleet of workplace collectors would send.

Writes nothing itself; it yields contract events (directory assignments and
logons for now) that callers send to Kafka (``xlapulse simulate``) or feed to
the in-process pipeline (``xlapulse demo``). Deterministic for a given seed.

Each simulated endpoint is one user with one device, a persona and a site.
Logon times follow the 9:00 storm on workdays; logon durations are lognormal
around a per-persona median, and incidents (e.g. a GPO change at one site)
add time to logons at their site while they last.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from xlapulse.collectors.contract.events import DirectoryAssignmentEvent, LogonEvent
from xlapulse.collectors.privacy import Pseudonymizer

SIMULATOR_KEY = b"xlapulse-simulator-key-not-secret"

# persona -> (share of the fleet, median logon seconds, department)
PERSONA_PROFILES: dict[str, tuple[float, float, str]] = {
    "knowledge_worker": (0.45, 22.0, "finance"),
    "call_centre_agent": (0.20, 18.0, "customer_service"),
    "field_worker": (0.15, 35.0, "operations"),
    "developer": (0.15, 25.0, "engineering"),
    "executive": (0.05, 20.0, "board"),
}
SITES = ("amsterdam", "rotterdam", "utrecht", "eindhoven")
LOGON_SPREAD_SIGMA = 0.35  # lognormal sigma of logon duration


@dataclass(frozen=True)
class Endpoint:
    """One simulated workplace: a pseudonymous user on one device."""

    user_id: str
    device_id: str
    persona: str
    site: str
    department: str


@dataclass(frozen=True)
class LogonIncident:
    """Extra logon time at one site during an interval (e.g. a slow GPO)."""

    site: str
    start: datetime
    end: datetime
    extra_logon_s: float

    def extra_at(self, site: str, when: datetime) -> float:
        """Seconds this incident adds to a logon at ``site`` and time ``when``."""
        return self.extra_logon_s if site == self.site and self.start <= when < self.end else 0.0


class Fleet:
    """A deterministic simulated fleet of ``endpoint_count`` workplaces."""

    def __init__(
        self,
        endpoint_count: int,
        seed: int = 1,
        incidents: tuple[LogonIncident, ...] = (),
        pseudonymizer: Pseudonymizer | None = None,
    ) -> None:
        if endpoint_count < 1:
            raise ValueError("a fleet needs at least one endpoint")
        self._seed = seed
        self._incidents = incidents
        self._pseudonymizer = pseudonymizer or Pseudonymizer(SIMULATOR_KEY)
        self.endpoints = self._build_endpoints(endpoint_count, random.Random(seed))

    def _build_endpoints(self, count: int, rng: random.Random) -> list[Endpoint]:
        personas = list(PERSONA_PROFILES)
        weights = [PERSONA_PROFILES[name][0] for name in personas]
        endpoints = []
        for index in range(count):
            persona = rng.choices(personas, weights)[0]
            endpoints.append(
                Endpoint(
                    user_id=self._pseudonymizer.user(f"user{index:06d}@sim.xlapulse.invalid"),
                    device_id=self._pseudonymizer.device(f"ws{index:06d}"),
                    persona=persona,
                    site=SITES[index % len(SITES)],
                    department=PERSONA_PROFILES[persona][2],
                )
            )
        return endpoints

    def directory_events(self, at: datetime) -> Iterator[DirectoryAssignmentEvent]:
        """One assignment per user, as a directory sync at ``at`` would send."""
        rng = random.Random(f"{self._seed}:directory")
        for endpoint in self.endpoints:
            yield DirectoryAssignmentEvent(
                event_id=_uuid(rng),
                event_time=at,
                user_id=endpoint.user_id,
                persona=endpoint.persona,
                site=endpoint.site,
                department=endpoint.department,
            )

    def logon_events(self, day: datetime) -> Iterator[LogonEvent]:
        """Morning logons for the UTC ``day`` (nothing on weekends), in event-time order."""
        day_start = day.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        if day_start.weekday() >= 5:
            return iter(())
        rng = random.Random(f"{self._seed}:logon:{day_start.date().isoformat()}")
        events = [self._logon(endpoint, day_start, rng) for endpoint in self.endpoints]
        return iter(sorted(events, key=lambda event: event.event_time))

    def _logon(self, endpoint: Endpoint, day_start: datetime, rng: random.Random) -> LogonEvent:
        storm_offset_min = rng.gauss(0, 25)
        logon_at = day_start + timedelta(hours=8, minutes=max(-120.0, storm_offset_min))
        median_s = PERSONA_PROFILES[endpoint.persona][1]
        duration_s = median_s * math.exp(rng.gauss(0, LOGON_SPREAD_SIGMA))
        duration_s += sum(i.extra_at(endpoint.site, logon_at) for i in self._incidents)
        group_policy_share = rng.uniform(0.2, 0.4)
        duration_ms = round(duration_s * 1000)
        return LogonEvent(
            event_id=_uuid(rng),
            event_time=logon_at,
            user_id=endpoint.user_id,
            device_id=endpoint.device_id,
            logon_duration_ms=duration_ms,
            group_policy_duration_ms=round(duration_ms * group_policy_share),
            profile_load_duration_ms=round(duration_ms * 0.25),
            shell_start_duration_ms=round(duration_ms * 0.15),
        )


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)
