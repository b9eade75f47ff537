"""How well dip detection finds the simulator's incidents, and how often it cries wolf.

Reads a scenario's run (``harness.py``: the simulated fleet and its truth) and feeds its
events to the in-process engine, whose dip detection is the code the Faust workers run;
writes nothing. For each incident it reports the dip at the right scope (touch point,
site, and persona where the incident has one), the detector that opened it and the
detection latency in event time from the incident's first affected event; then
precision, recall and false dips per simulated working week, calm weeks included.

Latency has a floor no detector can beat: a dip describes at least five people of one
persona at one site (or, for an incident at more than one site, of one persona at all
sites: ``streams/dips/all_sites.py``), so it cannot open before the fifth of them is hit.
Each incident shows that floor (the earliest such moment in its truth) and the latency
past it. A dip over all sites matches an incident at more than one site of its persona.

A dip at the incident's site and time on another touch point (probes failing because
the VPN is down) is *collateral*: not the incident's scope, but not a false alarm.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from statistics import median

from xlapulse.collectors.contract.outputs import DipEvent
from xlapulse.collectors.simulator.truth import IncidentTruth, Person, ScenarioTruth
from xlapulse.streams.dips.buckets import ALL_SITES
from xlapulse.streams.dips.settings import DipSettings
from xlapulse.streams.evaluation.harness import RunSettings, ScenarioRun, next_monday, start_run
from xlapulse.streams.inprocess import InProcessPipeline

#: a dip that opens this long after the incident ended is not counted as finding it
MATCH_AFTER_END = timedelta(minutes=30)
#: targets of issue 12
LATENCY_MEDIAN_TARGET = timedelta(minutes=5)
LATENCY_MAX_TARGET = timedelta(minutes=30)
FALSE_DIPS_PER_WEEK_TARGET = 1.0


def people_floor(
    incident: IncidentTruth, people: Mapping[str, Person], min_people: int
) -> datetime | None:
    """When ``min_people`` affected people of one persona at one site (at all sites, for
    an incident at more than one) had been hit, at the earliest: no dip of the incident's
    may open before (None: it never happens)."""
    hits_by_group: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for user_id, when in incident.hit_at.items():
        person = people[user_id]
        hits_by_group[(person.persona, person.site)].append(when)
        if len(incident.scope.sites) > 1:
            hits_by_group[(person.persona, ALL_SITES)].append(when)
    return min(
        (
            sorted(hits)[min_people - 1]
            for hits in hits_by_group.values()
            if len(hits) >= min_people
        ),
        default=None,
    )


@dataclass
class IncidentResult:
    incident: IncidentTruth
    #: the earliest moment a dip of the incident may open (:func:`people_floor`)
    floor: datetime | None = None
    dips: list[DipEvent] = field(default_factory=list)
    collateral: list[DipEvent] = field(default_factory=list)

    @property
    def first(self) -> DipEvent | None:
        return min(self.dips, key=lambda dip: dip.event_time, default=None)

    @property
    def latency(self) -> timedelta | None:
        first = self.first
        if first is None:
            return None
        start = self.incident.first_hit or self.incident.onset
        return first.event_time - start

    @property
    def floor_latency(self) -> timedelta | None:
        """From the first affected event to the floor: what the five-people rule costs."""
        if self.floor is None:
            return None
        return self.floor - (self.incident.first_hit or self.incident.onset)

    @property
    def past_floor(self) -> timedelta | None:
        """From the floor to the dip: what detection itself costs."""
        first = self.first
        if first is None or self.floor is None:
            return None
        return first.event_time - self.floor


@dataclass
class DipEvaluation:
    incidents: list[IncidentResult]
    false_dips: list[DipEvent]
    working_weeks: float
    calm_false_dips: list[DipEvent]
    calm_working_weeks: float

    @property
    def recall(self) -> float:
        return sum(1 for result in self.incidents if result.dips) / max(1, len(self.incidents))

    @property
    def precision(self) -> float:
        found = sum(len(r.dips) + len(r.collateral) for r in self.incidents)
        return found / max(1, found + len(self.false_dips))

    @property
    def false_dips_per_week(self) -> float:
        weeks = self.working_weeks + self.calm_working_weeks
        return (len(self.false_dips) + len(self.calm_false_dips)) / max(weeks, 1e-9)


def run_dips(run: ScenarioRun, settings: DipSettings | None = None) -> list[DipEvent]:
    """Every dip the engine opened over the run (opening events only)."""
    pipeline = InProcessPipeline(
        max_event_age_ms=10 * 365 * 86_400_000, dip_settings=settings or DipSettings()
    )
    for event in run.fleet().events(run.settings.first_day, run.days):
        pipeline.feed_event(event)
    return [dip for dip in pipeline.finish_dips().events if dip.state == "opened"]


def _covers(incident: IncidentTruth, dip: DipEvent) -> bool:
    if dip.site == ALL_SITES:
        return dip.persona in incident.scope.personas and len(incident.scope.sites) > 1
    return incident.scope.covers(dip.persona, dip.site)


def _during(incident: IncidentTruth, dip: DipEvent) -> bool:
    return incident.onset <= dip.event_time <= incident.end + MATCH_AFTER_END


def judge(
    truth: ScenarioTruth, dips: list[DipEvent], min_people: int = DipSettings().min_affected_people
) -> tuple[list[IncidentResult], list[DipEvent]]:
    """Each incident's dips and collateral dips; the dips no incident explains."""
    results = [
        IncidentResult(incident, people_floor(incident, truth.people, min_people))
        for incident in truth.incidents
    ]
    false = []
    for dip in dips:
        explained = False
        for result in results:
            incident = result.incident
            if not (_covers(incident, dip) and _during(incident, dip)):
                continue
            explained = True
            if dip.touch_point == incident.scope.touch_point:
                result.dips.append(dip)
            else:
                result.collateral.append(dip)
        if not explained:
            false.append(dip)
    return results, false


