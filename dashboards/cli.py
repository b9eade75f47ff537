"""``xlapulse dashboards``: write the generated dashboards and alert rules.

Imports the Grafana libraries only when a command runs, so the collector install
(without the 'dashboards' extra) still loads the ``xlapulse`` command.
Writes into the folder or file given, or to stdout; never into the installed package.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

OUTPUT_DIR = click.Path(file_okay=False, path_type=Path)


def _require_extra() -> None:
    try:
        import grafana_foundation_sdk  # noqa: F401
    except ImportError as error:
        raise click.ClickException(
            "the Grafana libraries are missing: pip install 'xlapulse[dashboards]'"
        ) from error


@click.group()
def dashboards() -> None:
    """Grafana dashboards and alert rules as code (needs the 'dashboards' extra)."""


@dashboards.command("build")
@click.option(
    "--output",
    type=OUTPUT_DIR,
    help="Folder to write <uid>.json into (created if missing). Default: print to stdout.",
)
@click.option("--uid", "only_uid", help="Print only this dashboard, e.g. xlapulse-overview.")
def build(output: Path | None, only_uid: str | None) -> None:
    """Render every dashboard as Grafana 11.6 JSON: into a folder, or to stdout (a JSON
    list of dashboards, or one dashboard with --uid)."""
    _require_extra()
    from xlapulse.dashboards.main import render_dashboards, write_dashboards

    if output is not None:
        if only_uid is not None:
            raise click.UsageError("--uid prints one dashboard; leave out --output")
        for path in write_dashboards(output):
            click.echo(path)
        return
    rendered = render_dashboards()
    if only_uid is not None:
        text = rendered.get(f"{only_uid}.json")
        if text is None:
            known = ", ".join(name.removesuffix(".json") for name in sorted(rendered))
            raise click.ClickException(f"no dashboard with uid {only_uid!r}; known: {known}")
        click.echo(text, nl=False)
        return
    documents = [json.loads(text) for _, text in sorted(rendered.items())]
    click.echo(json.dumps(documents, indent=2, sort_keys=True))


@dashboards.command("alert-rules")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write the Grafana alerting provisioning YAML to. Default: stdout.",
)
def alert_rules(output: Path | None) -> None:
    """Render the Grafana alert rules, contact point and notification policy as a
    file-provisioning YAML document."""
    _require_extra()
    from xlapulse.dashboards.alerts import render_alerting

    text = render_alerting()
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text)
    click.echo(output)


@dashboards.command("push")
@click.option(
    "--url",
    required=True,
    envvar="XLAPULSE_GRAFANA_URL",
    show_envvar=True,
    help="Grafana's base URL, e.g. http://grafana.example:3000.",
)
@click.option(
    "--token",
    required=True,
    envvar="XLAPULSE_GRAFANA_TOKEN",
    show_envvar=True,
    help="A Grafana service-account token (Editor; Admin to create the data source).",
)
@click.option(
    "--influx-url",
    help="Create or update the data source xlapulse-influxdb with "
    "this InfluxDB URL. Without it, the data source must exist.",
)
@click.option(
    "--database",
    default="xlapulse",
    show_default=True,
    help="The InfluxDB database the engine writes (with --influx-url).",
)
def push_command(url: str, token: str, influx_url: str | None, database: str) -> None:
    """Create the folder 'xlapulse' (and the data source) when missing and write every
    dashboard into it; running it again changes nothing but the dashboards' versions."""
    _require_extra()
    from xlapulse.dashboards.push import PushError, connect, push

    try:
        report = push(connect(url, token), influx_url, database)
    except PushError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Grafana {report.grafana_version} at {url}")
    for created in report.created:
        click.echo(f"created {created}")
    click.echo(f"wrote {len(report.dashboards)} dashboards: {', '.join(report.dashboards)}")
