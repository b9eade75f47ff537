"""FortiClient source on real FortiClient log lines (tests/data/os/forticlient).

A Windows FortiClient 6.0.4 log of an SSL VPN connection and a Linux FortiClient 7.4
ipsecvpn.log of a failing IKEv2 initiation, both posted to openfortivpn's issue
tracker (PROVENANCE.md there). Windows times are read as UTC here; Linux lines carry
their own offset.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from tests.unit.helpers import IDENTITY, runtime_settings
from tests.unit.source_samples import DATA
from tests.unit.wire_events import contract_events
from xlapulse.collectors.sources.base import SourceError
from xlapulse.collectors.sources.forticlient.settings import FortiClientSettings
from xlapulse.collectors.sources.forticlient.source import FortiClientSource, fields

SAMPLES = DATA / "os" / "forticlient"
WINDOWS = SAMPLES / "forticlient-6.0.4-windows-sslvpn.log"
LINUX = SAMPLES / "forticlient-7.4-linux-ipsecvpn.log"


def source_for(*paths: Path) -> FortiClientSource:
    settings = FortiClientSettings(enabled=True, paths=[str(path) for path in paths])
    return FortiClientSource(runtime_settings(settings), IDENTITY, UTC)


def outcomes(collected) -> list[tuple]:
    return [
        (e.event_time.isoformat(), e.state, e.reason, e.vpn_gateway)
        for e in contract_events(collected)
    ]


def test_the_vpn_traffic_record_of_a_windows_ssl_vpn_connect_is_connected():
    collected = source_for(WINDOWS).collect(None)
    assert outcomes(collected) == [
        ("2020-08-08T07:22:58+00:00", "connected", None, "vpn2.case.edu")
    ]
    # "FortiShield is disabled" (warning, not about the VPN), the service start and the
    # daemon's debug lines are no event and not unparsed
    assert collected.unparsed.total == 0 and collected.skipped_records == 0


def test_a_failing_ikev2_initiation_on_linux_is_one_failure_in_its_own_time_zone():
    collected = source_for(LINUX).collect(None)
    assert outcomes(collected) == [
        (
            "2026-04-20T12:47:35.515000+02:00",
            "failed",
            "ike-initiation-failed",
            "<ip.address.censored>",
        )
    ]


def test_retries_fail_once_until_the_next_connect(tmp_path):
    log = tmp_path / "ipsecvpn.log"
    failure = LINUX.read_text().splitlines()[10]
    retry = failure.replace("12:47:35.515", "12:48:35.577")
    log.write_text(failure + "\n" + retry + "\n")
    source = source_for(log)
    first = source.collect(None)
    assert [e.state for e in contract_events(first)] == ["failed"]
    with log.open("a") as growing:
        growing.write(retry.replace("12:48:35.577", "12:49:35.601") + "\n")
    assert source.collect(first.bookmark).events == []  # still the same outage


def test_both_files_are_followed_and_their_lines_ordered_by_time(tmp_path):
    windows, linux = tmp_path / "fct.log", tmp_path / "ipsecvpn.log"
    windows.write_text(WINDOWS.read_text())
    linux.write_text(LINUX.read_text())
    collected = source_for(linux, windows).collect(None)
    assert [e.state for e in contract_events(collected)] == ["connected", "failed"]


def test_a_vpn_disconnect_record_and_unknown_errors_are_counted_not_dropped(tmp_path):
    log = tmp_path / "fct.log"
    connect = WINDOWS.read_text().splitlines()[4]
    disconnect = connect.replace("threat=connect", "threat=disconnect").replace(
        "07:22:58", "09:01:10"
    )
    log.write_text(
        connect
        + "\n"
        + disconnect
        + "\n"
        + '<log time="08/08/2020 09:02:00" level="3" source="16">FortiSslvpn: 1: '
        + "tunnel is down, user=aar93</log>\n"
        + "20200808 09:03:00.000 TZ=+0000 [sslvpn:EROR] vpn_main:1 unexpected state\n"
        + "not a FortiClient line\n"
    )
    collected = source_for(log).collect(None)
    assert [e.state for e in contract_events(collected)] == ["connected"]
    assert collected.unparsed.counts == {
        "forticlient-vpn-record-unrecognised": 1,
        "forticlient-line-unrecognised": 2,
    }
    excerpts = " ".join(collected.unparsed.excerpts.values())
    assert "aar93" not in excerpts  # user names pseudonymized in the excerpts
    assert collected.skipped_records == 1


def test_fortinet_fields_are_read_with_quoted_values():
    assert fields('id=96602 msg="SSLVPN service started successfully." vpntype=ssl') == {
        "id": "96602",
        "msg": "SSLVPN service started successfully.",
        "vpntype": "ssl",
    }


def test_no_configured_or_existing_log_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="none of FortiClient's logs exists"):
        source_for(tmp_path / "missing.log").collect(None)
    settings = runtime_settings(FortiClientSettings(enabled=True))
    empty = FortiClientSource(settings, IDENTITY, UTC)
    empty.paths = []  # as on Windows, where there is no default path
    with pytest.raises(SourceError, match="paths is empty"):
        empty.collect(None)
    assert "paths is empty" in empty.prerequisite_warnings()[0]
    assert "is FortiClient installed?" in source_for(tmp_path / "x.log").prerequisite_warnings()[0]
    assert source_for(WINDOWS).prerequisite_warnings() == []
