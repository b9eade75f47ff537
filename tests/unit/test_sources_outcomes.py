"""The table of samples per source and variant, and what each source makes of them.

Reads: every OS sample of tests/data (listed in :data:`SAMPLES` with how it was made).
One round each, except WireGuard, whose captured rounds are read in order (its outcomes
come from comparing rounds). Writes: the section between the markers of
collectors/sources/README.md, and each source's example output in its folder's
README.md, with ``python -m tests.unit.test_sources_outcomes``; the tests fail when the
committed text differs from what the sources now produce (then rerun that command and
commit), or when a source's folder lacks its code, settings, README or sample.toml.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from tests.unit.helpers import IDENTITY, runtime_settings
from tests.unit.ioreg_captures import day_outputs, run_rounds
from tests.unit.ringlog_writer import RingWriter, exported_lines
from tests.unit.source_samples import (
    DATA,
    LINUX,
    WINDOWS,
    WINDOWS_SAMPLES,
    CapturedWevtutil,
    captured_systemd_analyze,
)
from tests.unit.wire_events import contract_events
from xlapulse.collectors.agent.sample_config import stale_files
from xlapulse.collectors.contract.wire import encode
from xlapulse.collectors.sources import SOURCES
from xlapulse.collectors.sources.base import Collected
from xlapulse.collectors.sources.cisco_secure_client.settings import CiscoSecureClientSettings
from xlapulse.collectors.sources.cisco_secure_client.source import CiscoSecureClientSource
from xlapulse.collectors.sources.cups_error_log.settings import CupsErrorLogSettings
from xlapulse.collectors.sources.cups_error_log.source import CupsErrorLogSource
from xlapulse.collectors.sources.forticlient.settings import FortiClientSettings
from xlapulse.collectors.sources.forticlient.source import FortiClientSource
from xlapulse.collectors.sources.globalprotect.settings import GlobalProtectSettings
from xlapulse.collectors.sources.globalprotect.source import GlobalProtectSource
from xlapulse.collectors.sources.graph_call_records.settings import GraphCallRecordsSettings
from xlapulse.collectors.sources.graph_call_records.source import GraphCallRecordsSource
from xlapulse.collectors.sources.journald.settings import JournaldSettings
from xlapulse.collectors.sources.journald.source import JournaldSource
from xlapulse.collectors.sources.macos_unified_log.settings import MacosUnifiedLogSettings
from xlapulse.collectors.sources.macos_unified_log.source import MacosUnifiedLogSource
from xlapulse.collectors.sources.systemd_boot.settings import SystemdBootSettings
from xlapulse.collectors.sources.systemd_boot.source import SystemdBootSource
from xlapulse.collectors.sources.windows_eventlog.mapper import PRINT_OPERATIONAL, SECURITY
from xlapulse.collectors.sources.windows_eventlog.settings import WindowsEventLogSettings
from xlapulse.collectors.sources.windows_eventlog.source import WindowsEventLogSource
from xlapulse.collectors.sources.wireguard.log_source import WireguardLogSource
from xlapulse.collectors.sources.wireguard.settings import WireguardSettings
from xlapulse.collectors.sources.wireguard.source import WireguardSource
from xlapulse.collectors.sources.zoom_qos.settings import ZoomQosSettings
from xlapulse.collectors.sources.zoom_qos.source import ZoomQosSource

SOURCES_FOLDER = Path(__file__).resolve().parents[2] / "collectors" / "sources"
README = SOURCES_FOLDER / "README.md"
BEGIN, END = "<!-- samples table: begin -->", "<!-- samples table: end -->"
EXAMPLE_BEGIN, EXAMPLE_END = "<!-- example output: begin -->", "<!-- example output: end -->"


def _journald(path: str) -> Collected:
    text = (DATA / path).read_text()
    settings = runtime_settings(JournaldSettings(lpstat=""))
    source = JournaldSource(settings, IDENTITY, lambda *_: text)
    return source.collect(None)


def _cups(path: str, lpstat_output: str = "") -> Collected:
    """One round on an error_log; ``lpstat_output`` is the captured ``lpstat -v`` the
    source is answered with (none: its queue lookup is off)."""

    def lpstat(argv, timeout_s) -> str:
        return (DATA / lpstat_output).read_text()

    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "error_log"
        shutil.copy(DATA / path, log)
        settings = CupsErrorLogSettings(path=str(log), lpstat="lpstat" if lpstat_output else "")
        return CupsErrorLogSource(runtime_settings(settings), IDENTITY, lpstat).collect(None)


def _macos(path: str) -> Collected:
    text = (DATA / path).read_text()
    settings = runtime_settings(MacosUnifiedLogSettings(lpstat=""))
    return MacosUnifiedLogSource(settings, IDENTITY, lambda *_: text).collect(None)


def _windows(samples: dict[str, str]) -> Collected:
    settings = runtime_settings(WindowsEventLogSettings())
    return WindowsEventLogSource(settings, IDENTITY, CapturedWevtutil(samples)).collect(None)


def _graph(path: str) -> Collected:
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(DATA / path, Path(folder) / "call.json")
        settings = GraphCallRecordsSettings(folder=folder)
        return GraphCallRecordsSource(runtime_settings(settings), IDENTITY).collect(None)


def _globalprotect(path: str) -> Collected:
    """One round on an event log capture, its times read as UTC."""
    configured = runtime_settings(GlobalProtectSettings(enabled=True, path=str(DATA / path)))
    return GlobalProtectSource(configured, IDENTITY, UTC).collect(None)


def _zoom(name: str) -> Collected:
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(DATA / "zoom" / name, Path(folder) / name)
        directory = str(DATA / "zoom" / "users.csv")
        settings = ZoomQosSettings(enabled=True, folder=folder, directory_file=directory)
        return ZoomQosSource(runtime_settings(settings), IDENTITY).collect(None)


def _forticlient(path: str) -> Collected:
    configured = runtime_settings(FortiClientSettings(enabled=True, paths=[str(DATA / path)]))
    return FortiClientSource(configured, IDENTITY, UTC).collect(None)


def _cisco(path: str) -> Collected:
    """One round on a syslog capture, its year-less times read as UTC in 2012 (the capture's
    year)."""
    configured = runtime_settings(CiscoSecureClientSettings(enabled=True, path=str(DATA / path)))
    source = CiscoSecureClientSource(configured, IDENTITY, UTC, clock=lambda: CISCO_CLOCK_S)
    return source.collect(None)


def _summed(rounds: list[Collected]) -> Collected:
    """The rounds' events, skipped records and unparsed lines summed."""
    total = Collected(unparsed=IDENTITY.unparsed())
    for collected in rounds:
        total.events += collected.events
        total.skipped_records += collected.skipped_records
        for reason, count in collected.unparsed.counts.items():
            total.unparsed.counts[reason] = total.unparsed.counts.get(reason, 0) + count
    return total


