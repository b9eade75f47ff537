"""The texts a WireGuard for Windows tunnel writes to its ring log, as vpn_session events.

Reads: the ring log's lines (``ringlog.py``) of the tunnel services, ``[TUN] [<tunnel>]
<message>`` (``tunnel/service.go`` sets the ``[<tunnel>] `` prefix; the ``[MGR]``
manager's and ``[GUI]`` lines, which name the signed-in user, are not read). The
messages are those of wireguard-windows (``tunnel/``, ``services/errors.go``), of the
WireGuardNT driver it forwards (``driver/timers.c``, ``receive.c``, ``noise.c`` of
wireguard-nt: ``peer <n> (<endpoint>)``) and, up to WireGuard for Windows 0.3, of
wireguard-go (``device/timers.go``, ``receive.go``: ``peer(<key abbreviation>) - ``).
Writes: vpn_session events into the round's ``Collected``; :attr:`TunnelLogMapper.state`
keeps, per tunnel and peer, whether it is up, since when, its gateway and whether its
failure was already reported, for the source's bookmark.

A session is a peer's, up from its first completed handshake, as for ``wg show all
dump``:

* ``Keypair <k> created for peer <n>`` or ``Receiving handshake response from peer <n>
  (<endpoint>)`` (wireguard-go: ``Received handshake response``) while not up:
  **connected**;
* ``Handshake for peer <n> (<endpoint>) did not complete after 5 seconds, retrying (try
  <t>)`` while not up: **failed** (``handshake-timeout``), once until a handshake
  completes or the tunnel restarts; while up it is a rekey being retried, the session's
  keys still valid;
* ``Retrying handshake with peer <n> (<endpoint>) because we stopped hearing back after
  15 seconds`` while up: **dropped** (``stopped-hearing-back``);
* ``... did not complete after 20 attempts, giving up``: **dropped** while up, else
  **failed** if not yet reported (``handshake-gave-up``);
* one of the tunnel service's errors (``Unable to resolve one or more DNS hostname
  endpoints: ...``, ``services/errors.go``): **failed**, or **dropped** for peers up,
  the reason the error's text without its detail (which may name a host or a path);
* ``Shutting down`` (the service stopping): **disconnected** for each peer up;
  ``Starting WireGuard/<version>`` starts the tunnel's state afresh.

Not read, on purpose: the steps of starting and stopping, keepalives, rekeys of a session
that is up, packets the driver drops, ``Zeroing out all keys ...`` (an idle tunnel, not a
drop), script output. A tunnel line naming a failure, an error or something down that is
none of the above is counted as unparsed (``wg-log-line-unrecognised``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from xlapulse.collectors.sources.base import LineMapper
from xlapulse.collectors.sources.vpn_session import vpn_session_event
from xlapulse.collectors.sources.wireguard.gateway import gateway
from xlapulse.collectors.sources.wireguard.ringlog import RingLine

LINE = re.compile(r"^\[(?P<tag>[A-Z]{1,5})\] (?:\[(?P<tunnel>[^\]]{1,64})\] )?(?P<message>.*)$")
NT_PEER = r"peer (?P<peer>\d+) \((?P<endpoint>[^()]*)\)"
GO_PEER = r"^peer\((?P<peer>[^)]*)\) - "
HANDSHAKE_DONE = (
    re.compile(r"^Keypair \d+ created for peer (?P<peer>\d+)$"),
    re.compile(rf"^Receiving handshake response from {NT_PEER}$"),
    re.compile(rf"{GO_PEER}Received handshake response$"),
)
RETRYING = (
    re.compile(rf"^Handshake for {NT_PEER} did not complete after \d+ seconds, retrying"),
    re.compile(rf"{GO_PEER}Handshake did not complete after \d+ seconds, retrying"),
)
GAVE_UP = (
    re.compile(rf"^Handshake for {NT_PEER} did not complete after \d+ attempts, giving up$"),
    re.compile(rf"{GO_PEER}Handshake did not complete after \d+ attempts, giving up$"),
)
NOT_HEARD = (
    re.compile(rf"^Retrying handshake with {NT_PEER} because we stopped hearing back after"),
    re.compile(rf"{GO_PEER}Retrying handshake because we stopped hearing back after"),
)
ENDPOINT = re.compile(NT_PEER)
STARTING = re.compile(r"^Starting(?: at boot)? WireGuard/")
SHUTTING_DOWN = "Shutting down"
#: services/errors.go: the error a tunnel service stops with, logged before "Shutting down"
SERVICE_ERRORS = (
    "Unable to open log file",
    "Unable to determine path of running executable",
    "Unable to load configuration from path",
    "Unable to create network adapter",
    "Unable to resolve one or more DNS hostname endpoints",
    "Unable to enable firewall rules",
    "Unable to set device configuration",
    "Unable to bring up adapter",
    "Unable to bind sockets to default route",
    "Unable to monitor default route MTU for changes",
    "Unable to configure adapter network settings",
    "Unable to track existing tunnels",
    "Unable to enumerate current sessions",
    "Unable to drop privileges",
    "An error occurred while running a configuration script command",
    "An internal Windows error has occurred",
    "An unknown error has occurred",
)
PRE_FILTER = re.compile(
    r"fail|error|unable|could not|cannot|invalid|no valid|timed? ?out|giving up|did not"
    r"|stopped hearing|denied|refused|unreachable|\bdown\b|dead",
    re.IGNORECASE,
)
#: Lines the pre-filter selects that are no session state: the interface going down as
#: the tunnel stops, packets the driver rejects, retries while Windows boots, pitfall
#: warnings and script commands and their output.
ROUTINE = re.compile(
    r"^Interface down(?: requested)?$|^Interface state was \w+, requested \w+, now \w+$"
    r"|^Invalid (?:handshake initiation|handshake response|MAC of handshake|IP packet)"
    r"|^Packet has invalid nonce |^Could not decrypt invalid cookie response$"
    r"|^Retrying (?:adapter creation|interface configuration) after failure because system"
    r" just booted|^Warning: |^Executing: |^cmd> |^Command error exit status: "
    r"|^Skipping execution of script"
)


def line_time(time_ns: int) -> datetime:
    """The ring line's time (nanoseconds since 1970 UTC), to the microsecond."""
    return datetime.fromtimestamp(time_ns // 10**9, UTC).replace(
        microsecond=time_ns // 1000 % 10**6
    )


