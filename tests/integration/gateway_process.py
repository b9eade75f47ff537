"""``xlapulse gateway`` as a subprocess for the integration and fault tests: start it with
an environment, post webhooks to it, read its status, stop it. Reads and writes only
its HTTP port and its log file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


class GatewayProcess:
    """``xlapulse gateway`` in a subprocess; its log goes to a file."""

    def __init__(self, env: dict[str, str], log_path: Path, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self._process = subprocess.Popen(
            [sys.executable, "-m", "xlapulse.collectors.cli", "gateway"],
            env={**os.environ, **env},
            stdout=log_path.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def post(
        self, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        request = urllib.request.Request(
            self.url + path, data=body, headers={"Content-Type": "application/json", **headers}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), json.loads(error.read() or b"null")

    def status(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
