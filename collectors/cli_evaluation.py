"""``xlapulse backtest``, ``evaluate`` and ``evaluate-dips``: how well the scoring does.

``backtest`` reads stored history (an NDJSON file of contract events, or the Kafka
topics at ``XLAPULSE_KAFKA_BOOTSTRAP``) and XLA files, replays it under two formulas and
prints the difference on stdout. ``evaluate`` and ``evaluate-dips`` read incident and
calm scenarios (packaged names or YAML files; ``evaluate-dips`` also a dip-detection
settings file), score them in-process and print the report on stdout, progress on
stderr. None of them writes a file.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from xlapulse.collectors.cli_errors import (
    EX_DATAERR,
    CommandFailed,
    load_settings,
    one_line_errors,
    require_kafka,
)
from xlapulse.collectors.settings import XlapulseSettings

#: A file option that must name an existing file.
EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
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


@click.command()
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


@click.command("evaluate-dips")
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
