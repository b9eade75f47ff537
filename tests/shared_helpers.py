"""Helpers the unit and integration tests share: a free port, polling, the collector CLI.

Reads and writes nothing itself. :func:`run_collector` runs ``xlapulse collector ...``
in a subprocess (``COLLECTOR_CLI``) with :func:`collector_env`: this process's
environment with the pseudonymization key a test chooses, or none.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

COLLECTOR_CLI = [sys.executable, "-m", "xlapulse.collectors.cli", "collector"]
KEY_ENV = "XLAPULSE_PSEUDONYM_KEY"


def free_port() -> int:
    """A local TCP port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    condition: Callable[[], Any], timeout_s: float, what: str, interval_s: float = 0.5
) -> Any:
    """Poll ``condition`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")


def collector_env(pseudonym_key: str | None) -> dict[str, str]:
    """This environment with ``XLAPULSE_PSEUDONYM_KEY`` set to ``pseudonym_key`` (None: unset)."""
    environment = {name: value for name, value in os.environ.items() if name != KEY_ENV}
    if pseudonym_key is not None:
        environment[KEY_ENV] = pseudonym_key
    return environment


def run_collector(
    *args: str, pseudonym_key: str | None, timeout_s: float = 60
) -> subprocess.CompletedProcess[str]:
    """``xlapulse collector <args>`` to its end, its output captured as text."""
    return subprocess.run(
        [*COLLECTOR_CLI, *args],
        env=collector_env(pseudonym_key),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
