"""Cisco Secure Client (AnyConnect) source on syslog captures (tests/data/os/cisco_secure_client).

The failed connection is a real AnyConnect 2.5 syslog; the session that connects, loses
its tunnel and is disconnected is reconstructed from the same lines' format (the
PROVENANCE.md there). Times are read as UTC and the clock set to 2012-06-12, the day
after the capture, so the year-less syslog times are dated in 2012.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.unit.helpers import IDENTITY, runtime_settings
from tests.unit.source_samples import DATA
from tests.unit.wire_events import contract_events
from xlapulse.collectors.sources.cisco_secure_client.settings import CiscoSecureClientSettings
from xlapulse.collectors.sources.cisco_secure_client.source import (
    CiscoSecureClientSource,
    parse_line,
)

SAMPLES = DATA / "os" / "cisco_secure_client"
CLOCK_S = datetime(2012, 6, 12, tzinfo=UTC).timestamp()


def source_for(path: Path, clock_s: float = CLOCK_S) -> CiscoSecureClientSource:
    settings = runtime_settings(CiscoSecureClientSettings(enabled=True, path=str(path)))
    return CiscoSecureClientSource(settings, IDENTITY, UTC, clock=lambda: clock_s)


def outcomes(collected) -> list[tuple]:
    return [
        (e.event_time.isoformat(), e.state, e.reason, e.error_code, e.session_duration_s)
        for e in contract_events(collected)
    ]


def test_a_timed_out_connection_is_failed_with_the_attempts_first_error():
    collected = source_for(SAMPLES / "syslog-anyconnect-2.5-connect-failed").collect(None)
    assert outcomes(collected) == [
        ("2012-06-11T07:47:40+00:00", "failed", "CTRANSPORT_ERROR_TIMEOUT", 0xFE37002E, None)
    ]
    assert contract_events(collected)[0].vpn_gateway == "myaccess.oraclevpn.com"
    # startup errors before the attempt (CERTSTORE_..., TLV_...) are not its reason; the
    # "Disconnected" at start and setState's repeats are no event and not unparsed; the
    # other programs' lines (dbus, AptDaemon without a pid) are syslog, not skipped
    assert collected.unparsed.total == 0
    assert collected.skipped_records == 0


def test_connect_reconnecting_resume_and_disconnect():
    collected = source_for(SAMPLES / "syslog-anyconnect-states").collect(None)
    assert outcomes(collected) == [
        ("2012-03-03T08:58:19+00:00", "connected", None, None, None),
        ("2012-03-03T10:41:37+00:00", "dropped", "reconnecting", None, 6198),
        ("2012-03-03T10:41:52+00:00", "connected", None, None, None),
        ("2012-03-03T12:30:06+00:00", "disconnected", None, None, 6494),
    ]
    assert {e.vpn_gateway for e in contract_events(collected)} == {"vpn.example.org"}


def test_the_session_carries_over_to_the_next_round(tmp_path):
    lines = (SAMPLES / "syslog-anyconnect-states").read_text().splitlines(keepends=True)
    log = tmp_path / "syslog"
    log.write_text("".join(lines[:7]))
    source = source_for(log)
    first = source.collect(None)
    assert [e.state for e in contract_events(first)] == ["connected"]
    with log.open("a") as growing:
        growing.write("".join(lines[7:]))
    second = source.collect(first.bookmark)
    assert [(e.state, e.session_duration_s) for e in contract_events(second)] == [
        ("dropped", 6198),
        ("connected", None),
        ("disconnected", 6494),
    ]


def test_unknown_states_and_texts_are_counted_not_dropped(tmp_path):
    log = tmp_path / "syslog"
    log.write_text(
        "Mar  3 09:00:00 laptop vpnagentd[77]: Function: processState File: ApiIpc.cpp "
        "Line: 1412 VPN state: Quarantined Network state: Network Accessible\n"
        "Mar  3 09:00:01 laptop vpnagentd[77]: The secure gateway has terminated the VPN "
        'connection of "bob"\n'
        "Mar  3 09:00:02 laptop someoneelse[1]: VPN state: Connected\n"
        "garbage without a syslog header\n"
    )
    collected = source_for(log).collect(None)
    assert collected.unparsed.counts == {
        "anyconnect-vpn-state-unrecognised": 1,
        "anyconnect-line-unrecognised": 1,
    }
    assert "bob" not in collected.unparsed.excerpts["anyconnect-line-unrecognised"]
    assert collected.events == []  # another program's "VPN state" is not the client's
    assert collected.skipped_records == 1


def test_year_less_times_never_lie_in_the_future_and_rfc3339_lines_are_read():
    new_year = datetime(2013, 1, 1, 0, 5, tzinfo=UTC)
    december = parse_line("Dec 31 23:59:00 laptop vpnui[1]: VPN state: Connected", new_year, UTC)
    assert december is not None and december.at.year == 2012
    modern = parse_line(
        "2024-05-02T09:15:03.120431+02:00 laptop vpnagentd[812]: Function: processState "
        "File: ApiIpc.cpp Line: 1412 VPN state: Connected Network state: Network Accessible",
        new_year,
        UTC,
    )
    assert modern is not None
    assert (modern.at.isoformat(), modern.process, modern.function) == (
        "2024-05-02T09:15:03.120431+02:00",
        "vpnagentd",
        "processState",
    )
    assert modern.text.startswith("VPN state: Connected")


def test_collector_check_warns_when_there_is_no_syslog_file(tmp_path):
    assert source_for(SAMPLES / "syslog-anyconnect-states").prerequisite_warnings() == []
    (warning,) = source_for(tmp_path / "syslog").prerequisite_warnings()
    assert "does not exist" in warning and "journal" in warning
