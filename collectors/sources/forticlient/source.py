"""Fortinet FortiClient source: VPN tunnels connected and failed (Windows, Linux).

Reads: FortiClient's own log files, each followed from its last byte offset
(``logfile.py``), in either of the two line forms FortiClient writes:

* Windows (FortiClient 6.x log): ``<log time="08/08/2020 07:22:58" level="5"
  source="2">payload</log>``, the payload HTML-escaped: Fortinet ``key=value`` fields
  (``date=... type=traffic ... utmevent=vpn threat=connect dstip=<gateway> ...``,
  ``id=96602 msg="SSLVPN service started successfully." vpntype=ssl``) or a daemon's
  debug text (``FortiSslvpn: 14328: fortissl_connect: device=ftvnic``); the time is
  local;
* Linux (FortiClient 7.x, ``/var/log/forticlient/{sslvpn,ipsecvpn}.log``):
  ``20260420 12:47:35.515 TZ=+0200 [ipsecvpn:DEBG] log:120 <message>``, with its own
  UTC offset.

Writes: vpn_session events; the bookmark keeps each file's position and whether the
VPN is up or already failing (a client that retries every minute reports its failure
once, until it connects).

Mapped (texts of real logs, ``tests/data/os/forticlient``): a Windows traffic record
with ``utmevent=vpn threat=connect``: **connected** (vpn_gateway its ``dstip``);
``ikev2_init_ike_sa: failed to initiate with peer <peer>``: **failed**
(``ike-initiation-failed``). The pre-filter: a VPN traffic record with another
``threat``, or a line about the VPN (every line of the Linux VPN logs; on Windows one
naming a VPN, SSL, IPsec or a tunnel) at warning level or worse, or whose text names a
failure, a disconnection or a tunnel going down, that is none of the above: counted as
unparsed
(``forticlient-vpn-record-unrecognised``, ``forticlient-line-unrecognised``), user
names in the excerpt pseudonymized. No public capture shows FortiClient's texts for a
user's disconnect or a dropped tunnel: they arrive as unparsed, never silently lost.
"""

from __future__ import annotations

import html
import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from xlapulse.collectors.sources.base import (
    Collected,
    Identity,
    LineMapper,
    Source,
    SourceError,
    one_record,
)
from xlapulse.collectors.sources.logfile import map_lines, read_new_lines
from xlapulse.collectors.sources.vpn_session import MAX_TEXT_CHARS, vpn_session_event

if TYPE_CHECKING:
    from xlapulse.collectors.sources.forticlient.settings import FortiClientSettings

LINUX_LOGS = ("/var/log/forticlient/sslvpn.log", "/var/log/forticlient/ipsecvpn.log")
WINDOWS_LINE = re.compile(
    r'^<log time="(?P<time>[\d/]+ [\d:]+)" level="(?P<level>\d)" source="\d+">'
    r"(?P<payload>.*)</log>\s*$"
)
LINUX_LINE = re.compile(
    r"^(?P<date>\d{8}) (?P<time>\d\d:\d\d:\d\d)\.(?P<ms>\d{3}) TZ=(?P<tz>[+-]\d{4}) "
    r"\[(?P<module>\w+):(?P<level>[A-Z]+)\] (?:\S+:\d+ )?(?P<message>.*)$"
)
FIELD = re.compile(r'(?P<key>[a-z_]+)=(?:"(?P<quoted>[^"]*)"|(?P<bare>\S*))')
IKE_FAILED = re.compile(r"^ikev2_init_ike_sa: failed to initiate with peer (?P<peer>\S+)")
PRE_FILTER = re.compile(r"fail|disconnect|tunnel (?:is )?down|\berror\b", re.IGNORECASE)
ABOUT_VPN = re.compile(r"vpn|ssl|ipsec|tunnel|fortissl", re.IGNORECASE)
USER_FIELD = re.compile(r"\b(user|username|vpnuser)=(\"[^\"]*\"|\S+)")
WARNING_OR_WORSE_WINDOWS = 4  # syslog levels: 0 emerg .. 4 warning
#: The captures show DEBG and INFO; these four-letter forms of the worse levels are assumed.
WARNING_OR_WORSE_LINUX = frozenset({"EMRG", "ALRT", "CRIT", "ERR", "EROR", "ERRO", "WARN"})
QUOTE = '"'


@dataclass(frozen=True)
class FortiLine:
    """One log line: when, whether it is at warning level or worse, and its text."""

    at: datetime
    severe: bool
    text: str
    about_vpn: bool


