"""Windows event log source on event XML in the shape wevtutil prints (tests/data/os/windows)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.helpers import IDENTITY, PSEUDONYMIZER, runtime_settings
from tests.unit.source_samples import WINDOWS, WINDOWS_SAMPLES, CapturedWevtutil
from tests.unit.wire_events import contract_event, contract_events
from xlapulse.collectors.sources.base import SourceError
from xlapulse.collectors.sources.windows_eventlog.mapper import (
    DEFENDER,
    DIAGNOSTICS,
    GROUP_POLICY,
    PRINT_OPERATIONAL,
    RECORDS,
)
from xlapulse.collectors.sources.windows_eventlog.settings import WindowsEventLogSettings
from xlapulse.collectors.sources.windows_eventlog.source import (
    WindowsEventLogSource,
    WindowsEventMapper,
    channel_query,
)
from xlapulse.collectors.sources.windows_eventlog.windows_xml import parse_events


def collect(samples=WINDOWS_SAMPLES, bookmark=None):
    runner = CapturedWevtutil(samples)
    source = WindowsEventLogSource(runtime_settings(WindowsEventLogSettings()), IDENTITY, runner)
    return source.collect(bookmark), runner


def by_type(events, event_type):
    return [e for e in events if e.event_type == event_type]


def test_boot_event_100_with_degrading_component_and_defender_scan():
    collected, _ = collect()
    (boot,) = by_type(contract_events(collected), "boot")
    # BootEndTime 06:05:31.883670 minus BootTime 165.331 s (not BootStartTime 06:02:36.734)
    assert boot.event_time == datetime(2015, 6, 1, 6, 2, 46, 552670, UTC)
    assert boot.boot_duration_ms == 165331
    assert boot.main_path_duration_ms == 151680
    assert boot.post_boot_duration_ms == 13651
    assert boot.profile_processing_duration_ms == 4098
    assert boot.explorer_init_duration_ms == 104515
    assert boot.startup_app_count == 9
    assert boot.degrading_components == ["windefend"]  # event 103, logged with the boot
    assert boot.is_degradation
    # Defender scan 06:03:50.21 -> 06:05:02.73 lies inside the boot window (72.52 s).
    assert boot.antivirus_scan_duration_ms == 72520
    assert boot.antivirus_scan_share_ratio == pytest.approx(72520 / 165331, abs=1e-4)


def test_logon_from_profile_service_group_policy_and_winlogon():
    collected, _ = collect()
    (logon,) = by_type(contract_events(collected), "logon")
    assert logon.event_time == datetime(2015, 6, 1, 6, 6, 10, 1000, UTC)  # User Profile 1
    assert logon.logon_duration_ms == 28409  # until Winlogon 7001 at 06:06:38.410
    assert logon.profile_load_duration_ms == 4811  # User Profile 2 at 06:06:14.812
    assert logon.group_policy_duration_ms == 16000  # 8001 PolicyElaspedTimeInSeconds
    assert logon.shell_start_duration_ms == 7160  # 8001 at 06:06:31.250 -> 7001


def test_vpn_connected_dropped_and_failed():
    collected, _ = collect()
    connected, dropped, failed = by_type(contract_events(collected), "vpn_session")
    assert (connected.state, connected.vpn_gateway) == (
        "connected",
        "Corp VPN (vpn.contoso.example)",
    )
    assert (dropped.state, dropped.error_code, dropped.session_duration_s) == ("dropped", 829, 5550)
    assert (failed.state, failed.error_code) == ("failed", 809)


def test_print_and_app_events():
    collected, _ = collect()
    failed, printed = by_type(contract_events(collected), "print_job")
    assert (failed.outcome, failed.printer, failed.error_code) == (
        "failed",
        "Microsoft XPS Document Writer",
        5,  # Param10: the Win32 error (Param6 holds the bytes printed, 0)
    )
    assert failed.user_id == PSEUDONYMIZER.user("Administrator")  # Param2, the owner
    assert (printed.outcome, printed.printer, printed.page_count) == (
        "printed",
        "Finance-MFP-3F",
        4,
    )
    crash, hang = by_type(contract_events(collected), "app_responsiveness")
    assert (crash.kind, crash.app_name, crash.app_version, crash.exception_code) == (
        "crash",
        "OUTLOOK.EXE",
        "16.0.4266.1001",
        "c0000005",
    )
    assert (hang.kind, hang.app_name, hang.app_version) == ("hang", "EXCEL.EXE", "16.0.4266.1001")


def test_bookmark_resumes_after_the_last_record_and_ids_are_deterministic():
    first, _ = collect()
    again, _ = collect()
    assert [e.event_id for e in contract_events(first)] == [
        e.event_id for e in contract_events(again)
    ]
    saved = json.loads(first.bookmark)
    assert saved["records"][DIAGNOSTICS] == 1460
    _, runner = collect({}, first.bookmark)
    queries = {argv[2]: argv[3] for argv in runner.queries}
    assert "EventRecordID>1460" in queries[DIAGNOSTICS]
    assert "timediff" in channel_query((100,), None)  # first read: the last 24 hours only


def test_a_logon_split_over_two_rounds_is_measured_once():
    first, _ = collect(
        {"Application": "application.xml", GROUP_POLICY: "grouppolicy-operational.xml"}
    )
    assert by_type(contract_events(first), "logon") == []
    second, _ = collect({"System": "system.xml"}, first.bookmark)
    (logon,) = by_type(contract_events(second), "logon")
    assert logon.logon_duration_ms == 28409


def test_malformed_xml_is_a_clear_error():
    with pytest.raises(SourceError, match="not well-formed"):
        parse_events("<Event><System><EventID>100</System>")


def test_print_processor_842_with_a_win32_error_is_a_failure_and_805_info_is_not():
    collected, _ = collect({PRINT_OPERATIONAL: "printservice-operational-842-805.xml"})
    (failed,) = by_type(
        contract_events(collected), "print_job"
    )  # 805 (level 4) and 842 0x0 are silent
    assert (failed.outcome, failed.printer, failed.error_code) == (
        "failed",
        "Reception-Label-01",
        0x80070005,
    )
    assert failed.event_time == datetime(2015, 6, 1, 11, 41, 19, 900000, UTC)


def test_winlogon_7002_abandons_a_pending_logon_and_a_scm_7001_does_not_close_one():
    collected, _ = collect(
        {
            "Application": "application.xml",
            GROUP_POLICY: "grouppolicy-operational.xml",
            "System": "system-logoff-and-scm.xml",
        }
    )
    assert by_type(contract_events(collected), "logon") == []
    assert json.loads(collected.bookmark)["state"]["logon"] is None
    later, _ = collect({"System": "system.xml"}, collected.bookmark)
    assert (
        by_type(contract_events(later), "logon") == []
    )  # nothing pending pairs with the next 7001
    # a sign-in without a profile load (cached, fast user switching) has no start to
    # measure from: not an event, but counted, never dropped silently
    assert later.unparsed.counts == {"winlogon-7001-without-profile-start": 1}
    assert later.unparsed.excerpts["winlogon-7001-without-profile-start"] == (
        "Winlogon 7001 record 91230 TSId 1"
    )


def test_shutdown_200_is_reported_with_the_next_boot():
    first, _ = collect({DIAGNOSTICS: "diagnostics-performance.xml"})
    (boot,) = by_type(contract_events(first), "boot")
    assert boot.previous_shutdown_duration_ms is None  # the 200 in the sample follows it
    assert json.loads(first.bookmark)["state"]["shutdown_ms"] == 19692
    records = parse_events((WINDOWS / "diagnostics-performance.xml").read_text())
    next_boot = [r for r in records if r.event_id == 100]
    later_boot = [
        replace(r, record_id=r.record_id + 100, time_created=r.time_created + timedelta(days=1))
        for r in next_boot
    ]
    mapper = WindowsEventMapper(IDENTITY, json.loads(first.bookmark)["state"])
    (second_boot,) = map(contract_event, mapper.map(later_boot))
    assert second_boot.previous_shutdown_duration_ms == 19692
    assert second_boot.boot_duration_ms == 165331


def test_records_name_their_handlers_by_reference():
    # references, not method names in strings: a reader can follow them, a typo fails import
    handlers = {handler for _, handler in RECORDS.values() if handler is not None}
    assert handlers
    assert all(getattr(WindowsEventMapper, h.__name__) is h for h in handlers)


def test_a_fast_startup_boot_is_dated_from_its_end_not_from_boot_start_time(tmp_path):
    """Fast Startup: BootStartTime is when the hibernated session began, hours earlier."""
    sample = (WINDOWS / "diagnostics-performance.xml").read_text()
    assert "2015-06-01T06:02:36.734000400Z" in sample
    fast_startup = tmp_path / "diagnostics-fast-startup.xml"
    fast_startup.write_text(
        sample.replace("2015-06-01T06:02:36.734000400Z", "2015-05-31T21:14:02.100000000Z")
    )
    collected, _ = collect({DIAGNOSTICS: str(fast_startup), DEFENDER: "defender-operational.xml"})
    (boot,) = by_type(contract_events(collected), "boot")
    assert boot.event_time == datetime(2015, 6, 1, 6, 2, 46, 552670, UTC)  # the same day
    assert boot.antivirus_scan_duration_ms == 72520  # the scan is still found in the boot
