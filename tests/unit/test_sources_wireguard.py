"""WireGuard source on a captured run of wireguard-go and wg (tests/data/os/linux/wireguard).

Round 1: two peers just completed their handshake; then one side was killed and a third
peer points at a port nobody listens on. The README there says how it was made.
"""

from __future__ import annotations

import json

from tests.unit.helpers import IDENTITY, runtime_settings
from tests.unit.source_samples import LINUX
from tests.unit.wire_events import contract_events
from xlapulse.collectors.sources import SOURCES
from xlapulse.collectors.sources.wireguard.settings import WireguardSettings
from xlapulse.collectors.sources.wireguard.source import WireguardSource, parse_dump, wg_command

DATA = LINUX / "wireguard"
TIMES = json.loads((DATA / "capture-times.json").read_text())


def rounds() -> list[list[tuple]]:
    """The events of each captured round, the bookmark carried from one to the next."""
    results, bookmark = [], None
    for name, captured_at in TIMES.items():
        text = (DATA / name).read_text()
        source = WireguardSource(
            runtime_settings(WireguardSettings(enabled=True)),
            IDENTITY,
            lambda argv, timeout_s, text=text: text,
            clock=lambda captured_at=captured_at: captured_at,
        )
        collected = source.collect(bookmark)
        assert collected.unparsed.total == 0
        bookmark = collected.bookmark
        results.append(
            [
                (
                    e.state,
                    e.vpn_gateway,
                    e.reason,
                    e.session_duration_s,
                    int(e.event_time.timestamp()),
                )
                for e in contract_events(collected)
            ]
        )
    return results


def test_connected_disconnected_failed_and_dropped_on_a_real_run():
    assert rounds() == [
        [  # both handshakes completed at 1796540563
            ("connected", "wgxb (127.0.0.1)", None, None, 1796540563),
            ("connected", "wgxa (127.0.0.1)", None, None, 1796540563),
        ],
        [("disconnected", "wgxb (127.0.0.1)", None, 36, 1796540599)],  # wgxb is gone
        [("failed", "wgxa (127.0.0.1)", "no-handshake", None, 1796540689)],  # sent, no answer
        # keepalive 25 s and the last handshake 216 s old (> 180 s): the other side is gone
        [("dropped", "wgxa (127.0.0.1)", "handshake-expired", 216, 1796540779)],
        [],  # nothing new: each outcome is reported once
    ]


def test_the_private_key_is_never_read_and_peers_are_kept_by_hash():
    text = (DATA / "round-1.dump").read_text().replace("(private key removed)", "SECRETKEY")
    broken: list[str] = []
    peers = parse_dump(text, broken)
    assert broken == [] and len(peers) == 2
    assert "SECRETKEY" not in repr(peers)
    assert all(len(peer.key_hash) == 16 and "=" not in peer.key_hash for peer in peers)


def test_a_line_of_another_shape_is_counted():
    source = WireguardSource(
        runtime_settings(WireguardSettings(enabled=True)),
        IDENTITY,
        lambda argv, timeout_s: "wg0\tkey\t(none)\tnot-a-number\n",
        clock=lambda: 0,
    )
    collected = source.collect(None)
    assert collected.unparsed.counts == {"wg-dump-line-unrecognised": 1}


def test_on_windows_wg_is_the_clients_wg_exe_and_a_configured_path_is_kept() -> None:
    """WireGuard for Windows installs wireguard-tools' wg.exe (its ``ipc-windows.h``
    reads the client's WireGuardNT adapters; ``dump_print`` is the same code), but not on
    a service's PATH."""
    assert wg_command("wg", platform="win32") == r"C:\Program Files\WireGuard\wg.exe"
    assert wg_command(r"D:\Tools\wg.exe", platform="win32") == r"D:\Tools\wg.exe"
    assert wg_command("wg", platform="linux") == "wg"
    assert "win32" in SOURCES["wireguard"].platforms
