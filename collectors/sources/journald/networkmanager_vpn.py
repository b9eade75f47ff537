"""NetworkManager's VPN log lines (``src/core/vpn/nm-vpn-connection.c``) as VPN outcomes.

Reads: the MESSAGE of NetworkManager's journal entries (``<info>  [1700000000.1234]
vpn[...]: text``) with their time and syslog priority. Writes: nothing;
:class:`NmVpnTracker` follows each VPN activation (NetworkManager's ``NMVpnConnection``
object, named by its pointer) and returns the vpn_session fields of a connect or an end.

The prefix (``__LOG_create_prefix``) has two forms, both read:

* NetworkManager <= 1.34 (Debian 11, Ubuntu 20.04, RHEL 8 before 8.7):
  ``vpn-connection[0x55d1e0,<uuid>,"<name>",<ifindex>:(<iface>)]``, the ifindex always
  printed (``,0`` before the tunnel exists), the ``:(iface)`` once it does.
* NetworkManager >= 1.36 (Ubuntu 22.04 and 24.04, Debian 12 and 13, RHEL 8.7+ and 9):
  ``vpn[0x55d1e0,<uuid>,"<name>",if:<n>,dev:<m>:(<iface>)]``, each of ``,if:``,
  ``,dev:`` and ``:(iface)`` only when known. Without a settings connection the
  part after the pointer is ``--``; a connection without a name shows ``??``.

What each release logs at NetworkManager's default level (INFO; warnings are ``<warn>``):

* <= 1.34: ``VPN plugin: state changed: started (4)`` (connected), ``VPN plugin:
  failed: <reason> (<n>)`` and ``VPN plugin: state changed: stopped (6)`` (ended), and
  ``VPN connection: ...`` warnings (connect timeout, failed to connect, no valid IP
  config). Connects, drops, failures and disconnects are all seen.
* >= 1.36: only ``starting <plugin>`` (INFO) and the warnings: ``dbus: failure:
  <reason> (<n>)``, ``connect timeout exceeded``, ``failed to connect: '...'``,
  ``starting: timed out waiting for ...``, the secrets failures. Connects and
  disconnects are logged at DEBUG (``set state: activated (was pre-up)``, ``set
  state: disconnected (was deactivating)``, ``set state: failed (was activated)``),
  so they are seen only with ``[logging] domains=VPN:DEBUG`` (``collector check`` says
  so). At INFO a failure is a drop when it comes more than
  :data:`NM_START_LIMIT_S` after ``starting``: NetworkManager fails every activation
  that is not up by then (``_get_vpn_timeout() + 180`` s, default 60 + 180), so such a
  tunnel must have been up; earlier, it counts as a failure to connect.

``nm_log_level_warning`` reads NetworkManager's configuration for ``collector check``:
whether VPN state changes are logged (``[logging]`` level or the VPN domain at DEBUG).

A failure ends the attempt at once (``state`` failed or dropped); the lines that follow
it for the same attempt (``stopped``, ``set state: failed``) are absorbed.
"""

from __future__ import annotations

import re
from pathlib import Path

from xlapulse.collectors.sources.unparsed import Unparsed

PREFIX = re.compile(
    r"(?P<kind>vpn-connection|vpn)\[(?P<ptr>0x[0-9a-fA-F]+)"
    r'(?:--|,(?P<uuid>[^,\]]*),(?:"(?P<name>.*?)"|\?\?))'
    r"(?:,-?\d+)?(?:,if:\d+)?(?:,dev:\d+)?(?::\((?P<iface>[^)]*)\))?\]: (?P<text>.*)$"
)
LOOKS_LIKE_VPN = re.compile(r"\bvpn(?:-connection)?\[")
NM_VPN_DEBUG = re.compile(
    r"^\s*(?:level\s*=\s*(?:debug|trace)\b|domains\s*=.*\bvpn:(?:debug|trace)\b)",
    re.IGNORECASE | re.MULTILINE,
)
NM_START_LIMIT_S = 240
MAX_ATTEMPTS = 50
MAX_NAME_CHARS = 200

CONNECTED = re.compile(
    r"^(?:VPN plugin: state changed: started \(4\)|dbus: state changed: started \(4\)"
    r"|set state: activated \(was )"
)
STARTING = re.compile(r"^starting \S+$")
PLUGIN_FAILURE = re.compile(
    r"^(?:VPN plugin: failed|dbus: failure): (?P<reason>[\w-]+) \((?P<code>\d+)\)"
)
STOPPED_OLD = "VPN plugin: state changed: stopped"
SET_STATE_END = re.compile(r"^set state: (?P<state>disconnected|failed) \(was (?P<was>[\w-]+)\)")
START_FAILED, START_TIMEOUT = "service-start-failed", "service-start-timeout"
# NMActiveConnectionStateReason names (the reason _set_vpn_state is given) of the warnings
FAILURE_TEXTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), reason)
    for pattern, reason in (
        (r"^(?:VPN connection: )?connect timeout exceeded", "connect-timeout"),
        (r"^(?:VPN connection: |connect: )?failed to connect(?: interactively)?: ", START_FAILED),
        (r"^(?:VPN connection: )?did not receive valid IP config information", "ip-config-invalid"),
        (r"^starting: timed out waiting for the (?:service|VPN) to", START_TIMEOUT),
        (r"^Timed out waiting for the service to start", START_TIMEOUT),
        (r"^starting: failure to start VPN service", START_FAILED),
        (r"^Could not launch the VPN service", START_FAILED),
        (r"^failed to acquire dbus proxy for VPN service", START_FAILED),
        (r"^VPN service disappeared", "service-stopped"),
        (r"^plugin NeedSecrets request #\d+ failed", "no-secrets"),
        (r"^final secrets request failed to provide sufficient secrets", "no-secrets"),
        (r"^sending new secrets to the plugin failed", "no-secrets"),
        (r"^(?:secrets: failed|Failed) to request VPN secrets #\d+", "no-secrets"),
    )
)
# warnings that describe a failure another line reports (or that NetworkManager survives)
DETAIL_WARNINGS = re.compile(
    r"^(?:config: |invalid IP. config received|VPN connection: \(IP Config Get\)|"
    r"failed to look up VPN interface index|Invalid IPv6 VPN gateway address)"
)


