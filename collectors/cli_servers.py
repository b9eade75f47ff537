"""``xlapulse topics``, ``worker``, ``gateway`` and ``notify``: the platform's servers.

``topics`` creates the contract's Kafka topics; ``worker`` runs a Faust engine worker
(reads the input topics, writes InfluxDB); ``gateway`` serves the ITSM webhooks and
survey answers over HTTP and writes them to Kafka (``--export-openapi [PATH]`` prints its
OpenAPI document or writes it to PATH instead); ``notify`` reads its YAML file, the
notices topic and the directory export and sends e-mail or chat messages
(``notifier/run.py``). Settings come
from ``XLAPULSE_*`` environment variables; what stops a command at start is one line
on stderr and a sysexits code (``cli_errors.py``).
"""

from __future__ import annotations

from pathlib import Path

import click

from xlapulse.collectors.cli_errors import (
    EX_CONFIG,
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

try:  # the self-contained collector (deploy/packages/build_frozen.py) has no xlapulse.streams
    from xlapulse.streams.settings import EngineSettings
except ImportError:  # only in that build, where the worker cannot run anyway
    WORKER_EPILOG = "The worker is not part of this build (the self-contained collector)."
else:
    WORKER_EPILOG = settings_epilog(
        "Settings of the worker, besides those 'xlapulse --help' lists (environment "
        "variables, default in brackets):",
        settings_lines(EngineSettings, skip=XlapulseSettings),
    )


@click.command()
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


@click.command(epilog=WORKER_EPILOG)
def worker() -> None:
    """Run a Faust engine worker (needs the 'engine' extra)."""
    try:
        from xlapulse.streams.settings import EngineSettings
        from xlapulse.streams.worker import run_worker
    except ImportError as error:
        message = f"{error}; the worker needs the 'engine' extra: pip install 'xlapulse[engine]'"
        raise CommandFailed("worker", message, EX_CONFIG) from None
    settings = load_settings("worker", EngineSettings)
    require_kafka("worker", settings.kafka_bootstrap)
    run_worker(settings)


@click.command(
    epilog=settings_epilog(
        "Settings of the gateway, besides those 'xlapulse --help' lists (environment "
        "variables, default in brackets):",
        settings_lines(GatewaySettings, skip=XlapulseSettings),
    )
)
@click.option(
    "--export-openapi",
    "openapi_to",
    is_flag=False,
    flag_value="-",
    default=None,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Print the gateway's OpenAPI document and exit; with a path, write it there "
    "(collectors/gateway/openapi.json is the committed copy).",
)
def gateway(openapi_to: str | None) -> None:
    """Run the ITSM and survey gateway (webhooks and survey answers to Kafka)."""
    from xlapulse.collectors.gateway.openapi import render_openapi_text
    from xlapulse.collectors.gateway.server import run_gateway

    if openapi_to is not None:
        text = render_openapi_text()
        if openapi_to == "-":
            click.echo(text, nl=False)
        else:
            Path(openapi_to).write_text(text)
            click.echo(openapi_to)
        return
    settings = load_settings("gateway", GatewaySettings)
    with one_line_errors("gateway"):
        Pseudonymizer(settings.pseudonym_key.get_secret_value().encode())
    require_free_port("gateway", settings.gateway_host, settings.gateway_port)
    with one_line_errors("gateway", settings.kafka_bootstrap):
        run_gateway(settings)


@click.command()
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
