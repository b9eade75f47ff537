"""Cisco Secure Client (AnyConnect) source: VPN connected, dropped, failed (Linux).

Reads: the syslog file that the client's agent (``vpnagentd``, ``vpnagent``) and user
interface (``vpnui``) write to, followed from the last byte offset (``logfile.py``);
lines in the classic form (``Jun 11 07:47:19 host vpnui[2367]: ...``, the year taken
from the collector's clock) or rsyslog's RFC 3339 form. Each message of the client
reads ``Function: <f> File: <file> Line: <n> <text>`` (or only ``<text>``). Writes:
vpn_session events; the bookmark keeps the file position, the last VPN state and the
connection attempt under way.

Texts mapped (as the client logs them, ``tests/data/os/cisco_secure_client``):

* ``Initiating connection to: <url>``: an attempt starts; its host is the gateway;
* ``Invoked Function: ... Return Code: <n> (0x<hex>) Description: <CODE> ...`` during
  an attempt: its first such error is the failure's reason and code;
* ``Connection failed.``: **failed**;
* ``setState``'s line (the state's bare name, after ``processState``'s): nothing new;
* ``VPN state: <state> Network state: ...`` (the client's state machine, logged by
  ``processState``): ``Connected`` after any other state: **connected**;
  ``Reconnecting`` while connected: **dropped** (the tunnel was lost, the client tries
  to resume it); ``Disconnected`` while connected: **disconnected**; ``Connecting``,
  ``Disconnecting`` and ``Disconnected`` otherwise: no event.

The pre-filter: a line of those processes that names a VPN state, a failed connection,
a termination or a disconnection. A VPN state not listed above is counted as unparsed
(``anyconnect-vpn-state-unrecognised``), any other such line as
``anyconnect-line-unrecognised``; a line not in syslog form is a skipped record.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from xlapulse.collectors.sources.base import Collected, Identity, LineMapper, Source
from xlapulse.collectors.sources.logfile import map_lines, read_new_lines
from xlapulse.collectors.sources.vpn_session import vpn_session_event

if TYPE_CHECKING:
    from xlapulse.collectors.sources.cisco_secure_client.settings import (
        CiscoSecureClientSettings,
    )

PROCESSES = frozenset({"vpnagentd", "vpnagent", "vpnui", "acvpnui", "acvpnagent"})
CLASSIC = re.compile(
    r"^(?P<month>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<time>\d\d:\d\d:\d\d) "
    r"(?:(?P<host>\S+) )? ?(?P<process>[\w.-]+)(?:\[\d+\])?: (?P<message>.*)$"
)
RFC3339 = re.compile(
    r"^(?P<stamp>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) "
    r"(?P<host>\S+) (?P<process>[\w.-]+)(?:\[\d+\])?: (?P<message>.*)$"
)
LOCATION = re.compile(r"^Function: (?P<function>\S+) File: \S+ Line: \d+ ")
INITIATING = re.compile(r"^Initiating connection to: \S*?https?://(?P<host>[^/\s\]\)]+)")
ERROR = re.compile(
    r"Return Code: -?\d+ \(0x(?P<hex>[0-9A-Fa-f]{8})\) "
    r"Description: (?P<name>[A-Z][A-Z0-9]*_[A-Z0-9_]+)"
)
VPN_STATE = re.compile(r"^VPN state: (?P<state>\w+)")
PRE_FILTER = re.compile(
    r"VPN state:|Connection failed|\bterminat(?:ed|ion)\b|\bdisconnect", re.IGNORECASE
)
QUIET_STATES = frozenset({"Connecting", "Disconnecting", "Disconnected"})


@dataclass(frozen=True)
class ClientLine:
    """One syslog line of the client: when, which process, the message text."""

    at: datetime
    process: str
    function: str | None
    text: str


def parse_line(line: str, now: datetime, zone: tzinfo | None) -> ClientLine | None:
    """A syslog line; classic lines are dated in ``zone`` (None: this computer's) and
    in ``now``'s year, or the year before when that would lie in the future."""
    if modern := RFC3339.match(line):
        at = datetime.fromisoformat(modern["stamp"].replace("Z", "+00:00"))
        return ClientLine(at, modern["process"], *_function_and_text(modern["message"]))
    classic = CLASSIC.match(line)
    if classic is None:
        return None
    stamp = f"{classic['month']} {classic['day']} {classic['time']}"
    naive = datetime.strptime(f"{now.year} {stamp}", "%Y %b %d %H:%M:%S")
    at = naive.replace(tzinfo=zone) if zone else naive.astimezone()
    if at > now.astimezone(at.tzinfo).replace(microsecond=0) and (at - now).days >= 1:
        at = at.replace(year=now.year - 1)
    return ClientLine(at, classic["process"], *_function_and_text(classic["message"]))


def _function_and_text(message: str) -> tuple[str | None, str]:
    """``Function: f File: x Line: n text`` -> (f, text); a bare message -> (None, it)."""
    message = message.strip()
    located = LOCATION.match(message)
    return (located["function"], message[located.end() :]) if located else (None, message)


class AnyConnectMapper(LineMapper):
    """Turns the client's lines into vpn_session events, keeping its state (vpn_state,
    up_since, gateway, attempt_error)."""

    def feed(self, line: ClientLine) -> None:
        text = line.text
        if line.function == "setState":
            return  # the state's name again, after processState's "VPN state:" line
        if matched := INITIATING.match(text):
            self.state.update(gateway=matched["host"], attempt_error=None, attempting=True)
        elif (error := ERROR.search(text)) and self.state.get("attempting"):
            if not self.state.get("attempt_error"):
                self.state["attempt_error"] = [error["name"], int(error["hex"], 16)]
        elif text.startswith("Connection failed"):
            reason, code = self.state.get("attempt_error") or (None, None)
            self.state.update(attempting=False, attempt_error=None)
            self._emit(line, "failed", reason=reason or "connection-failed", error_code=code)
        elif matched := VPN_STATE.match(text):
            self._state_changed(line, matched["state"])
        elif PRE_FILTER.search(text):
            self.collected.unparsed.add("anyconnect-line-unrecognised", f"{line.process}: {text}")

    def _state_changed(self, line: ClientLine, new: str) -> None:
        before, self.state["vpn_state"] = self.state.get("vpn_state"), new
        if new == before:
            return  # vpnagentd and vpnui both log each state
        if new == "Connected":
            self.state.update(up_since=line.at.isoformat(), attempting=False)
            self._emit(line, "connected")
        elif new == "Reconnecting" and self.state.get("up_since"):
            self._emit(line, "dropped", reason="reconnecting", duration=self._session_s(line))
        elif new == "Disconnected" and self.state.get("up_since"):
            self._emit(line, "disconnected", duration=self._session_s(line))
        elif new not in QUIET_STATES and new != "Reconnecting":
            self.collected.unparsed.add(
                "anyconnect-vpn-state-unrecognised", f"{line.process}: {line.text}"
            )

    def _session_s(self, line: ClientLine) -> int:
        started = datetime.fromisoformat(self.state.pop("up_since"))
        return max(0, int((line.at - started).total_seconds()))

    def _emit(
        self,
        line: ClientLine,
        state: str,
        reason: str | None = None,
        error_code: int | None = None,
        duration: int | None = None,
    ) -> None:
        self.collected.events.append(
            vpn_session_event(
                self.identity,
                "cisco-secure-client",
                line.at,
                line.text,
                state,
                reason=reason,
                error_code=error_code,
                duration_s=duration,
                gateway=self.state.get("gateway"),
            )
        )


class CiscoSecureClientSource(Source):
    """Follows the syslog file and reports Cisco Secure Client's VPN sessions."""

    name = "cisco_secure_client"
    event_types = ("vpn_session",)
    description = "Cisco Secure Client (AnyConnect): VPN connected, dropped, failed (syslog)"

    def __init__(
        self,
        settings: CiscoSecureClientSettings,
        identity: Identity,
        zone: tzinfo | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(settings.path)
        self.identity = identity
        self.zone = zone
        self.clock = clock

    def prerequisite_warnings(self) -> list[str]:
        """A missing syslog file: on a system without rsyslog the client logs to the
        journal only, which this source does not read."""
        if self.path.exists():
            return []
        return [
            f"{self.path} does not exist: without rsyslog, vpnagentd and vpnui log to the "
            "journal only; install rsyslog or set [sources.cisco_secure_client] path"
        ]

    def collect(self, bookmark: str | None) -> Collected:
        saved = json.loads(bookmark) if bookmark else {"position": None, "client": {}}
        new = read_new_lines(self.path, saved["position"], "the syslog file")
        now = datetime.fromtimestamp(self.clock()).astimezone(self.zone)
        collected = Collected(unparsed=self.identity.unparsed())
        mapper = AnyConnectMapper(self.identity, dict(saved["client"]), collected)

        def feed_client_line(line: ClientLine) -> None:
            if line.process in PROCESSES:
                mapper.feed(line)

        map_lines(
            new.lines, collected, lambda text: parse_line(text, now, self.zone), feed_client_line
        )
        collected.bookmark = json.dumps({"position": new.position, "client": mapper.state})
        return collected


def build(settings: CiscoSecureClientSettings, identity: Identity) -> CiscoSecureClientSource:
    return CiscoSecureClientSource(settings, identity)
