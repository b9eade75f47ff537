"""``xlapulse demo``: a simulated fleet scored live in the terminal, then an HTML report.

Reads: events from the fleet simulator (``collectors/simulator``) running a
scenario file (the packaged ``default.yaml`` unless told otherwise). Writes:
the terminal, and one self-contained HTML report (``streams/report/html.py``).
Runs the same scoring code as the Faust workers through ``InProcessPipeline``;
the live view (``streams/report/terminal.py``) is redrawn in place once per simulated
half day, with the simulated clock (Europe/Amsterdam, the fleet's time), the share of
the run done and the events scored.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

from xlapulse.collectors.contract.events import EventBase, event_time_ms
from xlapulse.collectors.simulator.fleet import Fleet
from xlapulse.collectors.simulator.rhythm import LOCAL_TZ
from xlapulse.collectors.simulator.scenario import (
    NOISE_KINDS,
    IncidentBase,
    Scenario,
    default_scenario_path,
    load_scenario,
)
from xlapulse.collectors.simulator.truth import incident_scope
from xlapulse.streams.inprocess import InProcessPipeline
from xlapulse.streams.report.summary import site_scores, worst_windows

try:
    from rich.console import Console, RenderableType
    from rich.live import Live
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    from xlapulse.streams.report.html import RunInfo, render_report, write_report
    from xlapulse.streams.report.terminal import dashboard, day_label
    from xlapulse.streams.report.timeline import Span
except ImportError as missing:  # pragma: no cover - depends on the install
    raise ImportError("the demo needs the 'demo' extra: pip install 'xlapulse[demo]'") from missing

HALF_DAY_MS = 12 * 3_600_000
DEFAULT_REPORT = Path("xlapulse-report.html")


@dataclass(frozen=True)
class DemoSettings:
    """How big, which scenario, how fast, and where the report goes."""

    endpoints: int = 400
    days: int = 5
    seed: int = 7
    first_day: date = date(2026, 11, 23)  # a Monday
    scenario_path: Path | None = None  # None: the packaged default scenario
    report_path: Path | None = DEFAULT_REPORT  # None: no report
    seconds_per_half_day: float = 0.5  # wall-clock pacing of the live view


@dataclass
class DemoResult:
    """What a run produced: the pipeline state, the printed summary and the report's path."""

    pipeline: InProcessPipeline
    events: int
    summary: str
    report_path: Path | None
    incidents: list[Span] = field(default_factory=list)


def load_demo_scenario(settings: DemoSettings) -> Scenario:
    return load_scenario(settings.scenario_path or default_scenario_path())


def incident_windows(scenario: Scenario, first_day: date) -> list[Span]:
    """The scenario's incidents (not its everyday noise), each with the sites it hits and
    its touch point, for the report's shading."""
    windows = []
    for incident in scenario.incidents:
        if isinstance(incident, IncidentBase) and incident.kind not in NOISE_KINDS:
            start, end = incident.window(first_day)
            scope = incident_scope(incident)
            label = f"{incident.name} ({scope.touch_point})"
            windows.append(Span(label, scope.sites, _epoch_ms(start), _epoch_ms(end)))
    return windows


def _epoch_ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def demo_events(settings: DemoSettings, scenario: Scenario) -> Iterator[EventBase]:
    """The simulated fleet's events of the whole run, in event-time order."""
    fleet = Fleet(settings.endpoints, seed=settings.seed, scenario=scenario)
    return fleet.events(settings.first_day, settings.days)


def _half_days(events: Iterable[EventBase]) -> Iterator[list[EventBase]]:
    """Consecutive events grouped by the UTC half day they fall in."""
    batch: list[EventBase] = []
    current = None
    for event in events:
        half_day = event_time_ms(event) // HALF_DAY_MS
        if batch and half_day != current:
            yield batch
            batch = []
        current = half_day
        batch.append(event)
    if batch:
        yield batch


def run_demo(
    settings: DemoSettings,
    console: Console | None = None,
    live: bool = True,
    events: Iterable[EventBase] | None = None,
) -> DemoResult:
    """Score the run (the simulator's events unless ``events`` is given), show it, report it."""
    console = console or Console()
    scenario = load_demo_scenario(settings)
    incidents = incident_windows(scenario, settings.first_day) if events is None else []
    stream = demo_events(settings, scenario) if events is None else events
    pipeline = InProcessPipeline()
    days = f"{settings.days} day" + ("s" if settings.days != 1 else "")
    title = (
        f"xlapulse demo: {settings.endpoints} simulated workplaces, {days} "
        f"from {settings.first_day:%a %d %b}, scenario '{scenario.name}'"
        if events is None
        else "xlapulse demo"
    )
    progress = Progress(title, run_span_ms(settings) if events is None else None)
    count = _feed(pipeline, stream, console, live, settings.seconds_per_half_day, progress)
    pipeline.finish_dips()
    summary = summarize(pipeline, count)
    console.print(summary)
    report_path = None
    if settings.report_path is not None:
        run = RunInfo(
            title=title,
            description=scenario.description.strip() if events is None else "",
            events=count,
            dead_letters=pipeline.outcomes["dead_letter"],
            invitations=len(pipeline.invitations),
            incidents=incidents,
            dips=pipeline.dips.events,
        )
        page = render_report(pipeline.records.values(), pipeline.config, run)
        report_path = write_report(settings.report_path, page)
        console.print(f"HTML report: {report_path}")
    return DemoResult(pipeline, count, summary, report_path, incidents)