class NmVpnTracker:
    """Feeds NetworkManager VPN messages in journal order; ``attempts`` survives rounds."""

    def __init__(self, attempts: dict[str, dict] | None = None) -> None:
        self.attempts: dict[str, dict] = attempts if attempts is not None else {}

    def feed(self, message: str, time_us: int, warning: bool, unparsed: Unparsed) -> dict | None:
        """The vpn_session fields this line completes, or None; a line that looks like a
        VPN line but cannot be mapped is counted in ``unparsed``."""
        matched = PREFIX.search(message)
        if matched is None:
            if LOOKS_LIKE_VPN.search(message):
                unparsed.add("nm-vpn-prefix-unrecognised", message)
            return None
        attempt = self._attempt(matched["ptr"])
        text = matched["text"]
        name = (matched["name"] or "")[:MAX_NAME_CHARS] or None
        if CONNECTED.match(text):
            return self._connected(attempt, time_us, name)
        if STARTING.match(text):
            attempt.setdefault("started_us", time_us)
            return None
        failure = self._failure(text)
        if failure is not None:
            return self._end(attempt, time_us, name, "failed", *failure)
        ended = SET_STATE_END.match(text)
        if ended:
            if ended["was"] == "activated":
                attempt["was_up"] = True
            state = "failed" if ended["state"] == "failed" else "disconnected"
            return self._end(attempt, time_us, name, state, None, None)
        if text.startswith(STOPPED_OLD):
            return self._end(attempt, time_us, name, "disconnected", None, None)
        if warning and not DETAIL_WARNINGS.match(text):
            unparsed.add("nm-vpn-warning-unrecognised", message)
        return None

    def _attempt(self, ptr: str) -> dict:
        attempt = self.attempts.setdefault(ptr, {})
        while len(self.attempts) > MAX_ATTEMPTS:
            self.attempts.pop(next(iter(self.attempts)))
        return attempt

    @staticmethod
    def _failure(text: str) -> tuple[str, int | None] | None:
        plugin = PLUGIN_FAILURE.match(text)
        if plugin:
            return plugin["reason"], int(plugin["code"])
        for pattern, reason in FAILURE_TEXTS:
            if pattern.match(text):
                return reason, None
        return None

    @staticmethod
    def _connected(attempt: dict, time_us: int, name: str | None) -> dict | None:
        if "connected_us" in attempt or attempt.get("ended"):
            return None  # the second of "dbus: state changed: started" / "set state: activated"
        attempt["connected_us"] = time_us
        return {"state": "connected", "vpn_gateway": name}

    @staticmethod
    def _end(
        attempt: dict,
        time_us: int,
        name: str | None,
        state: str,
        reason: str | None,
        code: int | None,
    ) -> dict | None:
        if attempt.get("ended"):
            return None
        attempt["ended"] = True
        connected_us = attempt.get("connected_us")
        if state == "failed" and _was_up(attempt, time_us):
            state = "dropped"
        return {
            "state": state,
            "reason": reason,
            "error_code": code,
            "session_duration_s": (time_us - connected_us) // 1_000_000 if connected_us else None,
            "vpn_gateway": name,
        }


def _was_up(attempt: dict, time_us: int) -> bool:
    """Connected as far as the log shows: a connect line, or (INFO-level logs of
    NetworkManager >= 1.36) still running later than NetworkManager lets an activation take."""
    if "connected_us" in attempt or attempt.get("was_up"):
        return True
    started_us = attempt.get("started_us")
    return started_us is not None and time_us - started_us > NM_START_LIMIT_S * 1_000_000


def nm_log_level_warning(conf_dir: Path) -> str | None:
    """None when NetworkManager logs VPN state changes (``[logging]`` level or the VPN
    domain at DEBUG/TRACE in NetworkManager.conf or conf.d/*.conf), else what is missed.
    No NetworkManager configuration at all: nothing to say (no NetworkManager)."""
    files = [conf_dir / "NetworkManager.conf", *sorted(conf_dir.glob("conf.d/*.conf"))]
    texts = [f.read_text(errors="replace") for f in files if f.is_file()]
    if not texts:
        return None
    if any(NM_VPN_DEBUG.search(text) for text in texts):
        return None
    return (
        "NetworkManager 1.36 and later log VPN connects and disconnects only at DEBUG: "
        "with the default level only VPN failures are reported (drops told apart from "
        "connect failures by time); add '[logging]' 'domains=VPN:DEBUG' to a file in "
        f"{conf_dir}/conf.d to see every session"
    )
