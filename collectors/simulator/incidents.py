"""Incidents at absolute times: what the generators consult while they draw a day.

A scenario file (``scenario.py``) describes incidents relative to the first
simulated day; ``Scenario.resolve`` turns them into these windows. Reads and
writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

ALL_SITES = "all"


@dataclass(frozen=True)
class LogonIncident:
    """Extra logon time at one site (or ``"all"``) during an interval, e.g. a slow GPO."""

    site: str
    start: datetime
    end: datetime
    extra_logon_s: float
    name: str = "logon_incident"

    def extra_at(self, site: str, when: datetime) -> float:
        """Seconds this incident adds to a logon at ``site`` and time ``when``."""
        if self.site not in (site, ALL_SITES) or not self.start <= when < self.end:
            return 0.0
        return self.extra_logon_s


@dataclass(frozen=True)
class Window:
    """An incident that hits one site, optionally only some personas, from start to end."""

    name: str
    site: str
    start: datetime
    end: datetime
    personas: frozenset[str] | None = None

    def hits(self, site: str, persona: str) -> bool:
        """Whether a user of ``persona`` at ``site`` is in scope (ignoring time)."""
        return site == self.site and (self.personas is None or persona in self.personas)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end


@dataclass(frozen=True)
class AppRelease:
    """A release of ``app`` that hangs for ``affected_share`` of its users until ``end``."""

    name: str
    app: str
    version: str
    start: datetime
    end: datetime
    affected_share: float


@dataclass(frozen=True)
class TicketWaveRule:
    """Affected users of incident ``follows`` file tickets ``delay`` after it started."""

    name: str
    follows: str
    delay: timedelta
    spread: timedelta
    affected_share: float
    category: str
    channel: str
    priority: int


@dataclass(frozen=True)
class Incidents:
    """Every incident of a scenario, at absolute times."""

    logons: tuple[LogonIncident, ...] = ()
    vpn_outages: tuple[Window, ...] = ()
    print_outages: tuple[Window, ...] = ()
    app_releases: tuple[AppRelease, ...] = ()
    ticket_waves: tuple[TicketWaveRule, ...] = ()
    starts: dict[str, datetime] = field(default_factory=dict)  # incident name -> start

    def extra_logon_s(self, site: str, when: datetime) -> float:
        return sum(incident.extra_at(site, when) for incident in self.logons)
