"""Fleet simulator: the events a fleet of workplace collectors and its service desk send.

Writes nothing itself; it yields contract events that callers send to Kafka
(``xlapulse simulate``), write as NDJSON (``xlapulse simulate --output``) or feed
to the in-process pipeline (``xlapulse demo``). Deterministic for a given seed:
every endpoint-day draws from its own RNG seeded with (seed, endpoint, date), so
a scenario's incidents change only the endpoints, sites and hours they hit.

Each simulated endpoint is one user with one device, a persona and a site.
``events(first_day, days)`` yields the directory assignments, then every
telemetry, ticket and survey event of the span in event-time order. One local
day of events is held in memory at a time (see README.md for the figures).
"""

from __future__ import annotations

import gc
import heapq
import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import TYPE_CHECKING

from xlapulse.collectors.contract.events import DirectoryAssignmentEvent, EventBase, LogonEvent
from xlapulse.collectors.privacy import Pseudonymizer
from xlapulse.collectors.simulator.build import event
from xlapulse.collectors.simulator.incidents import Incidents, LogonIncident
from xlapulse.collectors.simulator.profiles import (
    BEHAVIOURS,
    PERSONA_PROFILES,
    SITES,
    TICKET_CATEGORIES,
    Endpoint,
)
from xlapulse.collectors.simulator.rhythm import LocalDay, local_day_of
from xlapulse.collectors.simulator.samples import SampleTables
from xlapulse.collectors.simulator.scenario import Scenario
from xlapulse.collectors.simulator.servicedesk import (
    NO_SIGNAL_TICKETS_PER_WORKDAY,
    PULSE_RESPONSE_CHANCE,
    TicketRequest,
    no_signal_request,
    pick_channel,
    pulse_answer,
    ticket_lifecycle,
)
from xlapulse.collectors.simulator.telemetry import DayContext, Hurt, endpoint_day, morning

if TYPE_CHECKING:
    from xlapulse.collectors.simulator.truth import TruthLedger

__all__ = ["PERSONA_PROFILES", "SITES", "Endpoint", "Fleet", "LogonIncident"]

SIMULATOR_KEY = b"xlapulse-simulator-key-not-secret"
SILENT_SUFFERER_SHARE = 0.3
_BY_TIME = attrgetter("event_time")


