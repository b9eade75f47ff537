"""``xlapulse demo``: a simulated fleet scored live in the terminal, then an HTML report.

Reads: events from the fleet simulator (``collectors/simulator``) running a
scenario file (the packaged ``default.yaml`` unless told otherwise). Writes:
the terminal, and one self-contained HTML report (``streams/report/html.py``).
Runs the same scoring code as the Faust workers through ``InProcessPipeline``;
the live view is refreshed once per simulated half day.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from xlapulse.collectors.contract.events import EventBase, event_time_ms
from xlapulse.collectors.contract.outputs import DipEvent
from xlapulse.collectors.simulator.fleet import Fleet
from xlapulse.collectors.simulator.scenario import (
    IncidentBase,
    Scenario,
    default_scenario_path,
    load_scenario,
)
from xlapulse.streams.inprocess import InProcessPipeline
from xlapulse.streams.report.summary import site_scores, worst_windows

try:
    from rich.console import Console
    from rich.live import Live

    from xlapulse.streams.report.html import RunInfo, render_report, write_report
    from xlapulse.streams.report.terminal import dashboard, day_label
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
    incidents: list[tuple[str, int, int]] = field(default_factory=list)


def load_demo_scenario(settings: DemoSettings) -> Scenario:
    return load_scenario(settings.scenario_path or default_scenario_path())


def incident_windows(scenario: Scenario, first_day: date) -> list[tuple[str, int, int]]:
    """(name, start ms, end ms) of the scenario's incidents, for the report's shading."""
    windows = []
    for incident in scenario.incidents:
        if isinstance(incident, IncidentBase):
            start, end = incident.window(first_day)
            windows.append((incident.name, _epoch_ms(start), _epoch_ms(end)))
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
    title = (
        f"xlapulse demo: {settings.endpoints} simulated workplaces, {settings.days} days, "
        f"scenario '{scenario.name}'"
        if events is None
        else "xlapulse demo"
    )
    count = _feed(pipeline, stream, console, live, settings.seconds_per_half_day, title)
    for dip in pipeline.finish_dips().events[len(pipeline.dips.events) :]:
        console.print(dip_line(dip))
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


def _feed(
    pipeline: InProcessPipeline,
    events: Iterable[EventBase],
    console: Console,
    live: bool,
    pause_s: float,
    title: str,
) -> int:
    """Feed every event; with ``live``, redraw the view after each half day."""
    count = 0
    if not live:
        for event in events:
            pipeline.feed_event(event)
            count += 1
        pipeline.flush()
        for dip in pipeline.dips.events:
            console.print(dip_line(dip))
        console.print(_view(pipeline, title, count))
        return count
    with Live(console=console, auto_refresh=False, vertical_overflow="visible") as view:
        for batch in _half_days(events):
            shown = len(pipeline.dips.events)
            for event in batch:
                pipeline.feed_event(event)
            count += len(batch)
            for dip in pipeline.dips.events[shown:]:
                if dip.state != "updated":
                    view.console.print(dip_line(dip))
            pipeline.flush()
            view.update(_view(pipeline, title, count, batch[-1]), refresh=True)
            time.sleep(pause_s)
    return count


def _view(pipeline: InProcessPipeline, title: str, count: int, last: EventBase | None = None):
    clock = ""
    if last is not None:
        clock = f", simulated clock {last.event_time.astimezone(UTC):%a %d %b %H:%M} UTC"
    headline = f"[bold]{title}[/]{clock}; {count} events scored"
    return dashboard(
        pipeline.records.values(),
        pipeline.config,
        len(pipeline.invitations),
        headline,
    )


def dip_line(dip: DipEvent) -> str:
    """One line per dip transition, as the demo prints them while it runs."""
    colour = {"opened": "red", "updated": "yellow", "closed": "green"}[dip.state]
    cause = f": {dip.likely_cause}" if dip.likely_cause else ""
    return (
        f"[{colour}]dip {dip.state}[/] {dip.event_time:%a %H:%M} UTC  {dip.touch_point} for "
        f"{dip.persona} at {dip.site}, {dip.affected_people} people ({dip.detector}){cause}"
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