def parse_line(line: str, zone: tzinfo | None) -> FortiLine | None:
    """A Windows or a Linux FortiClient log line; Windows times are dated in ``zone``
    (None: this computer's time zone), Linux lines carry their own offset."""
    if windows := WINDOWS_LINE.match(line):
        naive = datetime.strptime(windows["time"], "%m/%d/%Y %H:%M:%S")
        at = naive.replace(tzinfo=zone) if zone else naive.astimezone()
        severe = int(windows["level"]) <= WARNING_OR_WORSE_WINDOWS
        payload = html.unescape(windows["payload"]).strip()
        return FortiLine(at, severe, payload, bool(ABOUT_VPN.search(payload)))
    linux = LINUX_LINE.match(line)
    if linux is None:
        return None
    offset = linux["tz"]
    sign = 1 if offset[0] == "+" else -1
    hours, minutes = int(offset[1:3]), int(offset[3:5])
    zone_of_line = timezone(sign * timedelta(hours=hours, minutes=minutes))
    naive = datetime.strptime(f"{linux['date']} {linux['time']}", "%Y%m%d %H:%M:%S")
    at = naive.replace(microsecond=int(linux["ms"]) * 1000, tzinfo=zone_of_line)
    severe = linux["level"] in WARNING_OR_WORSE_LINUX
    return FortiLine(at, severe, linux["message"].strip(), True)  # sslvpn / ipsecvpn logs


def fields(payload: str) -> dict[str, str]:
    """The ``key=value`` fields of a Fortinet record (quoted values unquoted)."""
    return {
        m["key"]: m["quoted"] if m["quoted"] is not None else m["bare"]
        for m in FIELD.finditer(payload)
    }


class FortiClientMapper(LineMapper):
    """Turns FortiClient lines into vpn_session events, keeping the VPN's state
    ({"up": bool, "failing": bool})."""

    def feed(self, line: FortiLine) -> None:
        record = fields(line.text) if "utmevent=" in line.text else {}
        if record.get("utmevent") == "vpn":
            self._vpn_record(line, record)
        elif failed := IKE_FAILED.match(line.text):
            if not self.state.get("failing"):
                self.state.update(failing=True, up=False)
                self._emit(line, "failed", "ike-initiation-failed", failed["peer"])
        elif line.about_vpn and (line.severe or PRE_FILTER.search(line.text)):
            self._unparsed("forticlient-line-unrecognised", line.text)

    def _vpn_record(self, line: FortiLine, record: dict[str, str]) -> None:
        if record.get("threat") == "connect":
            self.state.update(up=True, failing=False)
            self._emit(line, "connected", None, record.get("dstip"))
        else:
            self._unparsed("forticlient-vpn-record-unrecognised", line.text)

    def _unparsed(self, reason: str, text: str) -> None:
        def pseudonym(named: re.Match[str]) -> str:
            return f"{named[1]}={self.identity.user(named[2].strip(QUOTE))}"

        self.collected.unparsed.add(reason, USER_FIELD.sub(pseudonym, text))

    def _emit(self, line: FortiLine, state: str, reason: str | None, gateway: str | None) -> None:
        self.collected.events.append(
            vpn_session_event(
                self.identity,
                "forticlient",
                line.at,
                line.text[:MAX_TEXT_CHARS],
                state,
                reason=reason,
                gateway=gateway if gateway != "N/A" else None,
            )
        )


class FortiClientSource(Source):
    """Follows FortiClient's log files and reports its VPN connects and failures."""

    name = "forticlient"
    event_types = ("vpn_session",)
    description = "Fortinet FortiClient: VPN connected, failed (its own log files)"

    def __init__(
        self, settings: FortiClientSettings, identity: Identity, zone: tzinfo | None = None
    ) -> None:
        configured = list(settings.paths)
        if not configured and sys.platform.startswith("linux"):
            configured = list(LINUX_LOGS)
        self.paths = [Path(path) for path in configured]
        self.identity = identity
        self.zone = zone

    def prerequisite_warnings(self) -> list[str]:
        """No log named (Windows has no default) or none of the named logs present."""
        if not self.paths:
            return ["[sources.forticlient] paths is empty: name FortiClient's log files"]
        if not any(path.exists() for path in self.paths):
            names = ", ".join(str(path) for path in self.paths)
            return [f"none of FortiClient's logs exists ({names}): is FortiClient installed?"]
        return []

    def collect(self, bookmark: str | None) -> Collected:
        if not self.paths:
            raise SourceError("[sources.forticlient] paths is empty: name FortiClient's log files")
        saved = json.loads(bookmark) if bookmark else {"positions": {}, "vpn": {}}
        existing = [path for path in self.paths if path.exists()]
        if not existing:
            names = ", ".join(str(path) for path in self.paths)
            raise SourceError(f"none of FortiClient's logs exists ({names})")
        collected = Collected(unparsed=self.identity.unparsed())
        mapper = FortiClientMapper(self.identity, dict(saved["vpn"]), collected)
        positions = dict(saved["positions"])
        lines: list[FortiLine] = []
        for path in existing:
            new = read_new_lines(path, positions.get(str(path)), "FortiClient")
            positions[str(path)] = new.position
            map_lines(new.lines, collected, lambda text: parse_line(text, self.zone), lines.append)
        for line in sorted(lines, key=lambda parsed: parsed.at):
            with one_record(collected.unparsed, line.text):
                mapper.feed(line)
        collected.bookmark = json.dumps({"positions": positions, "vpn": mapper.state})
        return collected


def build(settings: FortiClientSettings, identity: Identity) -> FortiClientSource:
    return FortiClientSource(settings, identity)
