"""journald source (Linux): logind sign-ins and sessions, NetworkManager VPN, CUPS jobs.

Reads: ``journalctl -o json`` for the identifiers systemd-logind, systemd (the user
manager's "Startup finished"), NetworkManager and cupsd, after the cursor of the last
round (the last 24 h on first start). Writes: logon, session, vpn_session and
print_job events (wire dicts, ``contract/wire.py``).

* Logon: logind's "New session" (MESSAGE_ID 8d45620c...) to the user manager's
  "Startup finished" (MESSAGE_ID eed00a68..., USERSPACE_USEC) is the sign-in duration;
  the user manager's own start-up is the shell start phase. A sign-in that reuses a
  running user manager has no such record and is not reported.
* Session: logind's "New session" and "Removed session" (``logind_sessions.py``; logind
  logs no lock or unlock, so a session is active from start to end).
* VPN: NetworkManager's ``vpn[...]`` / ``vpn-connection[...]`` lines of every release
  still shipped (``networkmanager_vpn.py`` lists the texts and what each release logs at
  which level). A NetworkManager line that names a VPN but cannot be mapped, or a VPN
  warning with an unknown text, is counted in ``Collected.unparsed``.
* Print: cupsd job messages, as in the error_log (see ``cups_jobs``); a queue whose
  device is a print server is reported as ``<queue>@<server>`` (``cups_queues``).

Any local user can write a journal entry with any SYSLOG_IDENTIFIER (``logger -t
NetworkManager ...``), so an entry is hostile input. An entry of systemd-logind,
NetworkManager or cupsd that journald did not receive from root (``_UID``, which only
journald sets) is counted as ``forged-not-from-root`` and not read, so a forged line
can neither fake nor end another's VPN session. An entry that is not JSON is a skipped
record, one the mapper raises on is counted as ``rejected (...)`` (``base.one_record``),
and either way the cursor moves past it and the other entries of the round are kept.
Entries are split on ``\\n`` only: journalctl writes U+2028 and U+2029 unescaped inside
a JSON string, and ``str.splitlines`` would cut such an entry in two.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
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
from xlapulse.collectors.sources.cups_jobs import CupsJobTracker, FinishedJob, print_job_event
from xlapulse.collectors.sources.cups_queues import CupsQueues
from xlapulse.collectors.sources.journald.logind_sessions import (
    SESSION_REMOVED,
    SESSION_STARTED,
    LogindSessions,
)
from xlapulse.collectors.sources.journald.networkmanager_vpn import (
    NmVpnTracker,
    nm_log_level_warning,
)

if TYPE_CHECKING:
    from xlapulse.collectors.sources.journald.settings import JournaldSettings

USER_MANAGER_STARTED = "eed00a68ffd84e31882105fd973abdd1"
IDENTIFIERS = ("systemd-logind", "systemd", "NetworkManager", "cupsd")
OUTPUT_FIELDS = (
    "MESSAGE,MESSAGE_ID,SYSLOG_IDENTIFIER,USER_ID,SESSION_ID,USERSPACE_USEC,PRIORITY,_UID"
)
#: These services run as root; journald itself sets ``_UID`` (a trusted field no client
#: can write), so an entry under their name from another user is forged.
ROOT_SERVICES = frozenset({"systemd-logind", "NetworkManager", "cupsd"})
SYSLOG_ERROR = 3
SYSLOG_WARNING = 4
SYSLOG_INFO = 6
MAX_PENDING_LOGONS = 20
MAX_MESSAGE_CHARS = 4096  # of a MESSAGE, so the patterns stay fast on any entry
CURSOR = re.compile(r'"__CURSOR"\s*:\s*"(?P<cursor>[^"\\]{1,1000})"')


def parse_journal_json(text: str) -> Iterator[dict | str]:
    """One dict per entry of ``journalctl -o json`` (lines split on ``\\n`` only); a line
    that is no JSON object is given back as its text."""
    for line in text.split("\n"):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError):
            entry = None
        if not isinstance(entry, dict):
            yield line
            continue
        if isinstance(entry.get("MESSAGE"), list):  # non-UTF-8 messages come as byte arrays
            entry["MESSAGE"] = _byte_array_text(entry["MESSAGE"])
        yield entry


def _byte_array_text(values: list) -> str | list:
    """journalctl's byte array of a non-UTF-8 message as text; another list stays as it is."""
    try:
        return bytes(values).decode("utf-8", errors="replace")
    except (TypeError, ValueError):
        return values


