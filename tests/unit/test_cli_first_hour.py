"""A newcomer's first hour with the ``xlapulse`` command (issue 13, item 5): version,
settings in --help, and one clear line with an exit code for what goes wrong."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from importlib.metadata import version

import pytest
from click.testing import CliRunner

from xlapulse.collectors.cli import main
from xlapulse.collectors.gateway.settings import GatewaySettings
from xlapulse.collectors.settings import XlapulseSettings
from xlapulse.streams.settings import EngineSettings

#: A workday: simulate notes a weekend on stderr, which would be a second line.
MONDAY = "2026-11-23"


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
    for command, settings in (("gateway", GatewaySettings), ("worker", EngineSettings)):
        own = CliRunner().invoke(main, [command, "--help"], terminal_width=200).output
        for name in set(settings.model_fields) - set(XlapulseSettings.model_fields):
            assert f"XLAPULSE_{name.upper()} " in own, (command, name)
    assert "XLAPULSE_COLLECTOR_" in CliRunner().invoke(main, ["collector", "--help"]).output


def test_help_shows_no_secret_default(monkeypatch) -> None:
    monkeypatch.setenv("XLAPULSE_INFLUX_PASSWORD", "s3cret-value")
    shown = CliRunner().invoke(main, ["worker", "--help"], terminal_width=200).output
    assert "s3cret-value" not in shown
    password_line = next(line for line in shown.splitlines() if "INFLUX_PASSWORD" in line)
    assert "[" not in password_line


def _closed_port() -> int:
    """A local port nothing listens on (bound once, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _one_line(result, command: str) -> str:
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"xlapulse {command}: ")
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize(
    "arguments",
    [["simulate", "--endpoints", "5", "--first-day", MONDAY], ["topics"], ["worker"], ["backtest"]],
)
def test_kafka_down_gives_one_line_and_exit_69(monkeypatch, arguments) -> None:
    port = _closed_port()
    monkeypatch.setenv("XLAPULSE_KAFKA_BOOTSTRAP", f"127.0.0.1:{port}")
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 69
    line = _one_line(result, arguments[0])
    assert f"Kafka is not reachable (127.0.0.1:{port}: Connection refused)" in line
    assert "XLAPULSE_KAFKA_BOOTSTRAP" in line


def test_the_real_process_prints_no_traceback_when_kafka_is_down() -> None:
    environment = {**os.environ, "XLAPULSE_KAFKA_BOOTSTRAP": f"127.0.0.1:{_closed_port()}"}
    done = subprocess.run(
        [sys.executable, "-m", "xlapulse.collectors.cli", "simulate", "--first-day", MONDAY],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 69
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr


def test_a_kafka_client_error_after_connecting_is_one_line(monkeypatch) -> None:
    from kafka.errors import KafkaTimeoutError

    from xlapulse.collectors.simulator import delivery

    with socket.socket() as listener:  # something listens, but it is not Kafka
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        bootstrap = f"127.0.0.1:{listener.getsockname()[1]}"
        monkeypatch.setenv("XLAPULSE_KAFKA_BOOTSTRAP", bootstrap)

        def no_broker(events, servers):
            raise KafkaTimeoutError(f"Unable to bootstrap from {servers}")

        monkeypatch.setattr(delivery, "send_to_kafka", no_broker)
        result = CliRunner().invoke(main, ["simulate", "--first-day", MONDAY])
    assert result.exit_code == 69
    line = _one_line(result, "simulate")
    assert line.endswith(
        f"Kafka at {bootstrap}: KafkaTimeoutError: Unable to bootstrap from {bootstrap}"
    )


def test_gateway_without_a_key_or_port_gives_one_line(monkeypatch) -> None:
    monkeypatch.delenv("XLAPULSE_PSEUDONYM_KEY", raising=False)
    missing = CliRunner().invoke(main, ["gateway"])
    assert missing.exit_code == 78
    assert "set XLAPULSE_PSEUDONYM_KEY" in _one_line(missing, "gateway")
    monkeypatch.setenv("XLAPULSE_PSEUDONYM_KEY", "a-long-enough-test-key")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("XLAPULSE_GATEWAY_PORT", str(taken.getsockname()[1]))
        busy = CliRunner().invoke(main, ["gateway"])
    assert busy.exit_code == 71
    assert "cannot listen on 127.0.0.1:" in _one_line(busy, "gateway")


def test_a_bad_setting_names_its_variable(monkeypatch) -> None:
    monkeypatch.setenv("XLAPULSE_TOPIC_PARTITIONS", "0")
    result = CliRunner().invoke(main, ["topics"])
    assert result.exit_code == 78
    assert "XLAPULSE_TOPIC_PARTITIONS: Input should be greater than or equal to 1" in _one_line(
        result, "topics"
    )
