"""Palo Alto GlobalProtect source: tunnels that came up, dropped or failed (any OS).

Reads: the GlobalProtect app's event log, ``pan_gp_event.log`` (the "user-facing"
log the app's Collect Logs bundle ships; PanGPS.log is its debug trace), followed
from the last byte offset (``logfile.py``). One line per event, in local time:
``MM/DD/YYYY hh:mm:ss:mmm [Info ]: <message>`` (``[Error]`` for errors; the
milliseconds may follow a dot). Writes: vpn_session events; the bookmark keeps the
file position and whether a tunnel is up, since when, to which gateway.

Messages mapped (texts of real event logs, ``tests/data/os/globalprotect``):

* ``IPSec tunnel creation finished with Gateway <gw>.`` (or ``SSL``): **connected**;
  ``Tunnel is restored.`` after a drop: **connected** again;
* ``Tunnel is down due to <cause>.``: **dropped**, reason the cause;
  ``Preferred gateway <gw>: Checking network availability and restoring VPN connection
  ...`` while up: the tunnel was lost without a "down" line: **dropped**
  (``restoring-connection``);
* ``The network connection is unreachable or the gateway is unresponsive. ...``:
  **failed** (``gateway-unreachable``); ``portal status is User authentication
  failed.``: **failed** (``portal-authentication-failed``).

The pre-filter: an ``[Error]`` line, or one naming a tunnel, a disconnection, a
logout or a failure. Such a line that is none of the above nor a known step of a
connection (:data:`STEPS`) is counted as unparsed (``gp-event-unrecognised``, a user
named in it replaced by the pseudonym); a line
that is not in the event log's format at all is a skipped record.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from xlapulse.collectors.sources.base import Collected, Identity, LineMapper, Source
from xlapulse.collectors.sources.logfile import map_lines, read_new_lines
from xlapulse.collectors.sources.vpn_session import vpn_session_event

if TYPE_CHECKING:
    from xlapulse.collectors.sources.globalprotect.settings import GlobalProtectSettings

DEFAULT_PATHS = {
    "win32": r"C:\Program Files\Palo Alto Networks\GlobalProtect\pan_gp_event.log",
    "darwin": "/Library/Logs/PaloAltoNetworks/GlobalProtect/pan_gp_event.log",
    "linux": "/opt/paloaltonetworks/globalprotect/pan_gp_event.log",
}
LINE = re.compile(
    r"^(?P<date>\d\d/\d\d/\d{2,4}) (?P<time>\d\d:\d\d:\d\d)[:.](?P<ms>\d{1,3})"
    r" \[(?P<level>\w+)\s*\]: (?P<message>.*?)\s*$"
)
TUNNEL_UP = re.compile(r"^(?:IPSec|SSL) tunnel creation finished with Gateway (?P<gw>\S+?)\.?$")
TUNNEL_DOWN = re.compile(r"^Tunnel is down due to (?P<cause>.+?)\.?$")
RESTORING = re.compile(r"^Preferred gateway (?P<gw>\S+?): Checking network availability")
UNREACHABLE = "The network connection is unreachable or the gateway is unresponsive"
AUTH_FAILED = "portal status is User authentication failed"
RESTORED = "Tunnel is restored"
USER_NAMED = re.compile(r"\b(user) (?P<name>[^\s.]+)", re.IGNORECASE)
PRE_FILTER = re.compile(r"tunnel|disconnect|logged out|fail", re.IGNORECASE)
#: Steps of a connection that pass the pre-filter but are no event of their own.
STEPS = (
    re.compile(r"^Trying to create tunnel with gateway "),
    re.compile(r"^Auth failed for portal"),  # its "portal status is ..." line follows
)


@dataclass(frozen=True)
class GpLine:
    """One event log line: when, its level and its message."""

    at: datetime
    level: str
    message: str


def parse_line(line: str, zone: tzinfo | None) -> GpLine | None:
    """A pan_gp_event.log line, dated in ``zone`` (None: this computer's time zone)."""
    parsed = LINE.match(line)
    if parsed is None:
        return None
    year_format = "%Y" if len(parsed["date"]) == 10 else "%y"
    naive = datetime.strptime(f"{parsed['date']} {parsed['time']}", f"%m/%d/{year_format} %H:%M:%S")
    naive = naive.replace(microsecond=int(parsed["ms"]) * 1000)
    at = naive.replace(tzinfo=zone) if zone else naive.astimezone()
    return GpLine(at, parsed["level"], parsed["message"])


class GlobalProtectMapper(LineMapper):
    """Turns event log lines into vpn_session events, keeping the tunnel's state
    ({"up_since": iso or None, "gateway": str or None})."""

    def feed(self, line: GpLine) -> None:
        message = line.message
        if matched := TUNNEL_UP.match(message):
            self._connected(line, matched["gw"])
        elif message.startswith(RESTORED):
            if not self.state.get("up_since"):
                self._connected(line, self.state.get("gateway"), reason="tunnel-restored")
        elif matched := TUNNEL_DOWN.match(message):
            self._dropped(line, matched["cause"])
        elif matched := RESTORING.match(message):
            if self.state.get("up_since"):
                self._dropped(line, "restoring-connection")
        elif message.startswith(UNREACHABLE):
            self._failed(line, "gateway-unreachable")
        elif message.startswith(AUTH_FAILED):
            self._failed(line, "portal-authentication-failed")
        elif (line.level.lower() == "error" or PRE_FILTER.search(message)) and not any(
            step.match(message) for step in STEPS
        ):
            hidden = USER_NAMED.sub(lambda m: f"{m[1]} {self.identity.user(m['name'])}", message)
            self.collected.unparsed.add("gp-event-unrecognised", f"[{line.level}] {hidden}")

    def _connected(self, line: GpLine, gateway: str | None, reason: str | None = None) -> None:
        self.state.update(up_since=line.at.isoformat(), gateway=gateway)
        self._emit(line, "connected", reason=reason)

    def _dropped(self, line: GpLine, cause: str) -> None:
        started = self.state.get("up_since")
        self.state["up_since"] = None
        duration = None
        if started:
            duration = int((line.at - datetime.fromisoformat(started)).total_seconds())
        self._emit(line, "dropped", reason=cause, duration_s=duration)

    def _failed(self, line: GpLine, reason: str) -> None:
        self.state["up_since"] = None
        self._emit(line, "failed", reason=reason)

    def _emit(
        self, line: GpLine, state: str, reason: str | None = None, duration_s: int | None = None
    ) -> None:
        self.collected.events.append(
            vpn_session_event(
                self.identity,
                "globalprotect",
                line.at,
                line.message,
                state,
                reason=reason,
                duration_s=duration_s,
                gateway=self.state.get("gateway"),
            )
        )


class GlobalProtectSource(Source):
    """Follows pan_gp_event.log and reports the tunnel's ups, downs and failures."""

    name = "globalprotect"
    event_types = ("vpn_session",)
    description = "Palo Alto GlobalProtect: tunnels connected, dropped, failed (pan_gp_event.log)"

    def __init__(
        self, settings: GlobalProtectSettings, identity: Identity, zone: tzinfo | None = None
    ) -> None:
        self.path = Path(settings.path or DEFAULT_PATHS.get(sys.platform, DEFAULT_PATHS["linux"]))
        self.identity = identity
        self.zone = zone

    def prerequisite_warnings(self) -> list[str]:
        """GlobalProtect's event log where it is expected, or a warning naming the path."""
        if self.path.exists():
            return []
        return [
            f"{self.path} does not exist: is GlobalProtect installed? Set "
            "[sources.globalprotect] path where its pan_gp_event.log is written"
        ]

    def collect(self, bookmark: str | None) -> Collected:
        saved = json.loads(bookmark) if bookmark else {"position": None, "tunnel": {}}
        new = read_new_lines(self.path, saved["position"], "GlobalProtect")
        collected = Collected(unparsed=self.identity.unparsed())
        mapper = GlobalProtectMapper(self.identity, dict(saved["tunnel"]), collected)
        map_lines(new.lines, collected, lambda text: parse_line(text, self.zone), mapper.feed)
        collected.bookmark = json.dumps({"position": new.position, "tunnel": mapper.state})
        return collected


def build(settings: GlobalProtectSettings, identity: Identity) -> GlobalProtectSource:
    return GlobalProtectSource(settings, identity)