def _first(patterns: tuple[re.Pattern[str], ...], message: str) -> re.Match[str] | None:
    return next((m for p in patterns if (m := p.match(message))), None)


class TunnelLogMapper(LineMapper):
    """Turns ring log lines into vpn_session events, keeping each tunnel's peers' state
    ({tunnel: {"failed": bool, "peers": {peer: {"up_since": ns | None, "gateway": str,
    "reported": bool}}}})."""

    def feed(self, line: RingLine) -> None:
        parsed = LINE.match(line.text)
        if parsed is None:
            self.collected.skipped_records += 1
            return
        if parsed["tag"] != "TUN":
            return
        tunnel, message = parsed["tunnel"] or "", parsed["message"]
        if STARTING.match(message):
            self.state[tunnel] = {"failed": False, "peers": {}}
        elif message == SHUTTING_DOWN:
            for peer, status in self._peers(tunnel).items():
                if status["up_since"] is not None:
                    self._emit(line, tunnel, peer, "disconnected", duration_from=status)
            self.state.pop(tunnel, None)
        elif error := next((e for e in SERVICE_ERRORS if message.split(":")[0] == e), None):
            self._service_error(line, tunnel, error)
        else:
            self._peer_line(line, tunnel, message)

    def _peer_line(self, line: RingLine, tunnel: str, message: str) -> None:
        if seen := ENDPOINT.search(message):
            self._peer(tunnel, seen["peer"])["gateway"] = gateway(tunnel, seen["endpoint"])
        if matched := _first(HANDSHAKE_DONE, message):
            status = self._peer(tunnel, matched["peer"])
            if status["up_since"] is None:
                self._emit(line, tunnel, matched["peer"], "connected")
                status.update(up_since=line.time_ns, reported=False)
        elif matched := _first(RETRYING, message):
            status = self._peer(tunnel, matched["peer"])
            if status["up_since"] is None and not status["reported"]:
                self._emit(line, tunnel, matched["peer"], "failed", "handshake-timeout")
                status["reported"] = True
        elif matched := _first(NOT_HEARD, message):
            if self._peer(tunnel, matched["peer"])["up_since"] is not None:
                self._down(line, tunnel, matched["peer"], "stopped-hearing-back")
        elif matched := _first(GAVE_UP, message):
            self._down(line, tunnel, matched["peer"], "handshake-gave-up")
        elif PRE_FILTER.search(message) and not ROUTINE.match(message):
            text = f"[{tunnel}] {message}" if tunnel else message
            self.collected.unparsed.add("wg-log-line-unrecognised", text)

    def _service_error(self, line: RingLine, tunnel: str, error: str) -> None:
        up = [peer for peer, status in self._peers(tunnel).items() if status["up_since"]]
        for peer in up:
            self._down(line, tunnel, peer, error)
        tunnel_state = self.state.setdefault(tunnel, {"failed": False, "peers": {}})
        if not up and not tunnel_state["failed"]:
            self._emit(line, tunnel, "", "failed", error)
            tunnel_state["failed"] = True

    def _down(self, line: RingLine, tunnel: str, peer: str, reason: str) -> None:
        """Dropped if the peer is up, else failed unless its failure was reported."""
        status = self._peer(tunnel, peer)
        if status["up_since"] is not None:
            self._emit(line, tunnel, peer, "dropped", reason, duration_from=status)
        elif not status["reported"]:
            self._emit(line, tunnel, peer, "failed", reason)
        status.update(up_since=None, reported=True)

    def _peers(self, tunnel: str) -> dict[str, dict]:
        return self.state.get(tunnel, {}).get("peers", {})

    def _peer(self, tunnel: str, peer: str) -> dict:
        peers = self.state.setdefault(tunnel, {"failed": False, "peers": {}})["peers"]
        default = {"up_since": None, "gateway": gateway(tunnel, None), "reported": False}
        return peers.setdefault(peer, default)

    def _emit(
        self,
        line: RingLine,
        tunnel: str,
        peer: str,
        state: str,
        reason: str | None = None,
        duration_from: dict | None = None,
    ) -> None:
        duration = None
        if duration_from is not None:
            duration = (line.time_ns - duration_from["up_since"]) // 10**9
        known = self._peers(tunnel).get(peer) or next(iter(self._peers(tunnel).values()), None)
        self.collected.events.append(
            vpn_session_event(
                self.identity,
                "wireguard",
                line_time(line.time_ns),
                f"{tunnel}|{peer}|{line.text}",
                state,
                reason=reason,
                duration_s=duration,
                gateway=known["gateway"] if known else tunnel or None,
            )
        )
