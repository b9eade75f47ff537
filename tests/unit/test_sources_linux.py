"""Linux sources on output captured on this machine or documented (tests/data/os/linux)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pytest

from tests.unit.helpers import IDENTITY, PSEUDONYMIZER, runtime_settings
from tests.unit.source_samples import LINUX as DATA
from tests.unit.source_samples import captured_systemd_analyze
from tests.unit.wire_events import contract_events
from xlapulse.collectors.sources.base import SourceError, run_command
from xlapulse.collectors.sources.cups_error_log.settings import CupsErrorLogSettings
from xlapulse.collectors.sources.cups_error_log.source import CupsErrorLogSource
from xlapulse.collectors.sources.journald.settings import JournaldSettings
from xlapulse.collectors.sources.journald.source import JournaldSource
from xlapulse.collectors.sources.systemd_boot.settings import SystemdBootSettings
from xlapulse.collectors.sources.systemd_boot.source import (
    SystemdBootSource,
    parse_analyze_time,
    parse_blame,
)


def test_systemd_analyze_time_phases():
    phases = parse_analyze_time((DATA / "systemd-analyze-time.txt").read_text())
    assert phases == {"kernel": 2584, "initrd": 19176, "userspace": 47847, "total": 69608}
    efi = parse_analyze_time((DATA / "systemd-analyze-time-efi.txt").read_text())
    assert efi["firmware"] == 8212 and efi["loader"] == 3043 and efi["total"] == 17042


def test_systemd_analyze_blame_slowest_first():
    units = parse_blame((DATA / "systemd-analyze-blame.txt").read_text())
    assert units[:2] == [
        ("pmlogger.service", 32875),
        ("systemd-networkd-wait-online.service", 20905),
    ]
    assert ("cups.service", 512) in units


def test_systemd_boot_reports_each_boot_once():
    settings = runtime_settings(SystemdBootSettings(proc=str(DATA / "proc")))
    source = SystemdBootSource(settings, IDENTITY, captured_systemd_analyze)
    first = source.collect(None)
    (boot,) = contract_events(first)
    assert boot.boot_duration_ms == 69608
    assert boot.main_path_duration_ms == 69607  # kernel + initrd + userspace, rounded phases
    assert boot.is_degradation  # above 60 s
    assert boot.degrading_components == [
        "pmlogger.service",
        "systemd-networkd-wait-online.service",
        "dev-vda1.device",
    ]
    assert boot.event_time == datetime.fromtimestamp(1795332991, UTC)  # btime of /proc/stat
    assert first.bookmark == (DATA / "proc/sys/kernel/random/boot_id").read_text().strip()
    assert contract_events(source.collect(first.bookmark)) == []


def test_systemd_boot_not_booted_with_systemd_is_a_clear_error():
    def runner(argv, timeout_s):
        raise SourceError("systemd-analyze time exited 1: System has not been booted with systemd")

    source = SystemdBootSource(
        runtime_settings(SystemdBootSettings(proc=str(DATA / "proc"))), IDENTITY, runner
    )
    with pytest.raises(SourceError, match="not been booted with systemd"):
        source.collect(None)


def journald_source(text: str) -> JournaldSource:
    return JournaldSource(
        runtime_settings(JournaldSettings(lpstat="")), IDENTITY, lambda argv, timeout_s: text
    )


def test_journald_logind_networkmanager_and_cupsd():
    collected = journald_source((DATA / "journal.json").read_text()).collect(None)
    kinds = [
        (e.event_type, getattr(e, "state", getattr(e, "outcome", None)))
        for e in contract_events(collected)
    ]
    assert kinds == [
        ("print_job", "printed"),
        ("print_job", "failed"),
        ("session", "started"),
        ("logon", None),
        ("vpn_session", "connected"),
        ("vpn_session", "dropped"),
        ("vpn_session", "failed"),
        ("session", "ended"),
    ]
    _, failed_print, started, logon, _, dropped, failed_vpn, ended = contract_events(collected)
    assert (failed_print.printer, failed_print.error_code) == ("finance-mfp-3f", 4)
    assert failed_print.user_id == PSEUDONYMIZER.user("root")
    assert logon.user_id == PSEUDONYMIZER.user("alice")
    assert logon.shell_start_duration_ms == 1214  # USERSPACE_USEC of the user manager
    assert 1000 <= logon.logon_duration_ms <= 2000  # logger calls 1.3 s apart
    assert (dropped.reason, dropped.error_code, dropped.vpn_gateway) == (
        "connect-failed",
        1,
        "Corp VPN",
    )
    assert (failed_vpn.reason, failed_vpn.error_code) == ("login-failed", 0)
    assert (started.session_id, ended.session_id) == ("7", "7")  # logind's SESSION_ID
    assert started.user_id == ended.user_id == logon.user_id
    assert ended.active_duration_s == 4  # "New session 7" 08:10:43.217, removed 08:10:47.659
    assert json.loads(collected.bookmark)["cursor"].startswith("s=")


def test_journald_resumes_after_the_cursor_with_open_sessions():
    lines = (DATA / "journal.json").read_text().splitlines()
    started = next(i for i, line in enumerate(lines) if "state changed: started" in line)
    first = journald_source("\n".join(lines[: started + 1])).collect(None)
    second = journald_source("\n".join(lines[started + 1 :]))
    assert second.command(json.loads(first.bookmark)["cursor"])[6].startswith("--after-cursor=s=")
    events = contract_events(second.collect(first.bookmark))
    dropped = next(e for e in events if e.event_type == "vpn_session")
    assert dropped.state == "dropped" and dropped.session_duration_s == 2  # connect state kept


def test_journald_broken_line_is_skipped_and_counted():
    collected = journald_source('{"MESSAGE": "cut of').collect(None)
    assert (collected.events, collected.skipped_records) == ([], 1)


def test_cups_error_log_completed_and_failed_jobs(tmp_path):
    log = tmp_path / "error_log"
    shutil.copy(DATA / "cups-error_log", log)
    settings = runtime_settings(CupsErrorLogSettings(path=str(log), lpstat=""))
    source = CupsErrorLogSource(settings, IDENTITY, run_command)
    collected = source.collect(None)
    outcomes = [(e.outcome, e.printer, e.error_code) for e in contract_events(collected)]
    assert outcomes == [
        ("printed", "pdf-archive", None),
        ("printed", "pdf-archive", None),
        ("failed", "finance-mfp-3f", 4),
    ]
    assert contract_events(source.collect(collected.bookmark)) == []
    with log.open("a") as appended:
        appended.write('I [22/Nov/2026:09:00:00 +0000] [Job 9] Queued on "lab" by "bob".\n')
        appended.write("I [22/Nov/2026:09:00:02 +0000] [Job 9] Job completed.\n")
        appended.write("I [22/Nov/2026:09:00:03 +0000] [Job 10] Queued on")  # half a line
    (new,) = contract_events(source.collect(collected.bookmark))
    assert (new.printer, new.user_id) == ("lab", PSEUDONYMIZER.user("bob"))


def test_cups_error_log_rotation_and_missing_file(tmp_path):
    log = tmp_path / "error_log"
    log.write_text('I [22/Nov/2026:09:00:00 +0000] [Job 1] Queued on "lab" by "bob".\n' * 50)
    settings = runtime_settings(CupsErrorLogSettings(path=str(log), lpstat=""))
    source = CupsErrorLogSource(settings, IDENTITY, run_command)
    bookmark = source.collect(None).bookmark
    log.unlink()
    log.write_text(
        'I [22/Nov/2026:10:00:00 +0000] [Job 2] Queued on "lab" by "bob".\n'
        "I [22/Nov/2026:10:00:01 +0000] [Job 2] Job completed.\n"
    )
    assert len(contract_events(source.collect(bookmark))) == 1  # new inode: read from the start
    log.unlink()
    with pytest.raises(SourceError, match="does not exist"):
        source.collect(bookmark)