def _wireguard_rounds() -> Collected:
    """The captured rounds one after the other, summed."""
    folder = LINUX / "wireguard"
    times = json.loads((folder / "capture-times.json").read_text())
    rounds: list[Collected] = []
    for name, captured_at in times.items():
        text = (folder / name).read_text()
        source = WireguardSource(
            runtime_settings(WireguardSettings(enabled=True)),
            IDENTITY,
            lambda *_, text=text: text,
            clock=lambda captured_at=captured_at: captured_at,
        )
        rounds.append(source.collect(rounds[-1].bookmark if rounds else None))
    return _summed(rounds)


def _wireguard_log(name: str) -> Collected:
    """One round on a log.bin built from an exported WireGuard for Windows log (times UTC)."""
    with tempfile.TemporaryDirectory() as folder:
        ring = RingWriter()
        ring.write_all(exported_lines(WINDOWS / "wireguard" / name))
        path = ring.save(Path(folder) / "log.bin")
        settings = WireguardSettings(enabled=True, read="log", log_path=str(path))
        return WireguardLogSource(runtime_settings(settings), IDENTITY).collect(None)


def _wireguard_logs(*names: str) -> Collected:
    """One round on each capture (a log.bin each), summed."""
    return _summed([_wireguard_log(name) for name in names])


def _macos_console_users() -> Collected:
    """The rounds of ``ioreg_captures.day_outputs`` one after the other, summed."""
    return _summed(run_rounds(day_outputs()))


def _systemd_boot(_: str) -> Collected:
    settings = runtime_settings(SystemdBootSettings(proc=str(LINUX / "proc")))
    return SystemdBootSource(settings, IDENTITY, captured_systemd_analyze).collect(None)


@dataclass(frozen=True)
class Sample:
    source: str
    variant: str
    files: str
    made: str  # captured, real values, reconstructed
    read: Callable[[], Collected]


