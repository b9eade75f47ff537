"""``xlapulse demo`` and ``xlapulse simulate``: a simulated fleet, scored or sent.

Both read a scenario (a packaged name such as ``default`` or ``baseline``, or a scenario
YAML file). ``demo`` scores the fleet in-process, shows it live on stdout and writes an
HTML report (``--report``); ``simulate`` writes the fleet's contract events to Kafka
(``XLAPULSE_KAFKA_BOOTSTRAP``) or an NDJSON file (``--output``) and prints the count per
event type on stdout.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from xlapulse.collectors.cli_errors import load_settings, one_line_errors, require_kafka
from xlapulse.collectors.settings import XlapulseSettings


def scenario_file(name_or_path: str) -> Path:
    """A packaged scenario's file by name (default, baseline, ...), or the file given."""
    from xlapulse.collectors.simulator.scenario import packaged_scenarios

    packaged = packaged_scenarios()
    path = packaged.get(name_or_path, Path(name_or_path))
    if not path.is_file():
        names = ", ".join(sorted(packaged))
        raise click.BadParameter(
            f"neither a packaged scenario ({names}) nor a file", param_hint="--scenario"
        )
    return path


#: A count that must be at least 1 (workplaces, days).
AT_LEAST_ONE = click.IntRange(min=1)
#: The scenario option of ``simulate`` and ``demo``.
SCENARIO_OPTION = click.option(
    "--scenario",
    default="default",
    show_default=True,
    help="A packaged scenario name (default, baseline, ...) or a scenario YAML file.",
)


@click.command()
@click.option(
    "--endpoints", default=400, show_default=True, type=AT_LEAST_ONE, help="Simulated workplaces."
)
@click.option("--days", default=5, show_default=True, type=AT_LEAST_ONE, help="Simulated workdays.")
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same run).")
@SCENARIO_OPTION
@click.option(
    "--report",
    "report_path",
    default="xlapulse-report.html",
    show_default=True,
    help="Where to write the HTML report; '-' for none.",
)
@click.option("--no-live", is_flag=True, help="Skip the live pacing; print the result at once.")
def demo(
    endpoints: int, days: int, seed: int, scenario: str, report_path: str, no_live: bool
) -> None:
    """Score a simulated fleet in-process, show it live, write an HTML report; no servers."""
    from xlapulse.collectors.yamlfile import YamlFileError
    from xlapulse.streams.demo import DemoSettings, run_demo

    scenario_path = scenario_file(scenario)
    settings = DemoSettings(
        endpoints=endpoints,
        days=days,
        seed=seed,
        scenario_path=scenario_path,
        report_path=None if report_path == "-" else Path(report_path),
    )
    try:
        run_demo(settings, live=not no_live)
    except YamlFileError as error:
        raise click.ClickException(str(error)) from error


@click.command()
@click.option(
    "--endpoints", default=100, show_default=True, type=AT_LEAST_ONE, help="Simulated workplaces."
)
@click.option(
    "--days", default=1, show_default=True, type=AT_LEAST_ONE, help="Local days to simulate."
)
@click.option("--seed", default=1, show_default=True, help="Random seed (same seed, same events).")
@click.option(
    "--first-day",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="First simulated Europe/Amsterdam day [default: today].",
)
@SCENARIO_OPTION
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write contract JSON lines to this file instead of sending to Kafka.",
)
@click.option("--rate", type=float, default=None, help="Pace to at most this many events/s.")
def simulate(
    endpoints: int,
    days: int,
    seed: int,
    first_day: datetime | None,
    scenario: str,
    output: Path | None,
    rate: float | None,
) -> None:
    """Simulate a fleet: all telemetry, tickets and surveys, to Kafka or an NDJSON file."""
    import time
    from collections import Counter

    from xlapulse.collectors.simulator.delivery import counted, paced, send_to_kafka, write_ndjson
    from xlapulse.collectors.simulator.fleet import Fleet
    from xlapulse.collectors.simulator.scenario import load_scenario
    from xlapulse.collectors.yamlfile import YamlFileError

    try:
        loaded = load_scenario(scenario_file(scenario))
    except YamlFileError as error:
        raise click.ClickException(str(error)) from error
    start = (first_day or datetime.now(UTC)).date()
    if all((start + timedelta(days=day)).weekday() >= 5 for day in range(days)):
        click.echo(
            f"note: {start:%a %Y-%m-%d} on is a weekend, when hardly anyone works; "
            "give --first-day a weekday for a working day's events",
            err=True,
        )
    counts: Counter[str] = Counter()
    events = paced(
        counted(Fleet(endpoints, seed=seed, scenario=loaded).events(start, days), counts), rate
    )
    started = time.monotonic()
    if output is not None:
        with one_line_errors("simulate"):
            total, target = write_ndjson(events, output), str(output)
    else:
        target = load_settings("simulate", XlapulseSettings).kafka_bootstrap
        require_kafka("simulate", target)
        with one_line_errors("simulate", target):
            total = send_to_kafka(events, target)
    elapsed_s = time.monotonic() - started
    for event_type, count in sorted(counts.items()):
        click.echo(f"{event_type:<22}{count:>12,}")
    click.echo(
        f"{total:,} events for {endpoints} endpoints over {days} days from {start} "
        f"(scenario {loaded.name}) to {target} in {elapsed_s:.1f} s"
    )