def evaluate_dips(
    scenario: str | Path,
    calm: str | Path,
    settings: RunSettings,
    dip_settings: DipSettings | None = None,
    progress=print,
) -> DipEvaluation:
    run = start_run(scenario, settings)
    progress(
        f"dips: scoring {run.scenario.name} ({run.days} days, {settings.endpoints} workplaces)"
    )
    min_people = (dip_settings or DipSettings()).min_affected_people
    results, false = judge(run.truth, run_dips(run, dip_settings), min_people)
    calm_settings = replace(
        settings, first_day=next_monday(settings.first_day, run.days), days=None
    )
    calm_run = start_run(calm, calm_settings)
    progress(f"dips: scoring {calm_run.scenario.name} ({calm_run.days} days)")
    _, calm_false = judge(calm_run.truth, run_dips(calm_run, dip_settings))
    return DipEvaluation(
        results, false, run.truth.working_weeks, calm_false, calm_run.truth.working_weeks
    )


def _minutes(value: timedelta | None) -> str:
    return "-" if value is None else f"{round(value.total_seconds() / 60)} min"


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=median(value.total_seconds() for value in values))


def _time(value: datetime) -> str:
    return value.strftime("%a %H:%M")


def format_dip_evaluation(evaluation: DipEvaluation) -> str:
    lines = [
        "Dips per incident (latency: event time from the incident's first affected event;"
        " floor: from there to the fifth person of one persona at one site, or at all sites"
        " for an incident at several, hit; past floor: from there to the dip)",
        f"{'incident':<26} {'scope (truth)':<40} {'found at':<36} {'detector':<10} "
        f"{'opened':<10} {'latency':>8} {'floor':>8} {'past floor':>10}  likely cause",
    ]
    for result in evaluation.incidents:
        first = result.first
        found = "-" if first is None else f"{first.touch_point} @ {first.site} / {first.persona}"
        if first is not None and len({(d.persona) for d in result.dips}) > 1:
            found += f" (+{len(result.dips) - 1} more)"
        lines.append(
            f"{result.incident.name:<26} {result.incident.scope.describe():<40} {found:<36} "
            f"{first.detector if first else '-':<10} "
            f"{_time(first.event_time) if first else '-':<10} {_minutes(result.latency):>8} "
            f"{_minutes(result.floor_latency):>8} {_minutes(result.past_floor):>10}  "
            f"{(first.likely_cause or '') if first else 'NOT FOUND'}"
        )
        for dip in result.collateral:
            lines.append(
                f"{'':<26} collateral: {dip.touch_point} @ {dip.site} / {dip.persona} "
                f"({dip.detector}, {_time(dip.event_time)})"
            )
    latencies = [r.latency for r in evaluation.incidents if r.latency is not None]
    past_floor = [r.past_floor for r in evaluation.incidents if r.past_floor is not None]
    lines += [
        "",
        f"recall {evaluation.recall:.2f} ({sum(1 for r in evaluation.incidents if r.dips)} of "
        f"{len(evaluation.incidents)} incidents); precision {evaluation.precision:.2f}",
        f"latency median {_minutes(_median(latencies))} "
        f"(target <= {_minutes(LATENCY_MEDIAN_TARGET)}), max "
        f"{_minutes(max(latencies) if latencies else None)} (target <= "
        f"{_minutes(LATENCY_MAX_TARGET)}); past the five-people floor: median "
        f"{_minutes(_median(past_floor))}, max "
        f"{_minutes(max(past_floor) if past_floor else None)}",
        f"false dips: {len(evaluation.false_dips)} in the incident run "
        f"({evaluation.working_weeks:.1f} working weeks), {len(evaluation.calm_false_dips)} in "
        f"the calm run ({evaluation.calm_working_weeks:.1f} working weeks): "
        f"{evaluation.false_dips_per_week:.2f} per working week (target <= "
        f"{FALSE_DIPS_PER_WEEK_TARGET:.0f})",
    ]
    for dip in evaluation.false_dips + evaluation.calm_false_dips:
        lines.append(
            f"  false: {_time(dip.event_time)} {dip.touch_point} @ {dip.site} / {dip.persona} "
            f"({dip.detector}, {dip.affected_people} people): {dip.likely_cause or ''}"
        )
    return "\n".join(lines)