def run_span_ms(settings: DemoSettings) -> tuple[int, int]:
    """The simulated run from the first local midnight to the last (epoch ms)."""
    start = datetime.combine(settings.first_day, dt_time(), LOCAL_TZ)
    end = datetime.combine(settings.first_day + timedelta(days=settings.days), dt_time(), LOCAL_TZ)
    return _epoch_ms(start), _epoch_ms(end)


@dataclass(frozen=True)
class Progress:
    """The view's header: what runs, and how far the simulated clock has come."""

    title: str
    span_ms: tuple[int, int] | None

    def header(self, events: int, last: EventBase | None, finished: bool) -> RenderableType:
        grid = Table.grid(padding=(0, 2))
        grid.add_row(f"[bold]{self.title}[/]")
        if last is None:
            grid.add_row(f"{events:,} events scored")
            return grid
        clock = last.event_time.astimezone(LOCAL_TZ)
        line = Table.grid(padding=(0, 2))
        parts: list[RenderableType] = [f"simulated clock {clock:%a %d %b %H:%M %Z}"]
        if self.span_ms is not None:
            start_ms, end_ms = self.span_ms
            done = (event_time_ms(last) - start_ms) / (end_ms - start_ms)
            done = 1.0 if finished else min(1.0, max(0.0, done))
            parts += [ProgressBar(total=1.0, completed=done, width=30), f"{done:4.0%}"]
        parts.append(f"{events:,} events scored")
        line.add_row(*parts)
        grid.add_row(line)
        return grid


def _feed(
    pipeline: InProcessPipeline,
    events: Iterable[EventBase],
    console: Console,
    live: bool,
    pause_s: float,
    progress: Progress,
) -> int:
    """Feed every event; with ``live``, redraw the view in place after each half day (it
    fits a 40-row terminal; anything taller would be cropped, never scrolled)."""
    count = 0
    if not live:
        last = None
        for event in events:
            pipeline.feed_event(event)
            count += 1
            last = event
        pipeline.flush()
        console.print(_view(pipeline, progress, count, last, finished=True))
        return count
    last = None
    with Live(console=console, auto_refresh=False, vertical_overflow="crop") as view:
        for batch in _half_days(events):
            for event in batch:
                pipeline.feed_event(event)
            count += len(batch)
            last = batch[-1]
            pipeline.flush()
            view.update(_view(pipeline, progress, count, last, finished=False), refresh=True)
            time.sleep(pause_s)
        view.update(_view(pipeline, progress, count, last, finished=True), refresh=True)
    return count


def _view(
    pipeline: InProcessPipeline,
    progress: Progress,
    count: int,
    last: EventBase | None,
    finished: bool,
) -> RenderableType:
    return dashboard(
        pipeline.records.values(),
        pipeline.config,
        pipeline.dips.events,
        len(pipeline.invitations),
        progress.header(count, last, finished),
        LOCAL_TZ,
    )


def summarize(pipeline: InProcessPipeline, events: int) -> str:
    """Plain-text findings: where each touch point was worst, and the run's totals."""
    records = list(pipeline.records.values())
    lines = [
        "",
        "Summary",
        f"  events scored: {pipeline.outcomes['ok']} of {events}, "
        f"dead-lettered: {pipeline.outcomes['dead_letter']}, "
        f"survey invitations: {len(pipeline.invitations)}",
        "  lowest day score per touch point:",
    ]
    for worst in worst_windows(records):
        lines.append(
            f"    {worst.touch_point:<13} {worst.score:5.1f}  {worst.persona} at {worst.site}, "
            f"{day_label(worst.window_start_ms)} ({worst.samples} samples)"
        )
    opened = [dip for dip in pipeline.dips.events if dip.state == "opened"]
    lines.append(f"  journey dips detected: {len(opened)}")
    for dip in opened:
        lines.append(
            f"    {dip.event_time:%a %H:%M} UTC {dip.touch_point:<8} {dip.persona} at "
            f"{dip.site}: {dip.affected_people} people, {dip.likely_cause or 'cause unknown'}"
        )
    vpn = site_scores(records, "vpn")
    if vpn:
        (persona, site), score = min(vpn.items(), key=lambda item: item[1].score)
        lines.append(
            f"  lowest VPN score over the run: {persona} at {site}, {score.score:.1f} "
            f"({score.samples} sessions)"
        )
    return "\n".join(lines)
