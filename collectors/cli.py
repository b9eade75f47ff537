"""The ``xlapulse`` command line: one entry point, one subcommand per job.

Subcommands import their heavy dependencies lazily, so the collector install
(no Faust, no Grafana libraries) can run every subcommand it ships.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from xlapulse.collectors.agent import commands as collector_commands
from xlapulse.collectors.cli_errors import (
    EX_CONFIG,
    EX_DATAERR,
    CommandFailed,
    load_settings,
    one_line_errors,
    require_free_port,
    require_kafka,
)
from xlapulse.collectors.gateway.settings import GatewaySettings
from xlapulse.collectors.privacy import Pseudonymizer
from xlapulse.collectors.settings import XlapulseSettings
from xlapulse.collectors.settings_help import settings_epilog, settings_lines

try:  # the collector's self-contained build ships without the dashboards package
    from xlapulse.dashboards import cli as dashboards_commands
except ImportError:
    dashboards_commands = None

#: A file option that must name an existing file.
EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


MAIN_EPILOG = (
    settings_epilog(
        "Settings are environment variables (default in brackets); topics, worker, "
        "simulate, backtest and gateway read these:",
        settings_lines(XlapulseSettings),
    )
    + "\n\n'xlapulse gateway --help' lists the gateway's own (XLAPULSE_PSEUDONYM_KEY, "
    "XLAPULSE_GATEWAY_*); the collector reads a TOML file and XLAPULSE_COLLECTOR_* "
    "('xlapulse collector --help')."
)


@click.group(epilog=MAIN_EPILOG)
@click.version_option(package_name="xlapulse", message="xlapulse %(version)s")
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level to stderr.")
def main(verbose: bool) -> None:
    """xlapulse: digital employee experience, measured in real time."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        logging.getLogger("kafka").setLevel(logging.WARNING)


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


@main.command()
@click.option(
    "--endpoints", default=400, show_default=True, type=AT_LEAST_ONE, help="Simulated workplaces."
)
@click.option("--days", default=5, show_default=True, type=AT_LEAST_ONE, help="Simulated workdays.")
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same run).")
@click.option(
    "--scenario",
    default="default",
    show_default=True,
    help="A packaged scenario name (default, baseline, ...) or a scenario YAML file.",
)
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


@main.command()
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
@click.option(
    "--scenario",
    default="default",
    show_default=True,
    help="A packaged scenario name (default, baseline, ...) or a scenario YAML file.",
)
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


@main.command()
def topics() -> None:
    """Create the contract's Kafka topics (one partition count for all inputs)."""
    from xlapulse.collectors.delivery.kafka_security import kafka_python_security, login_refusal
    from xlapulse.collectors.delivery.topics_admin import TopicLayoutError, ensure_topics

    settings = load_settings("topics", XlapulseSettings)
    require_kafka("topics", settings.kafka_bootstrap)
    refusal = login_refusal(settings)
    if refusal is not None:
        raise SystemExit(f"xlapulse topics: {refusal}")
    try:
        with one_line_errors("topics", settings.kafka_bootstrap):
            created = ensure_topics(
                settings.kafka_bootstrap,
                settings.topic_partitions,
                settings.topic_replication,
                kafka_python_security(settings),
            )
    except TopicLayoutError as error:
        raise CommandFailed("topics", str(error), EX_CONFIG) from None
    click.echo(f"created: {', '.join(created) or 'nothing (all topics exist)'}")


@main.command()
def worker() -> None:
    """Run a Faust engine worker (needs the 'engine' extra)."""
    settings = load_settings("worker", XlapulseSettings)
    try:
        from xlapulse.streams.worker import run_worker
    except ImportError as error:
        message = f"{error}; the worker needs the 'engine' extra: pip install 'xlapulse[engine]'"
        raise CommandFailed("worker", message, EX_CONFIG) from None
    require_kafka("worker", settings.kafka_bootstrap)
    run_worker(settings)