NM = "os/linux/networkmanager"
GP = "os/globalprotect"
CISCO = "os/cisco_secure_client"
FORTI = "os/forticlient"
WGW = "os/windows/wireguard"
CISCO_CLOCK_S = 1339459200  # 2012-06-12T00:00:00Z
SAMPLES: tuple[Sample, ...] = (
    Sample("journald", "cupsd (ErrorLog syslog), logind, NetworkManager lines by `logger`",
           "os/linux/journal.json", "captured journal; NM/logind texts reconstructed",
           lambda: _journald("os/linux/journal.json")),
    Sample("journald", "NetworkManager 1.30 (`vpn-connection[...]`), INFO",
           f"{NM}/nm-1.30-vpn-connection.json", "reconstructed from nm-vpn-connection.c",
           lambda: _journald(f"{NM}/nm-1.30-vpn-connection.json")),
    Sample("journald", "NetworkManager 1.42 (`vpn[...]`), INFO (default)",
           f"{NM}/nm-1.42-vpn-info.json", "reconstructed from nm-vpn-connection.c",
           lambda: _journald(f"{NM}/nm-1.42-vpn-info.json")),
    Sample("journald", "NetworkManager 1.42, `domains=VPN:DEBUG`",
           f"{NM}/nm-1.42-vpn-debug.json", "reconstructed from nm-vpn-connection.c",
           lambda: _journald(f"{NM}/nm-1.42-vpn-debug.json")),
    Sample("journald", "logind \"New session\" entry (systemd >= 254)",
           "os/linux/logind/new-session-published.json", "real (a project's README)",
           lambda: _journald("os/linux/logind/new-session-published.json")),
    Sample("journald", "logind session, gdm greeter, forged removal",
           "os/linux/logind/sessions-reconstructed.json",
           "reconstructed around the real entry",
           lambda: _journald("os/linux/logind/sessions-reconstructed.json")),
    Sample("cups_error_log", "cupsd 2.4.2, `LogLevel info`", "os/linux/cups-error_log",
           "captured", lambda: _cups("os/linux/cups-error_log")),
    Sample("cups_error_log", "cupsd 2.4.2, `LogLevel warn` (default)",
           "os/linux/cups/error_log-loglevel-warn", "captured",
           lambda: _cups("os/linux/cups/error_log-loglevel-warn")),
    Sample("cups_error_log", "job.c failure texts not provoked here",
           "os/linux/cups/error_log-job-c-texts", "reconstructed from job.c",
           lambda: _cups("os/linux/cups/error_log-job-c-texts")),
    Sample("cups_error_log", "cupsd 2.4.2, queues on an IPP and an SMB print server and a "
           "direct one, `lpstat -v`", "os/linux/cups/*-print-servers", "captured",
           lambda: _cups("os/linux/cups/error_log-print-servers",
                         "os/linux/cups/lpstat-v-print-servers")),
    Sample("macos_unified_log", "boot, `NESMVPNSession`, cupsd", "os/macos/log-show.ndjson",
           "reconstructed", lambda: _macos("os/macos/log-show.ndjson")),
    Sample("macos_unified_log", "IKEv2 / Legacy / VPN sessions, `:(null)]`, stop reasons",
           "os/macos/log-show-nesm-variants.ndjson", "reconstructed",
           lambda: _macos("os/macos/log-show-nesm-variants.ndjson")),
    Sample("macos_console_users",
           "login window, sign-in, lock, unlock, sign-out; fast user switching of two users",
           "os/macos/ioreg/*", "real session dictionaries (text forms written as `-a`), "
           "lock keys of the real locked capture set on the unlocked one",
           _macos_console_users),
    Sample("windows_eventlog", "one channel file each (boot, logon, VPN, print 372/307, apps)",
           "os/windows/*.xml", "real values (100, 103, 372) and reconstructed",
           lambda: _windows(WINDOWS_SAMPLES)),
    Sample("windows_eventlog", "PrintService/Operational 842 and 805",
           "os/windows/printservice-operational-842-805.xml", "reconstructed",
           lambda: _windows({PRINT_OPERATIONAL: "printservice-operational-842-805.xml"})),
    Sample("windows_eventlog", "Security 4624, 4800, 4801, 4647, 4634 (DWM-1)",
           "os/windows/security-learn-samples.xml", "real (Microsoft Learn's Event XML)",
           lambda: _windows({SECURITY: "security-learn-samples.xml"})),
    Sample("windows_eventlog", "Security 4779, 4778 (Remote Desktop disconnect, reconnect)",
           "os/windows/security-rdp-learn-samples.xml", "real (Microsoft Learn's Event XML)",
           lambda: _windows({SECURITY: "security-rdp-learn-samples.xml"})),
    Sample("windows_eventlog", "a day: UAC linked logon, DWM, lock, unlock, logoff",
           "os/windows/security-session-day.xml", "reconstructed around the real 4800/4801",
           lambda: _windows({SECURITY: "security-session-day.xml"})),
    Sample("graph_call_records", "callRecord with sessions and segments",
           "graph/callrecord-peer-to-peer.json", "documented example, extended",
           lambda: _graph("graph/callrecord-peer-to-peer.json")),
    Sample("zoom_qos", "participants QoS, one participant, six streams",
           "zoom/85746065432.json", "documented example, extended",
           lambda: _zoom("85746065432.json")),
    Sample("zoom_qos", "screen share with 615 / 391 ms jitter, empty streams",
           "zoom/93817203214.json", "real values, wrapper reconstructed",
           lambda: _zoom("93817203214.json")),
    Sample("wireguard", "wireguard-go 0.0.20250522 + wg 1.0.20210914, 5 rounds",
           "os/linux/wireguard/round-*.dump", "captured (private keys removed)",
           _wireguard_rounds),
    Sample("wireguard", "WireGuard for Windows 0.5.3 log: start, handshake retried",
           f"{WGW}/angristan-349-*.log", "real lines (an issue report), container rebuilt",
           lambda: _wireguard_logs("angristan-349-start.log",
                                   "angristan-349-handshake-failing.log")),
    Sample("wireguard", "WireGuard for Windows 0.5.3 log: start, nothing answered yet",
           f"{WGW}/wg-easy-472-start.log", "real lines (an issue report), container rebuilt",
           lambda: _wireguard_log("wg-easy-472-start.log")),
    Sample("wireguard", "WireGuard for Windows 0.5.3 log: rekeys (initiator, responder)",
           f"{WGW}/tunnlto-230-*.log", "real lines (an issue report), container rebuilt",
           lambda: _wireguard_logs("tunnlto-230-initiator-rekeys.log",
                                   "tunnlto-230-responder-rekeys.log")),
    Sample("wireguard", "WireGuard for Windows 0.3.5 (wireguard-go) log: start, retries",
           f"{WGW}/nyr-36-*.log", "real lines (an issue report), container rebuilt",
           lambda: _wireguard_logs("nyr-36-wireguard-go-start.log",
                                   "nyr-36-wireguard-go-retrying.log")),
    Sample("wireguard", "WireGuard for Windows 0.3 (wireguard-go) log: connected",
           f"{WGW}/hassio-66-wireguard-go-connected.log",
           "real lines (an issue report, names masked by its poster), container rebuilt",
           lambda: _wireguard_log("hassio-66-wireguard-go-connected.log")),
    Sample("cisco_secure_client", "AnyConnect 2.5 on Ubuntu, connection timed out",
           f"{CISCO}/syslog-anyconnect-2.5-connect-failed", "real syslog (a forum post)",
           lambda: _cisco(f"{CISCO}/syslog-anyconnect-2.5-connect-failed")),
    Sample("cisco_secure_client", "connect, Reconnecting, resume, disconnect",
           f"{CISCO}/syslog-anyconnect-states", "reconstructed from the real lines' format",
           lambda: _cisco(f"{CISCO}/syslog-anyconnect-states")),
    Sample("forticlient", "6.0.4 on Windows, SSL VPN connect",
           f"{FORTI}/forticlient-6.0.4-windows-sslvpn.log", "real lines (an issue report)",
           lambda: _forticlient(f"{FORTI}/forticlient-6.0.4-windows-sslvpn.log")),
    Sample("forticlient", "7.4 on Linux, IKEv2 initiation failing, retried",
           f"{FORTI}/forticlient-7.4-linux-ipsecvpn.log", "real lines (an issue report)",
           lambda: _forticlient(f"{FORTI}/forticlient-7.4-linux-ipsecvpn.log")),
    Sample("globalprotect", "Windows lab portal: auth failure, unreachable gateway, connect",
           f"{GP}/pan_gp_event-windows-lab.log", "real lines (a parser's test suite)",
           lambda: _globalprotect(f"{GP}/pan_gp_event-windows-lab.log")),
    Sample("globalprotect", "macOS, flapping tunnel (down / restored)",
           f"{GP}/pan_gp_event-macos-flapping.log", "real lines, hosts normalised",
           lambda: _globalprotect(f"{GP}/pan_gp_event-macos-flapping.log")),
    Sample("globalprotect", "lost without a down line, then unreachable",
           f"{GP}/pan_gp_event-reconnect-unreachable.log", "real lines, hosts normalised",
           lambda: _globalprotect(f"{GP}/pan_gp_event-reconnect-unreachable.log")),
    Sample("systemd_boot", "systemd-analyze time/blame, /proc", "os/linux/systemd-analyze-*.txt",
           "reconstructed (man page); /proc captured", lambda: _systemd_boot("")),
)  # fmt: skip