class Fleet:
    """A deterministic simulated fleet of ``endpoint_count`` workplaces."""

    def __init__(
        self,
        endpoint_count: int,
        seed: int = 1,
        incidents: tuple[LogonIncident, ...] = (),
        pseudonymizer: Pseudonymizer | None = None,
        scenario: Scenario | None = None,
    ) -> None:
        if endpoint_count < 1:
            raise ValueError("a fleet needs at least one endpoint")
        self._seed = seed
        self._logon_incidents = tuple(incidents)
        self._pseudonymizer = pseudonymizer or Pseudonymizer(SIMULATOR_KEY)
        self.scenario = scenario or Scenario.empty()
        self.endpoints = self._build_endpoints(endpoint_count, random.Random(seed))
        self._samples = SampleTables(seed)

    def _build_endpoints(self, count: int, rng: random.Random) -> list[Endpoint]:
        personas = list(PERSONA_PROFILES)
        weights = [PERSONA_PROFILES[name][0] for name in personas]
        traits = random.Random(f"{self._seed}:traits")
        endpoints = []
        for index in range(count):
            persona = rng.choices(personas, weights)[0]
            antivirus = traits.random() < BEHAVIOURS[persona].antivirus_boot_scan_share
            silent = traits.random() < SILENT_SUFFERER_SHARE
            propensity = 0.0 if silent else traits.uniform(0.5, 1.5)
            endpoints.append(
                Endpoint(
                    user_id=self._pseudonymizer.user(f"user{index:06d}@sim.xlapulse.invalid"),
                    device_id=self._pseudonymizer.device(f"ws{index:06d}"),
                    persona=persona,
                    site=SITES[index % len(SITES)],
                    department=PERSONA_PROFILES[persona][2],
                    index=index,
                    antivirus_boot_scan=antivirus,
                    ticket_propensity=propensity,
                )
            )
        return endpoints

    @property
    def seed(self) -> int:
        return self._seed

    def incidents(self, first_day: date | datetime) -> Incidents:
        """The scenario's incidents at absolute times, plus the legacy logon incidents."""
        resolved = self.scenario.resolve(local_day_of(first_day))
        return replace(resolved, logons=resolved.logons + self._logon_incidents)

    def directory_events(self, at: datetime) -> Iterator[DirectoryAssignmentEvent]:
        """One assignment per user, as a directory sync at ``at`` would send.

        Event ids depend on the seed and the sync time, so syncs at other times (or
        other simulated runs with the same seed) never share an event id.
        """
        rng = random.Random(f"{self._seed}:directory:{at.isoformat()}")
        for endpoint in self.endpoints:
            yield event(  # type: ignore[misc]
                "directory_assignment",
                rng,
                at,
                endpoint.user_id,
                None,
                {
                    "persona": endpoint.persona,
                    "site": endpoint.site,
                    "department": endpoint.department,
                },
            )

    def logon_events(
        self, day: date | datetime, first_day: date | datetime | None = None
    ) -> Iterator[LogonEvent]:
        """The logons of one local day, in event-time order; the same as ``events`` yields.

        Without ``first_day`` only the ``incidents`` given to the constructor apply;
        with it, the scenario's incidents too (their times count from ``first_day``).
        """
        incidents = (
            self.incidents(first_day)
            if first_day is not None
            else Incidents(logons=self._logon_incidents)
        )
        ctx = self._day_context(LocalDay(local_day_of(day)), incidents)
        logons = []
        for endpoint in self.endpoints:
            _, _, logon = morning(endpoint, ctx, self._endpoint_rng(endpoint, ctx.day), [])
            if logon is not None:
                logons.append(logon)
        return iter(sorted(logons, key=_BY_TIME))

    def events(
        self, first_day: date | datetime, days: int, ledger: TruthLedger | None = None
    ) -> Iterator[EventBase]:
        """Directory assignments, then every event of ``days`` local days in event-time order.

        Ticket steps and survey answers that would fall after the span are not yielded,
        as in an export cut at its end. A ``ledger`` (``truth.py``) is told whom each
        incident touched and why each ticket was filed; the events are the same with or
        without one.
        """
        first = local_day_of(first_day)
        incidents = self.incidents(first)
        yield from self.directory_events(LocalDay(first).midnight_utc)
        desk = _ServiceDesk(self._seed, self.endpoints, incidents, ledger)
        for offset in range(days):
            day = LocalDay(first + timedelta(days=offset))
            with _collector_paused():
                today = desk.flush(self._one_day(day, incidents, desk, ledger), day.end_utc)
            yield from today

    def _one_day(
        self,
        day: LocalDay,
        incidents: Incidents,
        desk: _ServiceDesk,
        ledger: TruthLedger | None,
    ) -> list[EventBase]:
        ctx = self._day_context(day, incidents)
        today: list[EventBase] = []
        for endpoint in self.endpoints:
            hurts = endpoint_day(endpoint, ctx, self._endpoint_rng(endpoint, day), today)
            desk.endpoint_day(endpoint, day, hurts)
        desk.ticket_waves()
        if ledger is not None:
            ledger.add_hits(ctx.hits)
        return today

    def _day_context(self, day: LocalDay, incidents: Incidents) -> DayContext:
        return DayContext(
            seed=self._seed,
            day=day,
            incidents=incidents,
            probe_interval_min=self.scenario.probe_interval_min,
            samples=self._samples,
            release_users={
                release.name: self._release_users(release.name, release.app, release.affected_share)
                for release in incidents.app_releases
            },
        )

    def _release_users(self, name: str, app: str, share: float) -> frozenset[int]:
        """The users of ``app`` who got the broken release: the same ones every day."""
        rng = random.Random(f"{self._seed}:{name}")
        draws = [(endpoint, rng.random()) for endpoint in self.endpoints]
        return frozenset(
            endpoint.index
            for endpoint, draw in draws
            if draw < share and app in endpoint.behaviour.apps
        )

    def _endpoint_rng(self, endpoint: Endpoint, day: LocalDay) -> random.Random:
        return random.Random(f"{self._seed}:{endpoint.index}:{day.date}")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a day is built.

    A day is ~60 events per endpoint, each a few container objects that live
    until they are yielded; the collector would re-scan them over and over (it
    halved the generation rate). The building code makes no reference cycles, so
    reference counting frees everything; the previous collector state is restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _ServiceDesk:
    """Turns hurts into tickets and survey answers, and holds events due on later days."""

    def __init__(
        self,
        seed: int,
        endpoints: list[Endpoint],
        incidents: Incidents,
        ledger: TruthLedger | None = None,
    ) -> None:
        self._seed, self._endpoints, self._incidents = seed, endpoints, incidents
        self._ledger = ledger
        self._pending: list[tuple[datetime, int, EventBase]] = []
        self._order = itertools.count()
        self._week_lost_s = [0.0] * len(endpoints)
        self._waved = {wave.follows for wave in incidents.ticket_waves}
        # incident -> endpoint index -> [first hurt time, lost seconds]
        self._affected: dict[str, dict[int, list]] = {name: {} for name in self._waved}
        self._filed: dict[str, set[int]] = {wave.name: set() for wave in incidents.ticket_waves}

    def endpoint_day(self, endpoint: Endpoint, day: LocalDay, hurts: list[Hurt]) -> None:
        rng = random.Random(f"{self._seed}:{endpoint.index}:{day.date}:desk")
        out: list[EventBase] = []
        if day.date.weekday() == 0:
            self._week_lost_s[endpoint.index] = 0.0
        for number, hurt in enumerate(hurts):
            self._week_lost_s[endpoint.index] += hurt.lost_s
            if hurt.incident in self._waved:
                self._note_affected(endpoint, hurt)
            elif rng.random() < endpoint.ticket_propensity * hurt.ticket_chance:
                created = hurt.at + timedelta(minutes=rng.uniform(5, 90))
                request = TicketRequest(
                    f"SIM-{day.date:%Y%m%d}-{endpoint.index:06d}-{number:03d}",
                    created,
                    hurt.category,
                    pick_channel(rng),
                    TICKET_CATEGORIES[hurt.category][1],
                    hurt.lost_s,
                    with_device=True,
                )
                self._record_ticket(endpoint, request, hurt.category, hurt.incident)
                ticket_lifecycle(endpoint, request, rng, out)
        if day.is_workday and rng.random() < NO_SIGNAL_TICKETS_PER_WORKDAY:
            ticket_id = f"SIM-{day.date:%Y%m%d}-{endpoint.index:06d}-nosignal"
            at = day.at(rng.uniform(8.5 * 60, 17 * 60))
            request = no_signal_request(endpoint, ticket_id, at, rng)
            self._record_ticket(endpoint, request, None, None)
            ticket_lifecycle(endpoint, request, rng, out)
        if day.date.weekday() == 4 and rng.random() < PULSE_RESPONSE_CHANCE:
            at = day.at(rng.uniform(15 * 60, 16.5 * 60))
            pulse_answer(endpoint, at, self._week_lost_s[endpoint.index], rng, out)
        self._hold(out)

    def _note_affected(self, endpoint: Endpoint, hurt: Hurt) -> None:
        assert hurt.incident is not None
        seen = self._affected[hurt.incident].setdefault(endpoint.index, [hurt.at, 0.0])
        seen[1] += hurt.lost_s

    def ticket_waves(self) -> None:
        """Tickets of the users an incident hurt, ``delay`` after it started."""
        out: list[EventBase] = []
        endpoints = self._endpoints
        for wave in self._incidents.ticket_waves:
            earliest = self._incidents.starts[wave.follows] + wave.delay
            filed = self._filed[wave.name]
            for index, (first_hurt_at, lost_s) in sorted(self._affected[wave.follows].items()):
                if index in filed:
                    continue
                filed.add(index)
                endpoint = endpoints[index]
                rng = random.Random(f"{self._seed}:{wave.name}:{index}")
                if endpoint.ticket_propensity == 0 or rng.random() >= wave.affected_share:
                    continue
                created = max(earliest, first_hurt_at) + wave.spread * rng.random()
                request = TicketRequest(
                    f"SIM-{wave.name}-{index:06d}",
                    created,
                    wave.category,
                    wave.channel,
                    wave.priority,
                    lost_s,
                    with_device=True,
                )
                self._record_ticket(endpoint, request, wave.category, wave.follows)
                ticket_lifecycle(endpoint, request, rng, out)
        self._hold(out)

    def _record_ticket(
        self, endpoint: Endpoint, request: TicketRequest, cause: str | None, incident: str | None
    ) -> None:
        if self._ledger is not None:
            self._ledger.add_ticket(endpoint, request, cause, incident)

    def _hold(self, events: list[EventBase]) -> None:
        for held in events:
            heapq.heappush(self._pending, (held.event_time, next(self._order), held))

    def flush(self, today: list[EventBase], day_end: datetime) -> list[EventBase]:
        """Today's telemetry plus every held event due before ``day_end``, in time order."""
        due = [held for held in today if held.event_time >= day_end]
        if due:
            today = [kept for kept in today if kept.event_time < day_end]
            self._hold(due)
        while self._pending and self._pending[0][0] < day_end:
            today.append(heapq.heappop(self._pending)[2])
        today.sort(key=_BY_TIME)
        return today
