"""Silent sufferers of each incident: the truth next to what the engine published.

Reads: an incident's truth (affected people, the scenario's tickets) and the 1-day
``service_desk`` records of the incident run and its calm twin (``digest.py``).
Writes: nothing.

* **truth**: affected people who filed no ticket from the incident's onset to the end
  of that UTC day (the 1-day cell's span); ``never_file`` of them never file tickets;
* **published**: the ``silent_sufferers`` of the scope's 1-day cells of that day,
  summed over the scope's (persona, site) pairs; **calm**: the same in the calm twin,
  which has everyday sufferers too; **excess** = published - calm, the engine's view
  of the silent sufferers the incident added.
"""

from __future__ import annotations

from dataclasses import dataclass

from xlapulse.collectors.simulator.truth import IncidentTruth, ScenarioTruth, TicketTruth
from xlapulse.streams.evaluation.digest import RunDigest

DAY_MS = 86_400_000


@dataclass(frozen=True)
class SilentCount:
    incident: str
    affected: int
    silent: int  # affected, no ticket that day
    never_file: int  # of those, people who never file tickets
    published: int | None  # None: no 1-day cell of the scope was published
    calm: int | None

    @property
    def excess(self) -> int | None:
        if self.published is None:
            return None
        return self.published - (self.calm or 0)


def silent_count(
    incident: IncidentTruth, truth: ScenarioTruth, run: RunDigest, twin: RunDigest
) -> SilentCount:
    day_start_ms = incident.onset_ms - incident.onset_ms % DAY_MS
    day_end_ms = day_start_ms + DAY_MS
    filed = {
        ticket.user_id for ticket in truth.tickets if incident.onset_ms <= _ms(ticket) < day_end_ms
    }
    silent = incident.affected - filed
    return SilentCount(
        incident=incident.name,
        affected=len(incident.affected),
        silent=len(silent),
        never_file=sum(not truth.people[user].files_tickets for user in silent),
        published=_published(incident, run, day_start_ms),
        calm=_published(incident, twin, day_start_ms),
    )


def _published(incident: IncidentTruth, digest: RunDigest, day_start_ms: int) -> int | None:
    values = [
        int(fields["silent_sufferers"])
        for (persona, site, start_ms), fields in digest.desk_days.items()
        if start_ms == day_start_ms and incident.scope.covers(persona, site)
    ]
    return sum(values) if values else None


def _ms(ticket: TicketTruth) -> int:
    return int(ticket.created.timestamp() * 1000)
