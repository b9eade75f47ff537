"""WireGuard source on WireGuard for Windows' ring log (tests/data/os/windows/wireguard).

The texts and times are real lines users posted from the client's log (provenance in
tests/data/os/PROVENANCE.md); ``ringlog_writer`` stores them in a log.bin as
ringlogger.go does. The drop, the disconnection and the service error were in no
capture found: their lines are written from wireguard-nt's and wireguard-windows' format
strings (``reconstructed`` below).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.helpers import IDENTITY, runtime_settings
from tests.unit.ringlog_writer import RingWriter, exported_lines
from tests.unit.source_samples import WINDOWS
from tests.unit.wire_events import contract_events
from xlapulse.collectors.sources.base import Collected, SourceError
from xlapulse.collectors.sources.wireguard.log_source import WireguardLogSource
from xlapulse.collectors.sources.wireguard.ringlog import FILE_BYTES
from xlapulse.collectors.sources.wireguard.settings import WireguardSettings
from xlapulse.collectors.sources.wireguard.source import WireguardSource, build, reads_log

CAPTURES = WINDOWS / "wireguard"
TUNNLTO = "TestingWireGuardServer-VyasaSpan"
WAN = "<WAN IP Ommited from log output>"
MIAMI = "[TUN] [USA-Miami] "


def source(path: Path) -> WireguardLogSource:
    settings = WireguardSettings(enabled=True, read="log", log_path=str(path))
    return WireguardLogSource(runtime_settings(settings), IDENTITY)


def outcomes(collected: Collected) -> list[tuple]:
    return [
        (e.state, e.reason, e.vpn_gateway, e.session_duration_s, e.event_time.isoformat())
        for e in contract_events(collected)
    ]


def one_round(tmp_path: Path, capture: str, next_index: int = 0) -> Collected:
    ring = RingWriter(next_index)
    ring.write_all(exported_lines(CAPTURES / capture))
    return source(ring.save(tmp_path / "log.bin")).collect(None)


EXPECTED = {
    # WireGuard 0.5.3 (WireGuardNT 0.10) starting: steps only, no session yet
    "wg-easy-472-start.log": [],
    "angristan-349-start.log": [],
    # Startup complete, then no answer: failed once, not at every retry; the shutdown of a
    # tunnel that never came up is no disconnection
    "angristan-349-handshake-failing.log": [
        (
            "failed",
            "handshake-timeout",
            "USA-Miami (140.82.26.208)",
            None,
            "2022-06-11T18:41:54.154956+00:00",
        )
    ],
    # WireGuard 0.3.5 on wireguard-go: the peer named by key, no endpoint in the line
    "nyr-36-wireguard-go-start.log": [],
    "nyr-36-wireguard-go-retrying.log": [
        ("failed", "handshake-timeout", "client", None, "2021-02-10T16:08:58.676514+00:00")
    ],
    "hassio-66-wireguard-go-connected.log": [
        ("connected", None, "******", None, "2021-01-29T18:47:53.257541+00:00")
    ],
    # read from the middle of a session: its first completed handshake is the connection;
    # the rekeys after it are routine
    "tunnlto-230-initiator-rekeys.log": [
        ("connected", None, TUNNLTO, None, "2024-10-20T02:31:27.308444+00:00")
    ],
    "tunnlto-230-responder-rekeys.log": [
        ("connected", None, f"{TUNNLTO} ({WAN})", None, "2024-10-22T22:50:39.814000+00:00")
    ],
}


@pytest.mark.parametrize("capture", sorted(EXPECTED))
def test_each_real_capture_maps_as_expected_and_no_line_is_left_unread(tmp_path, capture):
    collected = one_round(tmp_path, capture)
    assert outcomes(collected) == EXPECTED[capture]
    assert collected.unparsed.counts == {}
    assert collected.skipped_records == 0


def test_every_capture_is_on_disk_and_expected():
    assert sorted(p.name for p in CAPTURES.glob("*.log")) == sorted(EXPECTED)


def test_the_ring_wraps_around_its_last_slot(tmp_path):
    """Lines 2040 to 2054: the retry lands in slot 2047 or past it, read in index order."""
    collected = one_round(tmp_path, "angristan-349-handshake-failing.log", next_index=2040)
    assert outcomes(collected) == EXPECTED["angristan-349-handshake-failing.log"]


def test_every_line_is_read_once_across_rounds_and_wrap_around(tmp_path):
    lines = exported_lines(CAPTURES / "angristan-349-handshake-failing.log")
    ring, path = RingWriter(next_index=2040), tmp_path / "log.bin"
    ring.write_all(lines[:7])  # slots 2040 .. 2046: up to the second handshake initiation
    first = source(ring.save(path)).collect(None)
    assert first.events == []
    ring.write_all(lines[7:])  # slots 2047, 0 .. 6: the retries, shutdown and restart
    second = source(ring.save(path)).collect(first.bookmark)
    assert outcomes(second) == EXPECTED["angristan-349-handshake-failing.log"]
    third = source(ring.save(path)).collect(second.bookmark)
    assert third.events == [] and third.unparsed.counts == {}


def test_a_line_stamped_before_the_newest_read_is_still_read(tmp_path):
    """The driver stamps its lines itself: WireGuardNT's ``Interface created`` lands after
    a line stamped 215 ms later (wg-easy#472). A handshake line written after the round
    but stamped before its newest line must not be lost."""
    start = exported_lines(CAPTURES / "wg-easy-472-start.log")
    ring, path = RingWriter(), tmp_path / "log.bin"
    ring.write_all(start[:8])  # ... Enabling firewall rules, 10:34:50.409538
    first = source(ring.save(path)).collect(None)
    ring.write(start[8][0], "[TUN] [Test] Keypair 1 created for peer 1")  # 10:34:50.194580
    second = source(ring.save(path)).collect(first.bookmark)
    assert [e.state for e in contract_events(second)] == ["connected"]


def test_a_line_being_written_is_read_next_round(tmp_path):
    lines = exported_lines(CAPTURES / "hassio-66-wireguard-go-connected.log")
    ring, path = RingWriter(), tmp_path / "log.bin"
    ring.write_all(lines[:3])
    first = source(ring.save(path)).collect(None)
    writing = ring.write(*lines[3])  # Received handshake response: its time not yet stored
    offset = ring.slot_offset(writing)
    stamp = bytes(ring.data[offset : offset + 8])
    ring.data[offset : offset + 8] = bytes(8)
    ring.write_all(lines[4:])
    second = source(ring.save(path)).collect(first.bookmark)  # stops at the line
    assert first.events == second.events == [] and second.unparsed.counts == {}
    ring.data[offset : offset + 8] = stamp
    third = source(ring.save(path)).collect(second.bookmark)
    assert [e.state for e in contract_events(third)] == ["connected"]
    assert third.unparsed.counts == {}


def test_a_line_left_empty_a_round_later_is_counted_and_passed(tmp_path):
    ring, path = RingWriter(), tmp_path / "log.bin"
    ring.write_all(exported_lines(CAPTURES / "hassio-66-wireguard-go-connected.log"))
    ring.data[ring.slot_offset(3) : ring.slot_offset(3) + 8] = bytes(8)  # never finished
    ring.save(path)
    waiting = source(path).collect(json_bookmark(cursor=3, newest_ns=0))
    assert waiting.unparsed.counts == {} and waiting.events == []
    passed = source(path).collect(waiting.bookmark)
    assert passed.unparsed.counts == {"wg-log-line-unreadable": 1}
    assert source(path).collect(passed.bookmark).unparsed.counts == {}


def json_bookmark(cursor: int, newest_ns: int) -> str:
    return f'{{"ring": {{"cursor": {cursor}, "newest_ns": {newest_ns}}}, "tunnels": {{}}}}'


def test_more_lines_than_the_ring_holds_between_rounds_are_counted(tmp_path):
    ring, path = RingWriter(), tmp_path / "log.bin"
    ring.write(1_654_970_000 * 10**9, f"{MIAMI}Startup complete")
    first = source(ring.save(path)).collect(None)
    for n in range(2100):
        ring.write((1_654_970_001 + n) * 10**9, f"{MIAMI}Sending keepalive packet to peer 1")
    second = source(ring.save(path)).collect(first.bookmark)
    assert second.unparsed.counts == {"wg-log-lines-overwritten": 2100 - 2048}


def test_a_ring_reset_to_a_lower_index_is_read_from_the_newest_time_on(tmp_path):
    lines = exported_lines(CAPTURES / "angristan-349-handshake-failing.log")
    ring, path = RingWriter(next_index=500), tmp_path / "log.bin"
    ring.write_all(lines[:8])  # ... the first retry: failed
    first = source(ring.save(path)).collect(None)
    assert len(first.events) == 1
    fresh = RingWriter()  # the client zeroed the file: index 0, the old lines again, then new
    fresh.write_all(lines)
    second = source(fresh.save(path)).collect(first.bookmark)
    assert second.events == [] and second.unparsed.counts == {}


def test_a_corrupt_header_is_a_clear_error_and_the_next_round_reads_on(tmp_path):
    path = tmp_path / "log.bin"
    path.write_bytes(b"\x00" * FILE_BYTES)
    with pytest.raises(SourceError, match="not a WireGuard ring log: magic 0x00000000"):
        source(path).collect(None)
    path.write_bytes(b"\xbe\xba")
    with pytest.raises(SourceError, match="truncated: 2 bytes"):
        source(path).collect(None)
    with pytest.raises(SourceError, match="does not exist"):
        source(tmp_path / "missing.bin").collect(None)
    assert outcomes(one_round(tmp_path, "nyr-36-wireguard-go-retrying.log"))  # then read


def test_a_file_cut_short_is_read_as_far_as_it_goes_and_counted(tmp_path):
    ring, path = RingWriter(), tmp_path / "log.bin"
    ring.write_all(exported_lines(CAPTURES / "angristan-349-handshake-failing.log"))
    path.write_bytes(bytes(ring.data[: ring.slot_offset(9)]))  # lines 0..8: the retry in
    collected = source(path).collect(None)
    assert [e.state for e in contract_events(collected)] == ["failed"]
    assert collected.unparsed.counts == {"wg-log-file-truncated": 1}
    assert "9 of 2048 lines" in collected.unparsed.excerpts["wg-log-file-truncated"]


def test_a_corrupt_line_is_counted_and_skipped_and_the_bookmark_moves_on(tmp_path):
    ring, path = RingWriter(), tmp_path / "log.bin"
    ring.write_all(exported_lines(CAPTURES / "angristan-349-handshake-failing.log"))
    ring.data[ring.slot_offset(2) + 8] = ord("x")  # text without its [tag]
    negative = (-5).to_bytes(8, "little", signed=True)
    ring.data[ring.slot_offset(4) : ring.slot_offset(4) + 8] = negative  # time out of range
    collected = source(ring.save(path)).collect(None)
    assert collected.unparsed.counts == {"wg-log-line-unreadable": 2}
    assert [e.state for e in contract_events(collected)] == ["failed"]
    again = source(path).collect(collected.bookmark)
    assert again.unparsed.counts == {} and again.events == []


def test_an_unknown_tunnel_text_is_counted_as_unparsed_and_other_lines_ignored(tmp_path):
    ring, path = RingWriter(), tmp_path / "log.bin"
    at = 1_654_973_000 * 10**9
    for text in (
        f"{MIAMI}Handshake for peer 1 (140.82.26.208:59339) failed in a new way",
        "[MGR] Starting UI process for user 'someone@PC' for session 1",
        f"{MIAMI}Sending keepalive packet to peer 1 (140.82.26.208:59339)",
        f"{MIAMI}Interface down",
        f"{MIAMI}cmd> route: the operation failed",
    ):
        at += 10**9
        ring.write(at, text)
    collected = source(ring.save(path)).collect(None)
    assert collected.events == []
    assert collected.unparsed.counts == {"wg-log-line-unrecognised": 1}
    assert "failed in a new way" in collected.unparsed.excerpts["wg-log-line-unrecognised"]


def test_drop_disconnection_and_service_error_reconstructed_from_the_format_strings(tmp_path):
    """Connected on the real responder lines; then, reconstructed: timers.c's
    ExpiredNewHandshake line (dropped), a completed handshake (connected again), the
    tunnel service's ``Shutting down`` (disconnected), and a start that fails on DNS."""
    tunnel = f"[TUN] [{TUNNLTO}] "
    ring, path = RingWriter(), tmp_path / "log.bin"
    ring.write_all(exported_lines(CAPTURES / "tunnlto-230-responder-rekeys.log"))
    at = 1_729_637_460 * 10**9  # 2024-10-22T22:51:00Z
    for seconds, text in (
        (30, f"Retrying handshake with peer 1 ({WAN}:51823) because we stopped hearing back "
             "after 15 seconds"),
        (35, f"Handshake for peer 1 ({WAN}:51823) did not complete after 5 seconds, retrying "
             "(try 2)"),
        (40, "Keypair 28 created for peer 1"),
        (100, "Shutting down"),
        (200, "Starting WireGuard/0.5.3 (Windows 10.0.22631; amd64)"),
        (201, "Unable to resolve one or more DNS hostname endpoints: no such host"),
        (201, "Shutting down"),
    ):  # fmt: skip
        ring.write(at + seconds * 10**9, tunnel + text)
    collected = source(ring.save(path)).collect(None)
    gateway = f"{TUNNLTO} ({WAN})"
    assert [(s, r, g, d) for s, r, g, d, _ in outcomes(collected)] == [
        ("connected", None, gateway, None),
        ("dropped", "stopped-hearing-back", gateway, 50),
        ("connected", None, gateway, None),
        ("disconnected", None, gateway, 60),
        ("failed", "Unable to resolve one or more DNS hostname endpoints", TUNNLTO, None),
    ]
    assert collected.unparsed.counts == {}


def test_giving_up_fails_a_tunnel_not_yet_reported_and_drops_one_up(tmp_path):
    ring, path = RingWriter(), tmp_path / "log.bin"
    gave_up = (
        "Handshake for peer 1 (140.82.26.208:59339) did not complete after 20 attempts, giving up"
    )
    at = 1_654_973_000 * 10**9
    for seconds, text in ((0, "Keypair 1 created for peer 1"), (90, gave_up), (200, gave_up)):
        ring.write(at + seconds * 10**9, MIAMI + text)
    collected = source(ring.save(path)).collect(None)
    assert [(s, r, d) for s, r, _, d, _ in outcomes(collected)] == [
        ("connected", None, None),
        ("dropped", "handshake-gave-up", 90),
    ]


def test_the_log_is_read_on_windows_or_where_a_path_is_set_and_never_with_wg(tmp_path):
    def settings(**values):
        return runtime_settings(WireguardSettings(enabled=True, **values))

    assert reads_log(settings(), platform="win32")
    assert not reads_log(settings(), platform="linux")
    assert reads_log(settings(log_path=str(tmp_path / "log.bin")), platform="linux")
    assert not reads_log(settings(read="wg"), platform="win32")
    assert reads_log(settings(read="log"), platform="linux")
    assert isinstance(build(settings(read="log"), IDENTITY), WireguardLogSource)
    assert isinstance(build(settings(read="wg"), IDENTITY), WireguardSource)
