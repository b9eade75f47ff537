"""``xlapulse collector run | once | check | manifest | sample-config``.

Exit codes (sysexits.h): 0 success or a clean stop on SIGTERM/SIGINT; 1 ``check``
found a failing source; 69 (EX_UNAVAILABLE) ``check`` could not reach Kafka;
73 (EX_CANTCREAT) the spool folder cannot be created or written; 78 (EX_CONFIG) the
configuration is invalid (unknown key, bad value, missing pseudonymization key).
Logs go to stderr (journal-formatted under systemd); ``once`` prints events on stdout.

``run`` validates the configuration here (pydantic, click), then replaces itself with
the lean collector runtime (``agent/runtime.py``, same process id) that runs the service
without them; ``once`` builds its sources and events from the same runtime document.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from xlapulse.collectors.agent.runtime import EX_CANTCREAT, EX_CONFIG

if TYPE_CHECKING:
    from xlapulse.collectors.agent.config import CollectorConfig
    from xlapulse.collectors.agent.privacy_decisions import PrivacyDecisions

EX_UNAVAILABLE = 69

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    envvar="XLAPULSE_COLLECTOR_CONFIG",
    help="TOML configuration file [env XLAPULSE_COLLECTOR_CONFIG].",
)


def _fail(code: int, message: str) -> None:
    click.echo(f"xlapulse collector: {message}", err=True)
    sys.exit(code)


def _load(config_path: Path | None) -> tuple[CollectorConfig, PrivacyDecisions]:
    """The validated configuration and its privacy switches, checked against the contract;
    exit 78 if either is wrong."""
    from xlapulse.collectors.agent.config import ConfigError, load_config
    from xlapulse.collectors.agent.privacy_filter import PrivacyConfigError, decide_config_privacy
    from xlapulse.collectors.privacy import Pseudonymizer, PseudonymKeyError

    try:
        config = load_config(config_path)
        Pseudonymizer(config.privacy.pseudonym_key.get_secret_value().encode())
        privacy = decide_config_privacy(config.privacy)
    except (ConfigError, PseudonymKeyError, PrivacyConfigError) as error:
        _fail(EX_CONFIG, str(error))
    return config, privacy


@click.group(
    epilog="Settings: a TOML file (--config or XLAPULSE_COLLECTOR_CONFIG; 'xlapulse "
    "collector sample-config' prints every key with its default), overridden by "
    "XLAPULSE_COLLECTOR_<TABLE>__<KEY> environment variables, e.g. "
    "XLAPULSE_COLLECTOR_KAFKA__BOOTSTRAP_SERVERS; XLAPULSE_PSEUDONYM_KEY is "
    "privacy.pseudonym_key."
)
def collector() -> None:
    """The workplace collector: OS signals -> pseudonymized events -> Kafka."""


@collector.command()
@config_option
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
def run(config_path: Path | None, verbose: bool) -> None:
    """Run as a service until SIGTERM/SIGINT; flush the spool on the way out."""
    from xlapulse.collectors.agent.handoff import exec_runtime, runtime_document

    # nothing logs before the hand-over; the runtime sets up the service's logging
    exec_runtime(runtime_document(*_load(config_path)), verbose)


@collector.command()
@config_option
def once(config_path: Path | None) -> None:
    """Collect one round from every source and print the events; send nothing."""
    from xlapulse.collectors.agent.daemon import identity_from, source_from
    from xlapulse.collectors.agent.handoff import runtime_document
    from xlapulse.collectors.contract.wire import encode

    config, privacy = _load(config_path)
    document = runtime_document(config, privacy)
    identity = identity_from(document["identity"])
    for name in document["sources"]:
        try:
            collected = source_from(document, name, identity).collect(None)
        except Exception as error:  # one failing source never hides the others' output
            click.echo(f"{name}: failed: {error}", err=True)
            continue
        kept = [e for e in map(privacy.apply, collected.events) if e is not None]
        for event in kept:
            click.echo(encode(event).decode())
        click.echo(
            f"{name}: {len(kept)} events, {collected.skipped_records} records skipped, "
            f"unparsed lines: {collected.unparsed.summary()}",
            err=True,
        )
        for reason, excerpt in sorted(collected.unparsed.excerpts.items()):
            click.echo(f"{name}: unparsed ({reason}), e.g.: {excerpt}", err=True)


@collector.command()
@config_option
def check(config_path: Path | None) -> None:
    """Validate the configuration, the spool, every source and the Kafka connection."""
    from xlapulse.collectors.agent.checks import check_kafka, check_sources, check_spool

    logging.getLogger("kafka").setLevel(logging.CRITICAL)  # check_kafka reports in one line
    config, _ = _load(config_path)
    click.echo("configuration: ok")
    spool_problem = check_spool(config)
    if spool_problem:
        _fail(EX_CANTCREAT, spool_problem)
    click.echo(f"spool: ok ({config.spool.resolved_directory()})")
    failed_sources = 0
    for name, (problem, warnings) in check_sources(config).items():
        click.echo(f"source {name}: {problem or 'ok'}")
        for warning in warnings:
            click.echo(f"source {name}: warning: {warning}")
        failed_sources += problem is not None
    kafka_problem = check_kafka(config)
    click.echo(f"kafka {config.kafka.bootstrap_servers}: {kafka_problem or 'ok'}")
    if kafka_problem:
        sys.exit(EX_UNAVAILABLE)
    if failed_sources:
        sys.exit(1)


@collector.command()
@config_option
@click.option(
    "--language",
    type=click.Choice(["en", "nl"]),
    default="en",
    show_default=True,
    help="English, or Dutch (Nederlands).",
)
def manifest(config_path: Path | None, language: str) -> None:
    """Print, in plain language, what this collector sends, how often, whom to ask and how
    long it is kept."""
    from xlapulse.collectors.agent.manifest import render_manifest

    click.echo(render_manifest(*_load(config_path), language=language), nl=False)


@collector.command("sample-config")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write the sample to this file instead of printing it.",
)
@click.option("--check", "check_only", is_flag=True, help="Fail if the committed sample drifted.")
@click.option(
    "--update-committed",
    is_flag=True,
    help="Developers: rewrite the committed sample and each source's sample.toml in a "
    "source checkout.",
)
def sample_config(output: Path | None, check_only: bool, update_committed: bool) -> None:
    """Print the commented sample configuration (every key with its default), or write it
    to --output; generated from the configuration models."""
    from xlapulse.collectors.agent.sample_config import (
        NotASourceCheckout,
        render_sample_config,
        stale_files,
        update_committed_files,
    )

    if check_only:
        stale = stale_files()
        if stale:
            raise click.ClickException(f"out of date: {', '.join(map(str, stale))}")
        click.echo("sample config up to date")
        return
    if update_committed:
        try:
            click.echo(update_committed_files())
        except NotASourceCheckout as error:
            raise click.ClickException(str(error)) from None
        return
    if output is None:
        click.echo(render_sample_config(), nl=False)
        return
    try:
        output.write_text(render_sample_config())
    except OSError as error:
        _fail(EX_CANTCREAT, f"cannot write {output}: {error.strerror or error}")
    click.echo(output)
