"""``xlapulse demo``: a simulated fleet scored live in the terminal, no servers needed.

Reads: events from the fleet simulator. Writes: the terminal only.
Runs the same scoring code as the Faust workers through ``InProcessPipeline``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from xlapulse.collectors.contract.events import EventBase
from xlapulse.collectors.simulator.fleet import SITES, Fleet, LogonIncident
from xlapulse.streams.inprocess import InProcessPipeline
from xlapulse.streams.scoring.cells import Record

try:
    from rich.console import Console
    from rich.live import Live
    from rich.table import Table
except ImportError as missing:  # pragma: no cover - depends on the install
    raise ImportError("the demo needs the 'demo' extra: pip install 'xlapulse[demo]'") from missing


@dataclass(frozen=True)
class DemoSettings:
    """How big and how fast the simulated week is."""

    endpoints: int = 400
    days: int = 5
    seed: int = 7
    first_day: datetime = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday
    seconds_per_day: float = 1.2  # wall-clock pacing of the live view


def demo_incident(settings: DemoSettings) -> LogonIncident:
    """A GPO change that slows logons at one site on the third day."""
    day = settings.first_day + timedelta(days=2)
    return LogonIncident(site=SITES[1], start=day, end=day + timedelta(days=1), extra_logon_s=70)


def demo_events(settings: DemoSettings) -> Iterator[tuple[int, EventBase]]:
    """(day index, event) for the whole simulated run: directory sync, then daily logons."""
    fleet = Fleet(settings.endpoints, seed=settings.seed, incidents=(demo_incident(settings),))
    for event in fleet.directory_events(settings.first_day):
        yield 0, event
    for day_index in range(settings.days):
        for event in fleet.logon_events(settings.first_day + timedelta(days=day_index)):
            yield day_index, event


@dataclass(frozen=True)
class ScorePoint:
    """The fields of one logon score record the demo shows."""

    persona: str
    site: str
    window_start_ms: int
    score: float
    samples: int
    frustrating: int
    time_lost_ms: int

    @classmethod
    def from_record(cls, record: Record) -> ScorePoint:
        return cls(
            persona=record.tags["persona"],
            site=record.tags["site"],
            window_start_ms=record.time_ns // 1_000_000,
            score=float(record.fields["score"]),
            samples=int(record.fields["samples"]),
            frustrating=int(record.fields["frustrating"]),
            time_lost_ms=int(record.fields["time_lost_ms"]),
        )


def run_demo(settings: DemoSettings, console: Console | None = None, live: bool = True) -> str:
    """Run the demo and return the summary text (also printed)."""
    console = console or Console()
    pipeline = InProcessPipeline()
    hourly: dict[str, dict[str, list[ScorePoint]]] = defaultdict(lambda: defaultdict(list))
    console.print(
        f"[bold]xlapulse demo[/]: {settings.endpoints} simulated workplaces, "
        f"{settings.days} workdays, logon experience per persona (score 0-100 = 100 x Apdex)"
    )
    with Live(console=console, auto_refresh=False, transient=not live) as view:
        for day_index, day_events in _group_by_day(demo_events(settings)):
            for event in day_events:
                for record in pipeline.feed_event(event):
                    if (
                        record.measurement == "experience_score"
                        and record.tags["window"] == "1h"
                        and record.tags["touch_point"] == "logon"
                    ):
                        point = ScorePoint.from_record(record)
                        hourly[point.persona][_cell(point)].append(point)
            view.update(_live_table(settings, day_index, hourly), refresh=True)
            if live:
                time.sleep(settings.seconds_per_day)
    summary = _summary(pipeline, hourly)
    console.print(summary)
    return summary


def _group_by_day(
    events: Iterator[tuple[int, EventBase]],
) -> Iterator[tuple[int, list[EventBase]]]:
    batch: list[EventBase] = []
    current = 0
    for day_index, event in events:
        if day_index != current and batch:
            yield current, batch
            batch = []
        current = day_index
        batch.append(event)
    if batch:
        yield current, batch


def _cell(point: ScorePoint) -> str:
    return f"{point.site}|{point.window_start_ms}"


def _latest(cells: dict[str, list[ScorePoint]]) -> list[ScorePoint]:
    return [points[-1] for points in cells.values()]


def _live_table(
    settings: DemoSettings, day_index: int, hourly: dict[str, dict[str, list[ScorePoint]]]
) -> Table:
    day = (settings.first_day + timedelta(days=day_index)).strftime("%a %d %b")
    table = Table(title=f"Logon experience after {day} (hourly windows, >= 5 people each)")
    for column in ("persona", "site", "worst hour score", "mean score", "time lost (min)"):
        table.add_column(column, justify="right" if column != "persona" else "left")
    for persona in sorted(hourly):
        by_site: dict[str, list[ScorePoint]] = defaultdict(list)
        for point in _latest(hourly[persona]):
            by_site[point.site].append(point)
        for site in sorted(by_site):
            points = by_site[site]
            worst = min(point.score for point in points)
            mean = sum(point.score * point.samples for point in points) / sum(
                point.samples for point in points
            )
            lost_min = sum(point.time_lost_ms for point in points) / 60_000
            table.add_row(persona, site, _colour(worst), _colour(mean), f"{lost_min:,.0f}")
    return table


def _colour(score: float) -> str:
    style = "green" if score >= 85 else "yellow" if score >= 70 else "red"
    return f"[{style}]{score:5.1f}[/]"


def _summary(pipeline: InProcessPipeline, hourly: dict[str, dict[str, list[ScorePoint]]]) -> str:
    finals = [point for persona in hourly.values() for point in _latest(persona)]
    lines = [
        "",
        "Summary",
        f"  records processed: {pipeline.outcomes['ok']}, "
        f"dead-lettered: {pipeline.outcomes['dead_letter']}",
        f"  hourly score cells published: {len(finals)} "
        "(cells with fewer than 5 people are never shown)",
    ]
    for persona in sorted(hourly):
        points = _latest(hourly[persona])
        samples = sum(point.samples for point in points)
        mean = sum(point.score * point.samples for point in points) / samples
        lost_h = sum(point.time_lost_ms for point in points) / 3_600_000
        lines.append(
            f"  {persona:<18} mean logon score {mean:5.1f} over {samples} logons, "
            f"{lost_h:5.1f} h lost over target"
        )
    if finals:
        worst = min(finals, key=lambda point: point.score)
        when = datetime.fromtimestamp(worst.window_start_ms / 1000, UTC).strftime("%a %H:%M UTC")
        lines.append(
            f"  worst hour: {worst.persona} at {worst.site}, {when}: score {worst.score:.1f} "
            f"({worst.frustrating} of {worst.samples} logons frustrating)"
        )
    return "\n".join(lines)
