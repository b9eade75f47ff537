"""Windows service wrapper of the xlapulse workplace collector.

Reads ``service.json`` next to this file (written by install-collector.ps1: absolute
paths of the venv's ``xlapulse.exe``, the config file and the key file) and the key
file, which only SYSTEM and Administrators may read. Runs ``xlapulse collector run
--config <config>`` as a child process with ``XLAPULSE_PSEUDONYM_KEY`` from that file,
so the key never sits in the registry or on a command line. On a stop request it asks
the child to stop (CTRL_BREAK on Windows, SIGTERM elsewhere), waits up to 30 s (the
collector flushes its spool), then kills it. A child that exits on its own makes the
service fail, so the Service Control Manager's recovery actions restart it.

The Windows glue (pywin32's ``ServiceFramework``) is at the bottom and imported only on
Windows; :class:`CollectorProcess` and :func:`load_service_settings` run anywhere and
are tested on Linux (tests/unit/test_windows_service.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

SERVICE_NAME = "xlapulse-collector"
STOP_TIMEOUT_S = 30.0
KEY_ENV = "XLAPULSE_PSEUDONYM_KEY"


class ServiceSettingsError(Exception):
    """service.json or the key file is missing or wrong; the message names the file."""


@dataclass(frozen=True)
class ServiceSettings:
    """Absolute paths the installer wrote into service.json."""

    executable: str
    config: str
    key_file: str

    def command(self) -> list[str]:
        return [self.executable, "collector", "run", "--config", self.config]


def _absolute(path: str) -> bool:
    return PureWindowsPath(path).is_absolute() or Path(path).is_absolute()


def load_service_settings(path: Path) -> ServiceSettings:
    """Read and check service.json: three absolute paths."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ServiceSettingsError(f"{path}: {error}") from error
    missing = [key for key in ("executable", "config", "key_file") if key not in raw]
    if missing:
        raise ServiceSettingsError(f"{path}: missing {', '.join(missing)}")
    settings = ServiceSettings(raw["executable"], raw["config"], raw["key_file"])
    for key, value in vars(settings).items():
        if not isinstance(value, str) or not _absolute(value):
            raise ServiceSettingsError(f"{path}: {key} must be an absolute path, not {value!r}")
    return settings


def read_key(path: str) -> str:
    """The pseudonymization key from its file (one line, at least 16 bytes)."""
    try:
        key = Path(path).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ServiceSettingsError(f"{path}: {error}") from error
    if len(key.encode()) < 16:
        raise ServiceSettingsError(f"{path}: the key must be at least 16 bytes")
    return key


class CollectorProcess:
    """The collector as a child process, started and stopped by the service."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._child: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        environment = {**os.environ, KEY_ENV: read_key(self.settings.key_file)}
        flags = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
        self._child = subprocess.Popen(
            self.settings.command(), env=environment, creationflags=flags
        )

    def wait(self, timeout_s: float | None = None) -> int | None:
        """The child's exit code, or None if it still runs after ``timeout_s``."""
        assert self._child is not None, "not started"
        try:
            return self._child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> int:
        """Ask the child to stop, wait, kill it after ``timeout_s``; its exit code."""
        assert self._child is not None, "not started"
        if self._child.poll() is None:
            polite = getattr(signal, "CTRL_BREAK_EVENT", signal.SIGTERM)
            self._child.send_signal(polite)
            if self.wait(timeout_s) is None:
                self._child.kill()
        return self._child.wait()


if sys.platform == "win32":  # pragma: no cover - needs Windows and pywin32
    import servicemanager
    import win32event
    import win32service
    import win32serviceutil

    class XlapulseCollectorService(win32serviceutil.ServiceFramework):
        _svc_name_ = SERVICE_NAME
        _svc_display_name_ = "xlapulse workplace collector"
        _svc_description_ = "Experience telemetry of this PC, pseudonymized, to Kafka."

        def __init__(self, args: list[str]) -> None:
            super().__init__(args)
            self.stop_event = win32event.CreateEvent(None, 0, 0, None)
            settings = load_service_settings(Path(__file__).with_name("service.json"))
            self.collector = CollectorProcess(settings)

        def SvcStop(self) -> None:
            self.ReportServiceStatus(win32service.SERVICE_STOP_PENDING)
            win32event.SetEvent(self.stop_event)

        def SvcDoRun(self) -> None:
            self.collector.start()
            while win32event.WaitForSingleObject(self.stop_event, 1000) != 0:
                code = self.collector.wait(0)
                if code is not None:  # died: fail, so the recovery actions restart it
                    servicemanager.LogErrorMsg(f"{SERVICE_NAME}: collector exited with {code}")
                    sys.exit(code or 1)
            self.collector.stop()

    if __name__ == "__main__":
        win32serviceutil.HandleCommandLine(XlapulseCollectorService)
