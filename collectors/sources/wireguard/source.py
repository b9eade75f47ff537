"""WireGuard source (Linux, Windows): tunnels that came up, dropped or never completed a
handshake.

Reads: ``wg show all dump`` (wireguard-tools; root or CAP_NET_ADMIN; on Windows the
``wg.exe`` WireGuard for Windows installs, run as Administrator or LocalSystem: the same
wireguard-tools, whose ``ipc-windows.h`` reads the WireGuardNT adapters the Windows client
creates and whose ``dump_print`` writes the same lines on every platform), one line per
interface (``<interface> <private-key> <public-key> <listen-port> <fwmark>``, tab
separated; the private key is skipped at once and never kept) and one per peer
(``<interface> <public-key> <preshared-key> <endpoint> <allowed-ips>
<latest-handshake> <transfer-rx> <transfer-tx> <persistent-keepalive>``), as
wireguard-tools' ``dump_print`` writes them for kernel WireGuard and for wireguard-go.
Writes: vpn_session events; the bookmark keeps, per peer (its public key hashed), whether
it was up, since when, and its transfer counters. A peer the source raises on (a
handshake time out of range) is counted as ``rejected (...)`` and keeps its state.

WireGuard has no connection, only handshakes: a session is up while its last handshake
is younger than ``RejectAfterTime`` (180 s, wireguard-go ``device/constants.go``; the
kernel's ``REJECT_AFTER_TIME``). So, per round:

* a handshake younger than 180 s where the peer was not up: **connected** (at the time of
  that handshake);
* a peer with ``persistent-keepalive`` renews its handshake every ``RekeyAfterTime``
  (120 s) while the other side answers: its last handshake older than 180 s means the
  other side stopped answering: **dropped**, with the session's duration. A peer without
  keepalive may simply be idle; it is dropped only when it sent data since the last
  round and received none;
* a peer that never completed a handshake (``0``) while it keeps sending (handshake
  initiations count in ``transfer-tx``): **failed**, once, until a handshake succeeds;
* a peer or interface that is gone (``wg-quick down``) while up: **disconnected**.

One input per computer, never both (``read``, :func:`reads_log`): on Windows, or where
``log_path`` is set, :func:`build` gives :class:`~.log_source.WireguardLogSource`, which
reads WireGuard for Windows' ring log instead of running wg. The log says the same four
states of the same peers, at the time they happened rather than at the next round, and
why a session failed or dropped (the handshake retries, the tunnel service's error),
which the dump cannot; read together they would report each session twice, under other
event ids. ``read = "wg"`` keeps ``wg.exe`` on Windows (e.g. where the log is not
readable).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from xlapulse.collectors.contract.wire import telemetry_event
from xlapulse.collectors.sources.base import (
    Collected,
    CommandRunner,
    Identity,
    Source,
    one_record,
    run_command,
)
from xlapulse.collectors.sources.wireguard.gateway import gateway
from xlapulse.collectors.sources.wireguard.log_source import WireguardLogSource

if TYPE_CHECKING:
    from xlapulse.collectors.sources.wireguard.settings import WireguardSettings

REJECT_AFTER_S = 180
#: where WireGuard for Windows installs wg.exe (its installer's default folder)
WINDOWS_WG = r"C:\Program Files\WireGuard\wg.exe"
PEER_FIELDS = 9
INTERFACE_FIELDS = 5


@dataclass(frozen=True)
class Peer:
    """One peer line of ``wg show all dump``."""

    interface: str
    key_hash: str
    endpoint: str | None
    latest_handshake_s: int
    rx_bytes: int
    tx_bytes: int
    keepalive: bool

    @property
    def gateway(self) -> str:
        return gateway(self.interface, self.endpoint)


def parse_dump(text: str, unparsed_lines: list[str]) -> list[Peer]:
    """The peers of ``wg show all dump``; a line of another shape is added to
    ``unparsed_lines`` (with the key fields left out)."""
    peers = []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) == INTERFACE_FIELDS or not line.strip():
            continue  # an interface line: its private key is not looked at
        if len(fields) != PEER_FIELDS or not all(f.isascii() and f.isdigit() for f in fields[5:8]):
            unparsed_lines.append(f"{len(fields)} fields, interface {fields[0][:20]}")
            continue
        interface, public_key, _, endpoint, _, handshake, rx, tx, keepalive = fields
        peers.append(
            Peer(
                interface=interface,
                key_hash=hashlib.sha256(public_key.encode()).hexdigest()[:16],
                endpoint=None if endpoint == "(none)" else endpoint,
                latest_handshake_s=int(handshake),
                rx_bytes=int(rx),
                tx_bytes=int(tx),
                keepalive=keepalive not in ("off", "0"),
            )
        )
    return peers


class WireguardSource(Source):
    """Runs ``wg show all dump`` and compares each peer with the last round."""

    name = "wireguard"
    event_types = ("vpn_session",)
    description = "WireGuard: tunnels connected, dropped (no handshake for 180 s), failed"

    def __init__(
        self,
        settings: WireguardSettings,
        identity: Identity,
        runner: CommandRunner,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.identity = identity
        self.runner = runner
        self.clock = clock

    def collect(self, bookmark: str | None) -> Collected:
        saved: dict[str, dict] = json.loads(bookmark) if bookmark else {}
        output = self.runner([wg_command(self.settings.wg), "show", "all", "dump"], 30.0)
        now_s = int(self.clock())
        collected = Collected(unparsed=self.identity.unparsed())
        broken: list[str] = []
        peers = parse_dump(output, broken)
        for line in broken:
            collected.unparsed.add("wg-dump-line-unrecognised", line)
        state: dict[str, dict] = {}
        for peer in peers:
            key = f"{peer.interface}|{peer.key_hash}"
            state[key] = before = saved.get(key, {})  # kept if the peer cannot be read
            with one_record(collected.unparsed, f"peer of {peer.interface[:20]}"):
                state[key] = self._next(peer, before, now_s, collected.events)
        for key, before in saved.items():
            if key not in state and before.get("up_since"):
                with one_record(collected.unparsed, f"peer of {key.split('|')[0][:20]}"):
                    collected.events.append(self._gone(key, before, now_s))
        collected.bookmark = json.dumps(state)
        return collected

    def _next(self, peer: Peer, before: dict, now_s: int, events: list[dict]) -> dict:
        fresh = 0 < now_s - peer.latest_handshake_s <= REJECT_AFTER_S or (
            peer.latest_handshake_s and peer.latest_handshake_s >= now_s
        )
        after = {
            "gateway": peer.gateway,
            "rx": peer.rx_bytes,
            "tx": peer.tx_bytes,
            "up_since": before.get("up_since"),
            "failed": before.get("failed", False),
        }
        if fresh and not after["up_since"]:
            after["up_since"], after["failed"] = peer.latest_handshake_s, False
            events.append(self._event(peer, peer.latest_handshake_s, "connected"))
        elif after["up_since"] and not fresh and self._stalled(peer, before):
            events.append(self._event(peer, now_s, "dropped", after["up_since"]))
            after["up_since"] = None
        elif not peer.latest_handshake_s and not after["failed"] and self._sending(peer, before):
            after["failed"] = True
            events.append(self._event(peer, now_s, "failed"))
        return after

    @staticmethod
    def _stalled(peer: Peer, before: dict) -> bool:
        """Up no longer: keepalive would have renewed the handshake, or data went out
        since the last round and nothing came back."""
        if peer.keepalive:
            return True
        return peer.tx_bytes > before.get("tx", 0) and peer.rx_bytes == before.get("rx", 0)

    @staticmethod
    def _sending(peer: Peer, before: dict) -> bool:
        return "tx" in before and peer.tx_bytes > before["tx"]

    def _event(self, peer: Peer, at_s: int, state: str, up_since_s: int | None = None) -> dict:
        reason = {"dropped": "handshake-expired", "failed": "no-handshake"}.get(state)
        return telemetry_event(
            "vpn_session",
            event_id=self.identity.event_id(
                "wireguard", f"{peer.interface}|{peer.key_hash}|{state}|{at_s}"
            ),
            event_time=datetime.fromtimestamp(at_s, UTC),
            user_id=self.identity.user_id,
            device_id=self.identity.device_id,
            state=state,
            reason=reason,
            session_duration_s=max(0, at_s - up_since_s) if up_since_s else None,
            vpn_gateway=peer.gateway,
        )

    def _gone(self, key: str, before: dict, now_s: int) -> dict:
        return telemetry_event(
            "vpn_session",
            event_id=self.identity.event_id("wireguard", f"{key}|disconnected|{now_s}"),
            event_time=datetime.fromtimestamp(now_s, UTC),
            user_id=self.identity.user_id,
            device_id=self.identity.device_id,
            state="disconnected",
            session_duration_s=max(0, now_s - before["up_since"]),
            vpn_gateway=before.get("gateway"),
        )


def wg_command(configured: str, platform: str = sys.platform) -> str:
    """The wg to run: the configured path, where ``wg`` on Windows is the client's wg.exe
    (WireGuard for Windows does not put it on the PATH of a service)."""
    if platform == "win32" and configured == "wg":
        return WINDOWS_WG
    return configured


def reads_log(settings: WireguardSettings, platform: str = sys.platform) -> bool:
    """Whether the ring log is read (and wg not run): ``read``, where ``auto`` means on
    Windows or when ``log_path`` is set."""
    if settings.read == "auto":
        return platform == "win32" or bool(settings.log_path)
    return settings.read == "log"


def build(settings: WireguardSettings, identity: Identity) -> Source:
    if reads_log(settings):
        return WireguardLogSource(settings, identity)
    return WireguardSource(settings, identity, run_command)