def _is_cursor(value: object) -> bool:
    """A journald cursor (``s=...;i=...``) can be given back to journalctl as it is."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= 1000
        and value.isascii()
        and value.isprintable()
    )


class JournalMapper:
    """Maps journal entries in order; ``state`` carries open sessions across rounds,
    ``queues`` the print servers of the CUPS queues."""

    def __init__(self, identity: Identity, queues: CupsQueues, state: dict | None = None) -> None:
        self.identity = identity
        self.queues = queues
        self.state = state or {"logons": [], "vpn": {}, "cups": {}}
        self.cups = CupsJobTracker(self.state["cups"])
        self.vpn = NmVpnTracker(self.state["vpn"])
        self.sessions = LogindSessions(self.state.setdefault("sessions", {}))
        self.unparsed = identity.unparsed()

    def map(self, entry: dict) -> list[dict]:
        identifier = entry.get("SYSLOG_IDENTIFIER")
        message = str(entry.get("MESSAGE", ""))[:MAX_MESSAGE_CHARS]
        if identifier in ROOT_SERVICES and entry.get("_UID") != "0":
            self.unparsed.add("forged-not-from-root", f"{identifier}: {message}")
            return []
        if identifier == "systemd-logind" and entry.get("MESSAGE_ID") == SESSION_STARTED:
            self._session_started(entry)
            return self._session(entry, self.sessions.started(entry))
        if identifier == "systemd-logind" and entry.get("MESSAGE_ID") == SESSION_REMOVED:
            return self._session(entry, self.sessions.removed(entry))
        if identifier == "systemd" and entry.get("MESSAGE_ID") == USER_MANAGER_STARTED:
            return _listed(self._user_manager_started(entry))
        if identifier == "NetworkManager":
            return _listed(self._vpn(entry, message))
        if identifier == "cupsd":
            return self._print(entry, message)
        return []

    def finish_round(self) -> list[dict]:
        """The print failures whose queue line never came; the state to save is in ``state``."""
        events = []
        for job in self.cups.flush(self.unparsed):
            with one_record(self.unparsed, f"print job {job.job_id}"):
                events.append(self._print_event(job))
        self.state["cups"] = self.cups.state
        return events

    def _envelope(self, entry: dict, user: str | None = None) -> dict:
        return {
            "event_id": self.identity.event_id("journald", entry["__CURSOR"]),
            "event_time": _time(entry),
            "user_id": self.identity.user(user),
            "device_id": self.identity.device_id,
        }

    def _session_started(self, entry: dict) -> None:
        logons = self.state["logons"]
        logons.append({"user": entry.get("USER_ID"), "time_us": int(entry["__REALTIME_TIMESTAMP"])})
        del logons[:-MAX_PENDING_LOGONS]

    def _session(self, entry: dict, fields: dict | None) -> list[dict]:
        if fields is None:
            return []
        return [telemetry_event("session", **self._envelope(entry, entry.get("USER_ID")), **fields)]

    def _user_manager_started(self, entry: dict) -> dict | None:
        if not self.state["logons"]:
            return None
        started = self.state["logons"].pop()
        envelope = self._envelope(entry, started["user"])
        envelope["event_time"] = datetime.fromtimestamp(started["time_us"] / 1e6, UTC)
        userspace_us = entry.get("USERSPACE_USEC")
        return telemetry_event(
            "logon",
            **envelope,
            logon_duration_ms=max(0, (int(entry["__REALTIME_TIMESTAMP"]) - started["time_us"]))
            // 1000,
            shell_start_duration_ms=int(userspace_us) // 1000 if userspace_us else None,
        )

    def _vpn(self, entry: dict, message: str) -> dict | None:
        fields = self.vpn.feed(
            message,
            int(entry["__REALTIME_TIMESTAMP"]),
            _priority(entry, message) <= SYSLOG_WARNING,
            self.unparsed,
        )
        return telemetry_event("vpn_session", **self._envelope(entry), **fields) if fields else None

    def _print(self, entry: dict, message: str) -> list[dict]:
        stamp = {"cursor": entry["__CURSOR"], "time_us": int(entry["__REALTIME_TIMESTAMP"])}
        error = _priority(entry, message) <= SYSLOG_ERROR
        return [self._print_event(job) for job in self.cups.feed(message, stamp, error)]

    def _print_event(self, finished: FinishedJob) -> dict:
        envelope = {
            "event_id": self.identity.event_id("journald", finished.stamp["cursor"]),
            "event_time": datetime.fromtimestamp(finished.stamp["time_us"] / 1e6, UTC),
            "user_id": self.identity.user(finished.user),
            "device_id": self.identity.device_id,
        }
        return print_job_event(envelope, finished, self.queues, self.unparsed)


def _listed(event: dict | None) -> list[dict]:
    return [event] if event is not None else []


def _priority(entry: dict, message: str) -> int:
    """The syslog priority of an entry (PRIORITY), else NetworkManager's ``<warn>`` text."""
    priority = entry.get("PRIORITY")
    if priority is not None and str(priority).isdigit():
        return int(priority)
    return SYSLOG_WARNING if message.startswith(("<warn>", "<error>")) else SYSLOG_INFO


