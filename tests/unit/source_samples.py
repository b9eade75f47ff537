"""Every event source run on the captured OS samples of tests/data, one round each.

Reads: tests/data/os/{linux,macos,windows} and tests/data/graph. Writes: nothing;
:func:`sample_events` returns the events of each source as the source returned them.
tests/data/golden/<source>.ndjson holds what the pydantic event models produced on the
same samples (made by running this module against main's pydantic sources, last before
the merge of branch collector-lean); the wire equivalence test compares the two. They are
never remade from the current sources; tests/data/golden/README.md says how a deliberate
contract change is written into them.
The source tests reuse its fakes of the OS tools: :class:`CapturedWevtutil` and
:func:`captured_systemd_analyze`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tests.unit.helpers import IDENTITY, runtime_settings
from xlapulse.collectors.sources.base import run_command
from xlapulse.collectors.sources.cups_error_log.settings import CupsErrorLogSettings
from xlapulse.collectors.sources.cups_error_log.source import CupsErrorLogSource
from xlapulse.collectors.sources.graph_call_records.settings import GraphCallRecordsSettings
from xlapulse.collectors.sources.graph_call_records.source import GraphCallRecordsSource
from xlapulse.collectors.sources.journald.settings import JournaldSettings
from xlapulse.collectors.sources.journald.source import JournaldSource
from xlapulse.collectors.sources.macos_unified_log.settings import MacosUnifiedLogSettings
from xlapulse.collectors.sources.macos_unified_log.source import MacosUnifiedLogSource
from xlapulse.collectors.sources.systemd_boot.settings import SystemdBootSettings
from xlapulse.collectors.sources.systemd_boot.source import SystemdBootSource
from xlapulse.collectors.sources.windows_eventlog.mapper import (
    DEFENDER,
    DIAGNOSTICS,
    GROUP_POLICY,
    PRINT_ADMIN,
    PRINT_OPERATIONAL,
)
from xlapulse.collectors.sources.windows_eventlog.settings import WindowsEventLogSettings
from xlapulse.collectors.sources.windows_eventlog.source import WindowsEventLogSource

DATA = Path(__file__).resolve().parents[1] / "data"
GOLDEN = DATA / "golden"
LINUX = DATA / "os" / "linux"
WINDOWS = DATA / "os" / "windows"
#: The captured sample file of each Windows event log channel (tests/data/os/windows).
WINDOWS_SAMPLES = {
    DIAGNOSTICS: "diagnostics-performance.xml",
    GROUP_POLICY: "grouppolicy-operational.xml",
    DEFENDER: "defender-operational.xml",
    "Application": "application.xml",
    "System": "system.xml",
    PRINT_ADMIN: "printservice-admin.xml",
    PRINT_OPERATIONAL: "printservice-operational.xml",
}
_SYSTEMD_ANALYZE = {"time": "systemd-analyze-time.txt", "blame": "systemd-analyze-blame.txt"}


class CapturedWevtutil:
    """Answers each ``wevtutil qe <channel>`` with a sample file; records the queries."""

    def __init__(self, samples: dict[str, str]) -> None:
        self.samples = samples
        self.queries: list[list[str]] = []

    def __call__(self, argv, timeout_s):
        self.queries.append(list(argv))
        name = self.samples.get(argv[2])
        return (WINDOWS / name).read_text() if name else "<Events></Events>"


def captured_systemd_analyze(argv, timeout_s) -> str:
    """Answers ``systemd-analyze time`` and ``systemd-analyze blame`` with the captured output."""
    return (LINUX / _SYSTEMD_ANALYZE[argv[1]]).read_text()


def _systemd_boot() -> list:
    settings = runtime_settings(SystemdBootSettings(proc=str(LINUX / "proc")))
    return SystemdBootSource(settings, IDENTITY, captured_systemd_analyze).collect(None).events


def _journald() -> list:
    text = (LINUX / "journal.json").read_text()
    source = JournaldSource(
        runtime_settings(JournaldSettings(lpstat="")), IDENTITY, lambda argv, timeout_s: text
    )
    return source.collect(None).events


def _cups_error_log() -> list:
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "error_log"
        shutil.copy(LINUX / "cups-error_log", log)
        settings = runtime_settings(CupsErrorLogSettings(path=str(log), lpstat=""))
        source = CupsErrorLogSource(settings, IDENTITY, run_command)
        return source.collect(None).events


def _macos_unified_log() -> list:
    text = (DATA / "os/macos/log-show.ndjson").read_text()
    source = MacosUnifiedLogSource(
        runtime_settings(MacosUnifiedLogSettings(lpstat="")), IDENTITY, lambda argv, timeout_s: text
    )
    return source.collect(None).events


def _graph_call_records() -> list:
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(DATA / "graph/callrecord-peer-to-peer.json", Path(folder) / "call-1.json")
        settings = runtime_settings(GraphCallRecordsSettings(enabled=True, folder=folder))
        return GraphCallRecordsSource(settings, IDENTITY).collect(None).events


def _windows_eventlog() -> list:
    runner = CapturedWevtutil(WINDOWS_SAMPLES)
    return (
        WindowsEventLogSource(runtime_settings(WindowsEventLogSettings()), IDENTITY, runner)
        .collect(None)
        .events
    )


SAMPLE_ROUNDS = {
    "systemd_boot": _systemd_boot,
    "journald": _journald,
    "cups_error_log": _cups_error_log,
    "macos_unified_log": _macos_unified_log,
    "graph_call_records": _graph_call_records,
    "windows_eventlog": _windows_eventlog,
}


def sample_events(source: str) -> list:
    """One round of ``source`` on its captured samples."""
    return SAMPLE_ROUNDS[source]()
