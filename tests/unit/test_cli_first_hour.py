"""A newcomer's first hour with the ``xlapulse`` command (issue 13, item 5): version,
settings in --help, and one clear line with an exit code for what goes wrong."""

from __future__ import annotations

from importlib.metadata import version

from click.testing import CliRunner

from xlapulse.collectors.cli import main
from xlapulse.collectors.gateway.settings import GatewaySettings
from xlapulse.collectors.settings import XlapulseSettings


def test_version_prints_the_installed_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"xlapulse {version('xlapulse')}\n"


def test_help_lists_every_environment_setting_with_its_default() -> None:
    shown = CliRunner().invoke(main, ["--help"], terminal_width=200).output
    for name in XlapulseSettings.model_fields:
        assert f"XLAPULSE_{name.upper()} " in shown
    assert "XLAPULSE_KAFKA_BOOTSTRAP" in shown and "[127.0.0.1:9092]" in shown
    assert "XLAPULSE_TOPIC_PARTITIONS" in shown and "[6]" in shown
    gateway = CliRunner().invoke(main, ["gateway", "--help"], terminal_width=200).output
    for name in set(GatewaySettings.model_fields) - set(XlapulseSettings.model_fields):
        assert f"XLAPULSE_{name.upper()} " in gateway
    assert "XLAPULSE_COLLECTOR_" in CliRunner().invoke(main, ["collector", "--help"]).output


def test_help_shows_no_secret_default(monkeypatch) -> None:
    monkeypatch.setenv("XLAPULSE_INFLUX_PASSWORD", "s3cret-value")
    shown = CliRunner().invoke(main, ["--help"], terminal_width=200).output
    assert "s3cret-value" not in shown
    password_line = next(line for line in shown.splitlines() if "INFLUX_PASSWORD" in line)
    assert "[" not in password_line