def outcome(collected: Collected) -> str:
    """``vpn_session connected 2, dropped 1; ...`` plus skipped and unparsed counts."""
    kinds: Counter[str] = Counter()
    for event in contract_events(collected):
        detail = getattr(event, "state", None) or getattr(event, "outcome", None)
        kinds[f"{event.event_type} {detail}" if detail else event.event_type] += 1
    parts = [f"{kind} {count}" for kind, count in kinds.items()] or ["no events"]
    if collected.skipped_records:
        parts.append(f"skipped {collected.skipped_records}")
    for reason, count in sorted(collected.unparsed.counts.items()):
        parts.append(f"unparsed {reason} {count}")
    return "; ".join(parts)


def render_table() -> str:
    rows = [
        "| source | variant | file (tests/data/) | how it was made | outcome |",
        "| --- | --- | --- | --- | --- |",
    ]
    rows += [
        f"| {s.source} | {s.variant} | `{s.files}` | {s.made} | {outcome(s.read())} |"
        for s in SAMPLES
    ]
    return "\n".join(rows) + "\n"


def render_examples() -> dict[str, str]:
    """Per source with a sample: its first event on its first sample, as a JSON block."""
    examples: dict[str, str] = {}
    for sample in SAMPLES:
        if sample.source in examples:
            continue
        first = sample.read().events[0]
        text = encode(first).decode()
        examples[sample.source] = f"From `tests/data/{sample.files}`:\n\n```json\n{text}\n```\n"
    return examples