def _time(entry: dict) -> datetime:
    return datetime.fromtimestamp(int(entry["__REALTIME_TIMESTAMP"]) / 1e6, UTC)


class JournaldSource(Source):
    """Runs journalctl after the saved cursor and maps the entries."""

    name = "journald"
    event_types = ("logon", "session", "vpn_session", "print_job")
    description = (
        "systemd journal: logind sign-ins and sessions, NetworkManager VPN, cupsd print failures"
    )

    def __init__(self, settings: JournaldSettings, identity: Identity, runner: CommandRunner):
        self.settings = settings
        self.identity = identity
        self.runner = runner
        self.queues = CupsQueues(settings.lpstat, runner)

    def prerequisite_warnings(self) -> list[str]:
        warning = nm_log_level_warning(Path(self.settings.networkmanager_conf_dir))
        return [warning] if warning else []

    def command(self, cursor: str | None) -> list[str]:
        argv = [self.settings.journalctl, "-o", "json", "--no-pager", "-q"]
        argv.append(f"--output-fields={OUTPUT_FIELDS}")
        if self.settings.journal_file:
            argv.append(f"--file={self.settings.journal_file}")
        argv.append(f"--after-cursor={cursor}" if cursor else "--since=-24h")
        argv.extend(f"SYSLOG_IDENTIFIER={identifier}" for identifier in IDENTIFIERS)
        return argv

    def collect(self, bookmark: str | None) -> Collected:
        saved = json.loads(bookmark) if bookmark else {"cursor": None, "state": None}
        output = self.runner(self.command(saved["cursor"]), 60.0)
        mapper = JournalMapper(self.identity, self.queues, saved["state"])
        collected = Collected(unparsed=mapper.unparsed)
        cursor = saved["cursor"]
        for entry in parse_journal_json(output):
            if isinstance(entry, str):  # not JSON: skipped, and passed if its cursor shows
                collected.skipped_records += 1
                found = CURSOR.search(entry)
                cursor = found["cursor"] if found and _is_cursor(found["cursor"]) else cursor
                continue
            if _is_cursor(entry.get("__CURSOR")):
                cursor = entry["__CURSOR"]
            with one_record(mapper.unparsed, entry):
                collected.events += mapper.map(entry)
        collected.events += mapper.finish_round()
        collected.bookmark = json.dumps({"cursor": cursor, "state": mapper.state})
        return collected


def build(settings: JournaldSettings, identity: Identity) -> JournaldSource:
    return JournaldSource(settings, identity, run_command)
