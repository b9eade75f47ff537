"""The ground truth of a simulated run: which incidents hit whom, when, and why tickets came.

Reads: a ``Fleet`` and its scenario; while ``Fleet.events`` runs with a
:class:`TruthLedger`, the generators report every moment an incident changed an event
(``DayContext.hits``) and every ticket they filed with its cause. Writes: nothing;
:func:`scenario_truth` returns a :class:`ScenarioTruth`, plain frozen data an
evaluation compares published scores, ticket correlation and dips with.

Definitions (times are event time, UTC-aware datetimes):

* an incident's **scope** is its touch point, the sites and the personas it can hit
  (an app release hits the personas whose persona uses the app, at every site);
* its **onset** and **end** are the scenario window; effects can outlast the end
  (a VPN reconnect takes 2-15 min after the concentrator is back);
* its **affected** people are those whose events the incident changed (a slower
  logon, a dropped or failed VPN session, a failed print job, an injected hang, crash
  or slow transaction, a call it made poor);
* a ticket's **cause** is the touch point whose trouble made the person file it (the
  incident's touch point for a ticket wave, the hurt's for an everyday ticket), or
  ``None`` for a ticket no telemetry can explain (password reset, access, hardware,
  how-to). A correct correlation explains a ticket by its cause and leaves a ticket
  without a cause unexplained.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING

from xlapulse.collectors.simulator.profiles import BEHAVIOURS, PERSONA_PROFILES, SITES
from xlapulse.collectors.simulator.rhythm import LocalDay, local_day_of
from xlapulse.collectors.simulator.scenario import (
    NOISE_KINDS,
    AppReleaseHang,
    IncidentBase,
    TicketWave,
)

if TYPE_CHECKING:
    from xlapulse.collectors.simulator.fleet import Fleet
    from xlapulse.collectors.simulator.profiles import Endpoint
    from xlapulse.collectors.simulator.servicedesk import TicketRequest

#: incident kind -> the touch point it hurts (the engine's touch-point names)
INCIDENT_TOUCH_POINT = {
    "gpo_slow_logons": "logon",
    "vpn_concentrator_failure": "vpn",
    "print_server_down": "print",
    "app_release_hang": "app",
    "call_quality_degraded": "call",
}
#: hurt / ticket category -> the touch point whose telemetry shows it
CATEGORY_TOUCH_POINT = {
    "boot": "boot",
    "logon": "logon",
    "vpn": "vpn",
    "application": "app",
    "call_quality": "call",
    "printing": "print",
}
ALL_PERSONAS = frozenset(PERSONA_PROFILES)
ALL_SITE_NAMES = frozenset(SITES)


@dataclass(frozen=True)
class Scope:
    """Where an incident shows: one touch point, some sites, some personas."""

    touch_point: str
    sites: frozenset[str]
    personas: frozenset[str]

    def covers(self, persona: str, site: str) -> bool:
        return persona in self.personas and site in self.sites

    def describe(self) -> str:
        sites = "all sites" if self.sites == ALL_SITE_NAMES else "+".join(sorted(self.sites))
        personas = (
            "all personas" if self.personas == ALL_PERSONAS else "+".join(sorted(self.personas))
        )
        return f"{self.touch_point} @ {sites} / {personas}"


@dataclass(frozen=True)
class IncidentTruth:
    """One injected incident: what, where, when, and whom it touched."""

    name: str
    kind: str
    scope: Scope
    onset: datetime
    end: datetime
    affected: frozenset[str]  # user pseudonyms
    first_hit: datetime | None  # the earliest event the incident changed
    #: each affected person's first changed event (pseudonym -> when)
    hit_at: Mapping[str, datetime] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def onset_ms(self) -> int:
        return _ms(self.onset)

    @property
    def end_ms(self) -> int:
        return _ms(self.end)

    @property
    def first_hit_ms(self) -> int | None:
        return None if self.first_hit is None else _ms(self.first_hit)


@dataclass(frozen=True)
class TicketTruth:
    """One ticket the run filed (its ``created`` step falls inside the run)."""

    ticket_id: str
    user_id: str
    persona: str
    site: str
    created: datetime
    category: str
    cause_touch_point: str | None
    incident: str | None  # the incident whose trouble led to it, if any


@dataclass(frozen=True)
class Person:
    user_id: str
    persona: str
    site: str
    files_tickets: bool  # False: a silent sufferer, who never files a ticket


@dataclass(frozen=True)
class ScenarioTruth:
    """Everything an evaluation needs to know about what really happened in a run."""

    scenario: str
    seed: int
    endpoints: int
    first_day: date
    days: int
    start: datetime  # local midnight of the first day, as UTC
    end: datetime  # local midnight after the last day, as UTC
    incidents: tuple[IncidentTruth, ...]
    tickets: tuple[TicketTruth, ...]
    people: Mapping[str, Person]
    noise: tuple[str, ...]  # names of the scenario's everyday-noise entries
    workdays: int

    @property
    def working_weeks(self) -> float:
        """Simulated working weeks (5 workdays each), the unit of false-alarm rates."""
        return self.workdays / 5

    def incident(self, name: str) -> IncidentTruth:
        for incident in self.incidents:
            if incident.name == name:
                return incident
        raise KeyError(f"no incident {name!r} in scenario {self.scenario!r}")


@dataclass
class _FiledTicket:
    request: TicketRequest
    endpoint: Endpoint
    cause_category: str | None
    incident: str | None


@dataclass
class TruthLedger:
    """Collects, while ``Fleet.events`` runs, what the truth is built from."""

    first_hits: dict[str, dict[int, datetime]] = field(default_factory=dict)
    tickets: list[_FiledTicket] = field(default_factory=list)

    def add_hits(self, hits: Iterable[tuple[str, int, datetime]]) -> None:
        for incident, index, when in hits:
            seen = self.first_hits.setdefault(incident, {})
            if index not in seen or when < seen[index]:
                seen[index] = when

    def add_ticket(
        self,
        endpoint: Endpoint,
        request: TicketRequest,
        cause_category: str | None,
        incident: str | None,
    ) -> None:
        self.tickets.append(_FiledTicket(request, endpoint, cause_category, incident))


def scenario_truth(fleet: Fleet, first_day: date | datetime, days: int) -> ScenarioTruth:
    """Run the fleet once (the events are thrown away) and return what really happened.

    The same fleet, first day and span give exactly the events ``fleet.events`` yields.
    """
    ledger = TruthLedger()
    for _ in fleet.events(first_day, days, ledger=ledger):
        pass
    return build_truth(fleet, local_day_of(first_day), days, ledger)


def build_truth(fleet: Fleet, first_day: date, days: int, ledger: TruthLedger) -> ScenarioTruth:
    """The truth of a run whose ``ledger`` was filled by ``fleet.events(first_day, days)``."""
    by_index = {endpoint.index: endpoint for endpoint in fleet.endpoints}
    start = LocalDay(first_day).midnight_utc
    end = LocalDay(first_day + timedelta(days=days)).midnight_utc
    incidents = tuple(
        _incident_truth(incident, first_day, ledger, by_index)
        for incident in fleet.scenario.incidents
        if isinstance(incident, IncidentBase) and incident.kind not in NOISE_KINDS
    )
    touch_point_of = {incident.name: incident.scope.touch_point for incident in incidents}
    tickets = tuple(
        sorted(
            (
                _ticket_truth(filed, touch_point_of)
                for filed in ledger.tickets
                if filed.request.created_at < end
            ),
            key=lambda ticket: (ticket.created, ticket.ticket_id),
        )
    )
    people = {
        endpoint.user_id: Person(
            endpoint.user_id, endpoint.persona, endpoint.site, endpoint.ticket_propensity > 0
        )
        for endpoint in fleet.endpoints
    }
    return ScenarioTruth(
        scenario=fleet.scenario.name,
        seed=fleet.seed,
        endpoints=len(fleet.endpoints),
        first_day=first_day,
        days=days,
        start=start,
        end=end,
        incidents=incidents,
        tickets=tickets,
        people=MappingProxyType(people),
        noise=tuple(
            i.name
            for i in fleet.scenario.incidents
            if not isinstance(i, TicketWave) and i.kind in NOISE_KINDS
        ),
        workdays=sum((first_day + timedelta(days=n)).weekday() < 5 for n in range(days)),
    )


def incident_scope(incident: IncidentBase) -> Scope:
    """The touch point, sites and personas an incident of the scenario can hit."""
    touch_point = INCIDENT_TOUCH_POINT[incident.kind]  # type: ignore[attr-defined]
    if isinstance(incident, AppReleaseHang):
        users = frozenset(name for name, b in BEHAVIOURS.items() if incident.app in b.apps)
        return Scope(touch_point, ALL_SITE_NAMES, users)
    site = getattr(incident, "site", "all")
    sites = ALL_SITE_NAMES if site == "all" else frozenset({site})
    personas = getattr(incident, "personas", None)
    return Scope(touch_point, sites, frozenset(personas) if personas else ALL_PERSONAS)


def _incident_truth(
    incident: IncidentBase,
    first_day: date,
    ledger: TruthLedger,
    by_index: dict[int, Endpoint],
) -> IncidentTruth:
    onset, end = incident.window(first_day)
    hits = ledger.first_hits.get(incident.name, {})
    return IncidentTruth(
        name=incident.name,
        kind=incident.kind,  # type: ignore[attr-defined]
        scope=incident_scope(incident),
        onset=onset,
        end=end,
        affected=frozenset(by_index[index].user_id for index in hits),
        first_hit=min(hits.values(), default=None),
        hit_at=MappingProxyType({by_index[index].user_id: when for index, when in hits.items()}),
    )


def _ticket_truth(filed: _FiledTicket, touch_point_of: dict[str, str]) -> TicketTruth:
    if filed.incident is not None and filed.incident in touch_point_of:
        cause = touch_point_of[filed.incident]
    else:
        cause = CATEGORY_TOUCH_POINT.get(filed.cause_category or "")
    return TicketTruth(
        ticket_id=filed.request.ticket_id,
        user_id=filed.endpoint.user_id,
        persona=filed.endpoint.persona,
        site=filed.endpoint.site,
        created=filed.request.created_at,
        category=filed.request.category,
        cause_touch_point=cause,
        incident=filed.incident,
    )


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