def _section(text: str, begin: str = BEGIN, end: str = END) -> str:
    matched = re.search(re.escape(begin) + r"\n(.*?)" + re.escape(end), text, re.DOTALL)
    assert matched, f"markers {begin} ... {end} missing"
    return matched.group(1)


def _replace_section(path: Path, rendered: str, begin: str = BEGIN, end: str = END) -> None:
    text = path.read_text()
    start, stop = text.index(begin) + len(begin) + 1, text.index(end)
    path.write_text(text[:start] + rendered + text[stop:])


def test_the_samples_table_in_the_sources_readme_is_current():
    assert _section(README.read_text()) == render_table(), (
        "collectors/sources/README.md is out of date: python -m tests.unit.test_sources_outcomes"
    )


def test_each_source_readme_shows_the_example_output_of_its_sample():
    for source, rendered in render_examples().items():
        readme = (SOURCES_FOLDER / source / "README.md").read_text()
        assert _section(readme, EXAMPLE_BEGIN, EXAMPLE_END) == rendered, (
            f"collectors/sources/{source}/README.md: python -m tests.unit.test_sources_outcomes"
        )


def test_every_source_is_one_folder_with_code_settings_readme_and_sample_config():
    for name, spec in SOURCES.items():
        folder = SOURCES_FOLDER / name
        present = {p.name for p in folder.iterdir()}
        assert {"__init__.py", "source.py", "settings.py", "README.md", "sample.toml"} <= present
        readme = (folder / "README.md").read_text()
        missing = [t for t in spec.source.event_types if t not in readme]
        assert missing == [], f"{name}/README.md does not list {missing}"
    assert stale_files() == [], (
        "run `xlapulse collector sample-config --update-committed` and commit"
    )


def write_generated() -> None:
    _replace_section(README, render_table())
    for source, rendered in render_examples().items():
        _replace_section(
            SOURCES_FOLDER / source / "README.md", rendered, EXAMPLE_BEGIN, EXAMPLE_END
        )


if __name__ == "__main__":
    write_generated()
    sys.exit(0)
