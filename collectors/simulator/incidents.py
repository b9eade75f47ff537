"""Incidents and everyday noise at absolute times: what the generators consult per day.

A scenario file (``scenario.py``) describes incidents (and the ordinary noise of a
calm week: the logon storm, slower or quieter sites, harmless releases) relative to
the first simulated day; ``Scenario.resolve`` turns them into these objects. Reads
and writes nothing.
"""

from __future__ import annotations

import math
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
class CallDegradation:
    """Calls in ``window``'s scope turn poor with probability ``poor_share`` (a bad link)."""

    window: Window
    poor_share: float


@dataclass(frozen=True)
class AppRelease:
    """A release of ``app`` for ``affected_share`` of its users from ``start`` to ``end``.

    Its users see the new ``app_version`` and, on top of the everyday events, these
    many hangs, crashes and slow transactions per hour: a harmless release has none.
    """

    name: str
    app: str
    version: str
    start: datetime
    end: datetime
    affected_share: float
    hangs_per_hour: float = 3.0
    crashes_per_hour: float = 0.8
    slow_transactions_per_hour: float = 2.0

    @property
    def harmless(self) -> bool:
        return not (self.hangs_per_hour or self.crashes_per_hour or self.slow_transactions_per_hour)


@dataclass(frozen=True)
class LogonStorm:
    """Every workday, logons near ``peak_local_min`` take longer (domain controllers and
    profile servers under load): ``extra_logon_s`` at the peak, a Gaussian bump of
    ``spread_min`` minutes (standard deviation) around it."""

    site: str
    peak_local_min: float
    extra_logon_s: float
    spread_min: float

    def extra_at(self, site: str, local_min: float) -> float:
        if self.site not in (site, ALL_SITES):
            return 0.0
        distance = (local_min - self.peak_local_min) / self.spread_min
        return self.extra_logon_s * math.exp(-0.5 * distance * distance)


@dataclass(frozen=True)
class SiteConditions:
    """How one site differs every day: slower logons and network, fewer remote days."""

    site: str
    extra_logon_s: float = 0.0
    extra_connect_ms: int = 0
    remote_day_factor: float = 1.0


NORMAL_SITE = SiteConditions("")


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
    call_degradations: tuple[CallDegradation, ...] = ()
    logon_storms: tuple[LogonStorm, ...] = ()
    sites: dict[str, SiteConditions] = field(default_factory=dict)  # site -> conditions

    def extra_logon_s(self, site: str, when: datetime) -> float:
        return sum(incident.extra_at(site, when) for incident in self.logons)

    def everyday_logon_s(self, site: str, local_min: float, workday: bool) -> float:
        """Seconds the site's conditions and (on a workday) the logon storm add: noise."""
        storm_s = (
            sum(storm.extra_at(site, local_min) for storm in self.logon_storms) if workday else 0.0
        )
        return self.site(site).extra_logon_s + storm_s

    def site(self, site: str) -> SiteConditions:
        return self.sites.get(site, NORMAL_SITE)
