"""Run a simulated scenario through the engine and yield what it publishes, and when.

Reads: a scenario (packaged name or YAML file) and the fleet settings. Writes:
nothing; :func:`run_scenario` returns the engine's publications (an iterator) and the
scenario's truth. This is the data interface an evaluation plugs into:

* :class:`Publication`: one record (``xlapulse.streams.scoring.cells.Record``, the
  InfluxDB point) and ``published_ms``, the event time at which the engine published
  it. The engine is ``InProcessPipeline``, the code the Faust workers run, with an
  event-time clock; it is flushed every ``flush_every_s`` seconds of event time (the
  Faust agent publishes once per batch, seconds apart), so ``published_ms`` is the
  boundary *before which* every event was counted, and a cell is published many times
  while its window fills. Publications come in ``published_ms`` order.
* :class:`xlapulse.collectors.simulator.truth.ScenarioTruth`: incidents with scope,
  onset, end and affected people; tickets with their cause; people; working weeks.

Events are fed in event-time order; the simulator's ticket wave and background tickets
ride along. :class:`ScenarioRun` also records the engine's final explanation of each
ticket (``explanations``), for the correlation check.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

from xlapulse.collectors.contract.events import event_time_ms
from xlapulse.collectors.simulator.fleet import Fleet
from xlapulse.collectors.simulator.scenario import (
    NOISE_KINDS,
    Scenario,
    load_scenario,
    packaged_scenarios,
)
from xlapulse.collectors.simulator.truth import ScenarioTruth, scenario_truth
from xlapulse.streams.inprocess import InProcessPipeline
from xlapulse.streams.scoring.observations import Observation, TicketObservation
from xlapulse.streams.scoring.published import Record

DEFAULT_FIRST_DAY = date(2026, 11, 23)  # a Monday
#: a replay never drops an event as late: the clock is event time
_NO_AGE_LIMIT_MS = 10 * 365 * 86_400_000


@dataclass(frozen=True)
class RunSettings:
    """The fleet and the clock of a run; ``days`` None: the scenario's own span."""

    endpoints: int = 1000
    seed: int = 7
    first_day: date = DEFAULT_FIRST_DAY
    days: int | None = None
    flush_every_s: int = 60

    def __post_init__(self) -> None:
        if self.endpoints < 1 or self.flush_every_s < 1:
            raise ValueError("a run needs at least one endpoint and a positive flush interval")


@dataclass(frozen=True)
class Publication:
    """A record the engine published, and the event time at which it did."""

    published_ms: int
    record: Record


def find_scenario(name_or_path: str | Path) -> Scenario:
    """A packaged scenario by name (``incident-week``) or a scenario YAML file."""
    packaged = packaged_scenarios()
    if str(name_or_path) in packaged:
        return load_scenario(packaged[str(name_or_path)])
    path = Path(name_or_path)
    if not path.is_file():
        names = ", ".join(sorted(packaged))
        raise FileNotFoundError(f"{name_or_path}: neither a packaged scenario ({names}) nor a file")
    return load_scenario(path)


def without_incidents(scenario: Scenario) -> Scenario:
    """The scenario's calm twin: the same noise, no incident and no ticket wave."""
    noise = [incident for incident in scenario.incidents if incident.kind in NOISE_KINDS]
    return scenario.model_copy(update={"name": f"{scenario.name}-calm-twin", "incidents": noise})


@dataclass
class _ExplainingPipeline(InProcessPipeline):
    """The in-process engine, noting the latest explanation of every ticket it counts."""

    explanations: dict[str, str | None] = field(default_factory=dict)

    def _count(self, observations: list[Observation]) -> None:
        for observation in observations:
            if isinstance(observation, TicketObservation) and observation.stage in (
                "opened",
                "explained",
            ):
                self.explanations[observation.ticket_id] = observation.explained_by
        super()._count(observations)


@dataclass
class ScenarioRun:
    """One scenario on one fleet: its truth at once, its publications when iterated."""

    scenario: Scenario
    settings: RunSettings
    truth: ScenarioTruth
    #: ticket id -> touch point the engine explains it by (None: without a signal);
    #: complete once :meth:`publications` is exhausted
    explanations: dict[str, str | None] = field(default_factory=dict)
    events: int = 0

    @property
    def days(self) -> int:
        return self.truth.days

    def fleet(self) -> Fleet:
        return Fleet(self.settings.endpoints, seed=self.settings.seed, scenario=self.scenario)

    def publications(self) -> Iterator[Publication]:
        """Feed the run's events to a fresh engine; yield its records as it publishes them."""
        pipeline = _ExplainingPipeline(max_event_age_ms=_NO_AGE_LIMIT_MS)
        self.explanations = pipeline.explanations
        step_ms = self.settings.flush_every_s * 1000
        next_flush_ms: int | None = None
        self.events = 0
        for event in self.fleet().events(self.settings.first_day, self.days):
            when_ms = event_time_ms(event)
            if next_flush_ms is None:
                next_flush_ms = when_ms - when_ms % step_ms + step_ms
            if when_ms >= next_flush_ms:
                yield from _published(pipeline, next_flush_ms)
                next_flush_ms = when_ms - when_ms % step_ms + step_ms
            pipeline.feed_event(event)
            self.events += 1
        if next_flush_ms is not None:
            yield from _published(pipeline, next_flush_ms)


def _published(pipeline: InProcessPipeline, at_ms: int) -> Iterator[Publication]:
    for record in pipeline.flush():
        yield Publication(at_ms, record)


def start_run(
    scenario: str | Path | Scenario, settings: RunSettings | None = None, calm_twin: bool = False
) -> ScenarioRun:
    """Prepare a run (the truth is computed now, by one pass of the simulator)."""
    settings = settings or RunSettings()
    loaded = scenario if isinstance(scenario, Scenario) else find_scenario(scenario)
    if calm_twin:
        loaded = without_incidents(loaded)
    days = settings.days or loaded.days or 5
    settings = replace(settings, days=days)
    fleet = Fleet(settings.endpoints, seed=settings.seed, scenario=loaded)
    return ScenarioRun(loaded, settings, scenario_truth(fleet, settings.first_day, days))


def run_scenario(
    scenario: str | Path | Scenario, settings: RunSettings | None = None
) -> tuple[Iterator[Publication], ScenarioTruth]:
    """(the engine's publications, lazily, in publication order; the scenario's truth)."""
    run = start_run(scenario, settings)
    return run.publications(), run.truth


def next_monday(day: date, days: int) -> date:
    """The first Monday on or after ``days`` days after ``day`` (where calm weeks start)."""
    after = day + timedelta(days=days)
    return after + timedelta(days=(7 - after.weekday()) % 7)