@main.command(
    epilog=settings_epilog(
        "Settings of the gateway, besides those 'xlapulse --help' lists (environment "
        "variables, default in brackets):",
        settings_lines(GatewaySettings, skip=XlapulseSettings),
    )
)
@click.option("--export-openapi", is_flag=True, help="Write the gateway's openapi.json and exit.")
def gateway(export_openapi: bool) -> None:
    """Run the ITSM and survey gateway (webhooks and survey answers to Kafka)."""
    from xlapulse.collectors.gateway.openapi import write_openapi
    from xlapulse.collectors.gateway.server import run_gateway

    if export_openapi:
        click.echo(write_openapi())
        return
    settings = load_settings("gateway", GatewaySettings)
    with one_line_errors("gateway"):
        Pseudonymizer(settings.pseudonym_key.get_secret_value().encode())
    require_free_port("gateway", settings.gateway_host, settings.gateway_port)
    with one_line_errors("gateway", settings.kafka_bootstrap):
        run_gateway(settings)


@main.command()
@click.option(
    "--events",
    "events_file",
    type=EXISTING_FILE,
    help="NDJSON file of contract events (xlapulse simulate --output). Default: Kafka.",
)
@click.option(
    "--xla",
    "changed_xla",
    type=EXISTING_FILE,
    default=None,
    help="The changed XLA file to score the history with [default: the packaged default].",
)
@click.option(
    "--baseline-xla",
    type=EXISTING_FILE,
    default=None,
    help="The XLA file to compare with [default: the packaged default].",
)
@click.option(
    "--baseline-formula",
    type=click.Choice(["2.2", "3.0"]),
    default="2.2",
    show_default=True,
    help="The score formula to compare the current one with.",
)
@click.option(
    "--window",
    "windows",
    multiple=True,
    default=["1d"],
    show_default=True,
    type=click.Choice(["5m", "1h", "1d"]),
    help="Window size to compare; give it again for more.",
)
@click.option("--max-records", default=5_000_000, show_default=True, help="Kafka read limit.")
def backtest(
    events_file: Path | None,
    changed_xla: Path | None,
    baseline_xla: Path | None,
    baseline_formula: str,
    windows: tuple[str, ...],
    max_records: int,
) -> None:
    """Replay stored history under the current formula and a changed XLA file, beside a
    baseline formula and XLA file, and print the difference."""
    from xlapulse.collectors.yamlfile import YamlFileError
    from xlapulse.streams.backtest import (
        format_report,
        history_from_file,
        history_from_kafka,
        nothing_published,
        replay,
    )
    from xlapulse.streams.scoring.formula_versions import CURRENT_FORMULA, FORMULAS
    from xlapulse.streams.scoring.xla import default_xla_config, load_xla_file

    try:
        baseline_config = load_xla_file(baseline_xla) if baseline_xla else default_xla_config()
        changed_config = load_xla_file(changed_xla) if changed_xla else default_xla_config()
    except YamlFileError as error:
        raise click.ClickException(str(error)) from error
    if events_file is not None:
        history = history_from_file(events_file)
    else:
        bootstrap = load_settings("backtest", XlapulseSettings).kafka_bootstrap
        require_kafka("backtest", bootstrap)
        with one_line_errors("backtest", bootstrap):
            history = history_from_kafka(bootstrap, max_records)
    if not history.events:
        raise click.ClickException("no valid events to replay")
    baseline = replay(history, baseline_config, FORMULAS[baseline_formula])
    changed = replay(history, changed_config, CURRENT_FORMULA)
    click.echo(format_report(history, baseline, changed, windows))
    if all(nothing_published(baseline, changed, window) for window in windows):
        raise CommandFailed(
            "backtest",
            f"nothing to compare in window {', '.join(windows)}: {len(history.events)} events "
            "gave no published figure; replay a larger or longer history",
            EX_DATAERR,
        )


