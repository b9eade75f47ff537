"""One clear line and an exit code for what stops a server command at start.

``simulate``, ``topics``, ``worker``, ``backtest`` and ``gateway`` call these, as the
collector commands do (``agent/commands.py``): no traceback for a Kafka that is down, a
missing pseudonymization key or a bad ``XLAPULSE_*`` value (``-v`` logs the traceback at
DEBUG level). Exit codes (sysexits.h): 65 (EX_DATAERR) the input gave nothing to show,
69 (EX_UNAVAILABLE) Kafka cannot be reached,
71 (EX_OSERR) the gateway cannot listen on its address, 78 (EX_CONFIG) a setting is wrong
or missing. Reads the settings models and the network; writes stderr.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

import click
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from xlapulse.collectors.privacy import PseudonymKeyError

EX_DATAERR = 65
EX_UNAVAILABLE = 69
EX_OSERR = 71
EX_CONFIG = 78
#: How long a Kafka bootstrap address may take to accept a TCP connection.
CONNECT_TIMEOUT_S = 3.0

log = logging.getLogger(__name__)
SettingsModel = TypeVar("SettingsModel", bound=BaseSettings)


class CommandFailed(click.ClickException):
    """Printed as ``xlapulse <command>: <message>``; exits with ``exit_code``."""

    def __init__(self, command: str, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.command = command
        self.exit_code = exit_code

    def show(self, file: object = None) -> None:
        click.echo(f"xlapulse {self.command}: {self.message}", err=True)


def load_settings(command: str, model: type[SettingsModel]) -> SettingsModel:
    """The settings from the environment, or one line naming each bad variable."""
    try:
        return model()
    except ValidationError as error:
        prefix = model.model_config.get("env_prefix", "")
        problems = "; ".join(
            f"{prefix}{'.'.join(map(str, item['loc'])).upper()}: {item['msg']}"
            for item in error.errors()
        )
        raise CommandFailed(command, f"bad setting: {problems}", EX_CONFIG) from None


def _address(entry: str) -> tuple[str, int]:
    host, _, port = entry.strip().rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(entry)
    return host.strip("[]"), int(port)


def require_kafka(command: str, bootstrap: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Fail at once, in one line, when no bootstrap address accepts a TCP connection
    (the Kafka clients would otherwise retry for 30 s and end in a traceback)."""
    reasons = []
    for entry in bootstrap.split(","):
        try:
            address = _address(entry)
        except ValueError:
            raise CommandFailed(
                command,
                f"bad setting: XLAPULSE_KAFKA_BOOTSTRAP: {entry.strip()!r} is not host:port",
                EX_CONFIG,
            ) from None
        try:
            socket.create_connection(address, timeout=timeout_s).close()
            return
        except OSError as error:
            reasons.append(f"{entry.strip()}: {error.strerror or error}")
    raise CommandFailed(
        command,
        f"Kafka is not reachable ({'; '.join(reasons)}); start it (deploy/local/services "
        "start) or point XLAPULSE_KAFKA_BOOTSTRAP at it",
        EX_UNAVAILABLE,
    )


def require_free_port(command: str, host: str, port: int) -> None:
    """Fail at once, in one line, when the server could not listen on ``host:port``
    (a server that fails to bind later would first start its Kafka connection)."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        raise CommandFailed(
            command, f"cannot listen on {host}:{port}: {error.strerror or error}", EX_OSERR
        ) from None


@contextmanager
def one_line_errors(command: str, bootstrap: str = "") -> Iterator[None]:
    """Turn a missing key, a Kafka client error or a socket error into one line."""
    from kafka.errors import KafkaError

    try:
        yield
    except PseudonymKeyError as error:
        log.debug("%s failed", command, exc_info=True)
        raise CommandFailed(command, str(error), EX_CONFIG) from None
    except KafkaError as error:
        log.debug("%s failed", command, exc_info=True)
        name = type(error).__name__
        text = str(error).removeprefix(f"{name}: ")  # kafka-python repeats the class name
        message = f"Kafka at {bootstrap}: {name}: {text}"
        raise CommandFailed(command, message, EX_UNAVAILABLE) from None
    except OSError as error:
        log.debug("%s failed", command, exc_info=True)
        raise CommandFailed(command, f"{type(error).__name__}: {error}", EX_OSERR) from None
