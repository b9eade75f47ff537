"""The ``xlapulse`` command line: one entry point, one subcommand per job.

Holds the ``main`` group (``--version``, ``-v``, the settings epilog) and registers the
subcommands, each defined with its kind: ``cli_simulation.py`` (demo, simulate),
``cli_evaluation.py`` (backtest, evaluate, evaluate-dips), ``cli_servers.py`` (topics,
worker, gateway, notify), ``cli_contract.py`` (contract export), ``agent/commands.py``
(collector) and ``dashboards/cli.py`` (dashboards). Reads the ``XLAPULSE_*`` settings
models for the epilog; writes logging to stderr.

Subcommands import their heavy dependencies lazily, so the collector install
(no Faust, no Grafana libraries) can run every subcommand it ships.
"""

from __future__ import annotations

import logging
import sys

import click

from xlapulse.collectors import cli_contract, cli_evaluation, cli_servers, cli_simulation
from xlapulse.collectors.agent import commands as collector_commands
from xlapulse.collectors.settings import XlapulseSettings
from xlapulse.collectors.settings_help import settings_epilog, settings_lines

try:  # the collector's self-contained build ships without the dashboards package
    from xlapulse.dashboards import cli as dashboards_commands
except ImportError:
    dashboards_commands = None


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


for command in (
    cli_simulation.demo,
    cli_simulation.simulate,
    cli_evaluation.backtest,
    cli_evaluation.evaluate,
    cli_evaluation.evaluate_dips,
    cli_servers.topics,
    cli_servers.worker,
    cli_servers.gateway,
    cli_servers.notify,
    cli_contract.contract,
    collector_commands.collector,
):
    main.add_command(command)
if dashboards_commands is not None:
    main.add_command(dashboards_commands.dashboards)

if __name__ == "__main__":
    main()