@main.command()
@click.option(
    "--scenario",
    default="incident-week",
    show_default=True,
    help="Incident scenario: a packaged name or a YAML file.",
)
@click.option(
    "--calm",
    default="calm-weeks",
    show_default=True,
    help="Calm scenario giving each cell's calm range: a packaged name or a YAML file.",
)
@click.option("--endpoints", default=1000, show_default=True, help="Simulated workplaces.")
@click.option("--seed", default=7, show_default=True, help="Random seed of the fleet.")
@click.option(
    "--first-day",
    type=click.DateTime(["%Y-%m-%d"]),
    default="2026-11-23",
    show_default=True,
    help="First day of the incident run (a Monday); the calm run starts the Monday after it.",
)
@click.option(
    "--flush-every", default=60, show_default=True, help="Publish every N s of event time."
)
def evaluate(
    scenario: str, calm: str, endpoints: int, seed: int, first_day: datetime, flush_every: int
) -> None:
    """Score simulated incidents and calm weeks in-process; print visibility and correlation."""
    from xlapulse.collectors.yamlfile import YamlFileError
    from xlapulse.streams.evaluation.harness import RunSettings
    from xlapulse.streams.evaluation.report import evaluate as run_evaluation
    from xlapulse.streams.evaluation.report import format_evaluation

    settings = RunSettings(
        endpoints=endpoints, seed=seed, first_day=first_day.date(), flush_every_s=flush_every
    )
    try:
        evaluation = run_evaluation(
            scenario, calm, settings, progress=lambda line: click.echo(line, err=True)
        )
    except (YamlFileError, FileNotFoundError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(format_evaluation(evaluation))


@main.command("evaluate-dips")
@click.option("--scenario", default="incident-week", show_default=True, help="Incident scenario.")
@click.option("--calm", default="calm-weeks", show_default=True, help="Calm scenario.")
@click.option("--endpoints", default=600, show_default=True, help="Simulated workplaces.")
@click.option("--seed", default=7, show_default=True, help="Random seed of the fleet.")
@click.option("--dips-file", default="", help="Dip-detection settings (YAML); empty: the defaults.")
def evaluate_dips(scenario: str, calm: str, endpoints: int, seed: int, dips_file: str) -> None:
    """Run incident and calm scenarios in-process; print what dip detection found."""
    from xlapulse.collectors.yamlfile import YamlFileError
    from xlapulse.streams.dips.settings import load_dip_settings
    from xlapulse.streams.evaluation.dips import evaluate_dips as run_dip_evaluation
    from xlapulse.streams.evaluation.dips import format_dip_evaluation
    from xlapulse.streams.evaluation.harness import RunSettings

    try:
        evaluation = run_dip_evaluation(
            scenario,
            calm,
            RunSettings(endpoints=endpoints, seed=seed),
            load_dip_settings(dips_file),
            progress=lambda line: click.echo(line, err=True),
        )
    except (YamlFileError, FileNotFoundError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(format_dip_evaluation(evaluation))


@main.group()
def contract() -> None:
    """The event contract."""


@contract.command("export")
@click.option("--check", is_flag=True, help="Fail if the committed schemas differ.")
def contract_export(check: bool) -> None:
    """Write the JSON Schema files of the contract (collectors/contract/schemas/)."""
    from xlapulse.collectors.contract.schema_export import SCHEMA_DIR, render_schemas, write_schemas

    if check:
        stale = [
            name
            for name, text in render_schemas().items()
            if not (SCHEMA_DIR / name).exists() or (SCHEMA_DIR / name).read_text() != text
        ]
        if stale:
            raise click.ClickException(f"schemas out of date: {', '.join(stale)}")
        click.echo("schemas up to date")
        return
    for path in write_schemas():
        click.echo(path)


@main.command()
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Notifier YAML (collectors/notifier/config.py documents it).",
)
@click.option("--once", is_flag=True, help="Stop when the notices topic is drained.")
def notify(config_path: str, once: bool) -> None:
    """Tell the people a dip affects, by e-mail or chat (needs XLAPULSE_PSEUDONYM_KEY)."""
    from xlapulse.collectors.notifier.config import load_notifier_config
    from xlapulse.collectors.notifier.directory import DirectoryError
    from xlapulse.collectors.notifier.run import run
    from xlapulse.collectors.privacy import PseudonymKeyError
    from xlapulse.collectors.yamlfile import YamlFileError

    try:
        counts = run(load_notifier_config(config_path), once=once)
    except (YamlFileError, DirectoryError, PseudonymKeyError, OSError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(" ".join(f"{key}={value}" for key, value in sorted(counts.items())) or "nothing")


main.add_command(collector_commands.collector)
if dashboards_commands is not None:
    main.add_command(dashboards_commands.dashboards)

if __name__ == "__main__":
    main()
