"""GlobalProtect source on real pan_gp_event.log lines (tests/data/os/globalprotect).

The samples' PROVENANCE.md says where each block of lines comes from. Times are read as
UTC here so the expected times are the log's own; the source dates them in the
computer's time zone by default.
"""

from __future__ import annotations

import shutil
from datetime import UTC
from pathlib import Path

import pytest

from tests.unit.helpers import IDENTITY, runtime_settings
from tests.unit.source_samples import DATA
from tests.unit.wire_events import contract_events
from xlapulse.collectors.sources.base import SourceError
from xlapulse.collectors.sources.globalprotect.settings import GlobalProtectSettings
from xlapulse.collectors.sources.globalprotect.source import GlobalProtectSource, parse_line

SAMPLES = DATA / "os" / "globalprotect"


def source_for(path: Path) -> GlobalProtectSource:
    settings = runtime_settings(GlobalProtectSettings(enabled=True, path=str(path)))
    return GlobalProtectSource(settings, IDENTITY, UTC)


def outcomes(collected) -> list[tuple]:
    return [
        (e.event_time.isoformat(), e.state, e.reason, e.session_duration_s, e.vpn_gateway)
        for e in contract_events(collected)
    ]


def test_auth_failure_unreachable_gateway_and_connect_from_a_windows_collection():
    collected = source_for(SAMPLES / "pan_gp_event-windows-lab.log").collect(None)
    assert outcomes(collected) == [
        ("2026-08-18T13:31:17.897000+00:00", "failed", "portal-authentication-failed", None, None),
        ("2026-08-19T03:13:25.095000+00:00", "failed", "gateway-unreachable", None, None),
        ("2026-08-19T03:21:26.217000+00:00", "connected", None, None, "gp.tpmlab.local"),
    ]
    assert collected.unparsed.total == 0 and collected.skipped_records == 0


def test_a_flapping_tunnel_is_each_drop_and_each_restore():
    collected = source_for(SAMPLES / "pan_gp_event-macos-flapping.log").collect(None)
    assert outcomes(collected) == [
        ("2026-08-24T13:10:28+00:00", "connected", None, None, "bfs.example.com"),
        # "Tunnel is restored." while up, in the same millisecond as the drop: no event
        ("2026-08-24T15:14:08+00:00", "dropped", "packet sending failure", 7420, "bfs.example.com"),
        ("2026-08-24T15:14:11+00:00", "connected", "tunnel-restored", None, "bfs.example.com"),
        ("2026-08-24T15:14:11+00:00", "dropped", "packet sending failure", 0, "bfs.example.com"),
    ]
    assert collected.unparsed.total == 0


def test_a_tunnel_lost_without_a_down_line_is_dropped_when_the_app_starts_restoring():
    collected = source_for(SAMPLES / "pan_gp_event-reconnect-unreachable.log").collect(None)
    assert [(state, reason, duration) for _, state, reason, duration, _ in outcomes(collected)] == [
        ("connected", None, None),
        ("dropped", "restoring-connection", 7221),  # the second "restoring" line adds nothing
        ("failed", "gateway-unreachable", None),
    ]


def test_the_log_is_followed_across_rounds_and_rotation(tmp_path):
    log = tmp_path / "pan_gp_event.log"
    lines = (SAMPLES / "pan_gp_event-macos-flapping.log").read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:7]) + lines[7].rstrip("\n"))  # the 8th line half-written
    source = source_for(log)
    first = source.collect(None)
    assert [e.state for e in contract_events(first)] == ["connected"]
    with log.open("a") as growing:
        growing.write("\n" + "".join(lines[8:9]))
    second = source.collect(first.bookmark)
    # the tunnel's start came from the bookmark: the drop has its duration
    assert outcomes(second) == [
        ("2026-08-24T15:14:08+00:00", "dropped", "packet sending failure", 7420, "bfs.example.com")
    ]
    assert source.collect(second.bookmark).events == []  # nothing new, nothing repeated
    rotated = tmp_path / "pan_gp_event.log.old"
    log.rename(rotated)
    log.write_text(lines[10])  # a new file: read from its start
    third = source.collect(second.bookmark)
    assert [(e.state, e.reason) for e in contract_events(third)] == [
        ("connected", "tunnel-restored")
    ]


def test_unknown_tunnel_and_error_lines_are_counted_not_dropped(tmp_path):
    log = tmp_path / "pan_gp_event.log"
    shutil.copy(SAMPLES / "pan_gp_event-windows-lab.log", log)
    with log.open("a") as extra:
        extra.write("08/19/2026 09:00:00:000 [Info ]: Tunnel is disconnected by user alice.\n")
        extra.write("08/19/2026 09:00:01:000 [Error]: Some new error of a later release\n")
        extra.write("08/19/2026 09:00:02:000 [Info ]: Network discovery started.\n")
        extra.write("not an event log line\n")
    collected = source_for(log).collect(None)
    assert collected.unparsed.counts == {"gp-event-unrecognised": 2}
    excerpt = collected.unparsed.excerpts["gp-event-unrecognised"]
    assert "Tunnel is disconnected by user u_" in excerpt and "alice" not in excerpt
    assert collected.skipped_records == 1
    assert len(collected.events) == 3


def test_two_digit_years_and_dotted_milliseconds_are_read():
    line = parse_line("08/19/26 03:21:26.217 [Info ]: Tunnel is restored.", UTC)
    assert line is not None
    assert (line.at.isoformat(), line.level, line.message) == (
        "2026-08-19T03:21:26.217000+00:00",
        "Info",
        "Tunnel is restored.",
    )


def test_a_missing_log_names_the_file_and_the_product(tmp_path):
    with pytest.raises(SourceError, match=r"pan_gp_event\.log does not exist.*GlobalProtect"):
        source_for(tmp_path / "pan_gp_event.log").collect(None)


def test_collector_check_names_a_missing_event_log(tmp_path):
    assert source_for(SAMPLES / "pan_gp_event-windows-lab.log").prerequisite_warnings() == []
    (warning,) = source_for(tmp_path / "pan_gp_event.log").prerequisite_warnings()
    assert "is GlobalProtect installed?" in warning
