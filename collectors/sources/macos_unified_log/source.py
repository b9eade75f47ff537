"""macOS unified log source: boot, VPN (nesessionmanager) and print (cupsd) events.

Reads: ``log show --style ndjson --start <time> --predicate <PREDICATE>`` from the
last entry's timestamp onwards (the last 24 h on first start). Writes: boot,
vpn_session and print_job events (wire dicts, ``contract/wire.py``).

* Boot: a new ``bootUUID`` starts a boot at its first entry; loginwindow's
  "Login Window Application Started" ends it.
* VPN: nesessionmanager's session lines, ``<class>[<role>:<name>:<uuid>(:<more>)]:
  status changed to <status>`` for every session class (``NESMVPNSession``,
  ``NESMIKEv2VPNSession``, ``NESMLegacySession``, ...; the bracket may end in
  ``:(null)]``). ``connected`` is a connect; ``disconnected`` ends the session, a
  failure when a "Last disconnect error ... changed from ... to "<text>"" came before
  it or the line names a stop reason that is not a normal one (``, last stop reason
  <reason>`` / ``with reason <reason>``): failed if never connected, dropped if it was.
  ``connecting``, ``disconnecting`` and ``reasserting`` are steps of a session, not
  outcomes. A nesessionmanager status line whose session or status is not recognised
  is counted as unparsed. nesessionmanager is not open source: the texts come from
  logs published in forums and vendor documentation, and the test samples are
  reconstructions (tests/data/os/PROVENANCE.md).
* Print: cupsd job messages, as in the error_log (see ``cups_jobs``); a queue whose
  device is a print server is reported as ``<queue>@<server>`` (``lpstat -v``,
  ``cups_queues``).

A line that is no JSON object is a skipped record; an entry the mapper raises on is
counted as ``rejected (...)`` (``base.one_record``) and passed; only an entry with a
well-formed timestamp moves the bookmark. Messages are read up to
:data:`MAX_MESSAGE_CHARS` (the patterns then stay fast on any input).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
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

PREDICATE = (
    'process == "loginwindow" OR process == "nesessionmanager" OR process == "cupsd" OR '
    '(process == "kernel" AND eventMessage BEGINSWITH "Darwin Kernel Version")'
)
VPN_SESSION = re.compile(
    r"(?P<session_class>NESM\w*Session)\[(?:(?:Primary|Secondary) \w+:)?(?P<name>[^\]]*?):"
    r"(?P<uuid>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})"
    r"(?::[^\]]*)?\]"
)

if TYPE_CHECKING:
    from xlapulse.collectors.sources.macos_unified_log.settings import MacosUnifiedLogSettings
VPN_STATUS = re.compile(
    r"status changed to (?P<status>\w+)(?:,? (?:last stop reason|with reason) (?P<reason>.+))?$"
)
VPN_STEPS = frozenset({"connecting", "disconnecting", "reasserting", "invalid"})
VPN_ERROR = re.compile(r'Last disconnect error for .* changed from "[^"]*" to "(?P<error>[^"]+)"')
NO_ERROR = frozenset({"none", "(null)", ""})
NORMAL_STOP_REASONS = frozenset(
    reason.casefold()
    for reason in (
        "None",
        "User initiated",
        "User logged out",
        "User switched",
        "Configuration disabled",
        "Configuration removed",
        "Superceded",
        "Superseded",
        "Idle timeout",
        "Sleep",
        "Stop command received",
    )
)
LOGIN_WINDOW_STARTED = "Login Window Application Started"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f%z"
MAX_MESSAGE_CHARS = 4096


def parse_ndjson(text: str) -> list[dict | str]:
    """Entries of ``log show --style ndjson`` (lines split on ``\\n`` only; the closing
    ``{"count":..}`` line dropped); a line that is no JSON object is given back as text."""
    entries: list[dict | str] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError):
            entry = None
        if not isinstance(entry, dict):
            entries.append(line)
        elif "eventMessage" in entry:
            entries.append(entry)
    return entries


def entry_time(entry: dict) -> datetime:
    """``2026-11-20 08:01:02.123456+0100`` as an aware datetime."""
    return datetime.strptime(entry["timestamp"], TIME_FORMAT)


class UnifiedLogMapper:
    """Maps entries in order; ``state`` keeps the open boot, VPN sessions and print jobs,
    ``queues`` the print servers of the CUPS queues."""

    def __init__(self, identity: Identity, queues: CupsQueues, state: dict | None = None) -> None:
        self.identity = identity
        self.queues = queues
        self.state = state or {"boot": None, "boot_uuid": None, "vpn": {}, "cups": {}}
        self.cups = CupsJobTracker(self.state["cups"])
        self.unparsed = identity.unparsed()

    def map(self, entry: dict) -> list[dict]:
        process = entry.get("processImagePath", "").rsplit("/", 1)[-1]
        if entry.get("bootUUID") and entry["bootUUID"] != self.state["boot_uuid"]:
            self.state["boot_uuid"] = entry["bootUUID"]
            self.state["boot"] = entry["timestamp"]
        message = str(entry.get("eventMessage", ""))[:MAX_MESSAGE_CHARS]
        if process == "loginwindow" and LOGIN_WINDOW_STARTED in message:
            return _listed(self._boot(entry))
        if process == "nesessionmanager":
            return _listed(self._vpn(entry, message))
        if process == "cupsd":
            return self._print(entry, message)
        return []

    def _envelope(self, entry: dict, user: str | None = None) -> dict:
        record = f"{entry.get('bootUUID')}|{entry.get('machTimestamp')}|{entry.get('traceID')}"
        return {
            "event_id": self.identity.event_id("unified-log", record),
            "event_time": entry_time(entry),
            "user_id": self.identity.user(user),
            "device_id": self.identity.device_id,
        }

    def _boot(self, entry: dict) -> dict | None:
        started, self.state["boot"] = self.state["boot"], None
        if started is None:
            return None
        start = datetime.strptime(started, TIME_FORMAT)
        envelope = self._envelope(entry)
        envelope["event_time"] = start
        return telemetry_event("boot", **envelope, boot_duration_ms=_ms(entry_time(entry) - start))

    def _vpn(self, entry: dict, message: str) -> dict | None:
        session = VPN_SESSION.search(message)
        if session is None:
            if "status changed to" in message or "disconnect error" in message:
                self.unparsed.add("nesm-session-unrecognised", message)
            return None
        attempt = self.state["vpn"].setdefault(session["uuid"].upper(), {})
        error = VPN_ERROR.search(message)
        if error:
            if error["error"].strip().casefold() not in NO_ERROR:
                attempt["error"] = error["error"]
            return None
        status = VPN_STATUS.search(message)
        if status is None or status["status"] in VPN_STEPS:
            return None
        gateway = session["name"][:200] or None
        if status["status"] == "connected":
            attempt["connected"] = entry["timestamp"]
            attempt.pop("error", None)
            return telemetry_event(
                "vpn_session", **self._envelope(entry), state="connected", vpn_gateway=gateway
            )
        if status["status"] != "disconnected":
            self.unparsed.add("nesm-status-unrecognised", message)
            return None
        return self._vpn_ended(entry, session["uuid"].upper(), status["reason"], gateway)

    def _vpn_ended(
        self, entry: dict, uuid: str, stop_reason: str | None, gateway: str | None
    ) -> dict:
        attempt = self.state["vpn"].pop(uuid, {})
        connected = attempt.get("connected")
        abnormal_stop = stop_reason and stop_reason.strip().casefold() not in NORMAL_STOP_REASONS
        failure = attempt.get("error") or (stop_reason.strip() if abnormal_stop else None)
        state = "disconnected" if not failure else ("dropped" if connected else "failed")
        duration = (
            entry_time(entry) - datetime.strptime(connected, TIME_FORMAT) if connected else None
        )
        return telemetry_event(
            "vpn_session",
            **self._envelope(entry),
            state=state,
            reason=failure[:200] if failure else None,
            session_duration_s=int(duration.total_seconds()) if duration else None,
            vpn_gateway=gateway,
        )

    def _print(self, entry: dict, message: str) -> list[dict]:
        record = f"{entry.get('bootUUID')}|{entry.get('machTimestamp')}|{entry.get('traceID')}"
        stamp = {"timestamp": entry["timestamp"], "record": record}
        error = entry.get("messageType") in ("Error", "Fault")
        return [self._print_event(job) for job in self.cups.feed(message, stamp, error)]

    def _print_event(self, finished: FinishedJob) -> dict:
        envelope = {
            "event_id": self.identity.event_id("unified-log", finished.stamp["record"]),
            "event_time": datetime.strptime(finished.stamp["timestamp"], TIME_FORMAT),
            "user_id": self.identity.user(finished.user),
            "device_id": self.identity.device_id,
        }
        return print_job_event(envelope, finished, self.queues, self.unparsed)

    def finish_round(self) -> list[dict]:
        """The print failures whose queue line never came; the state to save is in ``state``."""
        events = []
        for job in self.cups.flush(self.unparsed):
            with one_record(self.unparsed, f"print job {job.job_id}"):
                events.append(self._print_event(job))
        self.state["cups"] = self.cups.state
        return events


def _listed(event: dict | None) -> list[dict]:
    return [event] if event is not None else []


def _ms(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))


class MacosUnifiedLogSource(Source):
    """Runs ``log show`` from the last timestamp and maps the entries."""

    name = "macos_unified_log"
    event_types = ("boot", "vpn_session", "print_job")
    description = "macOS unified log: boot, nesessionmanager VPN, cupsd print jobs"

    def __init__(
        self, settings: MacosUnifiedLogSettings, identity: Identity, runner: CommandRunner
    ):
        self.settings = settings
        self.identity = identity
        self.runner = runner
        self.queues = CupsQueues(settings.lpstat, runner)

    def collect(self, bookmark: str | None) -> Collected:
        saved = json.loads(bookmark) if bookmark else {"last": None, "seen": [], "state": None}
        start = ["--start", saved["last"][:19]] if saved["last"] else ["--last", "24h"]
        argv = [self.settings.log_command, "show", "--style", "ndjson", *start]
        output = self.runner([*argv, "--predicate", PREDICATE], 120.0)
        mapper = UnifiedLogMapper(self.identity, self.queues, saved["state"])
        seen = set(saved["seen"])  # entries of the last second were read last time too
        collected = Collected(unparsed=mapper.unparsed)
        last, last_second = saved["last"], []
        for entry in parse_ndjson(output):
            if isinstance(entry, str):
                collected.skipped_records += 1
                continue
            key = f"{entry.get('machTimestamp')}|{entry.get('traceID')}"
            if key in seen:
                continue
            with one_record(mapper.unparsed, entry):
                collected.events += mapper.map(entry)
            if not _has_timestamp(entry):
                continue
            if entry["timestamp"][:19] != (last or "")[:19]:
                last_second = []
            last = entry["timestamp"]
            last_second.append(key)
        collected.events += mapper.finish_round()
        bookmark = {"last": last, "seen": last_second or saved["seen"], "state": mapper.state}
        collected.bookmark = json.dumps(bookmark)
        return collected


def _has_timestamp(entry: dict) -> bool:
    """Whether the entry's timestamp is one ``log show --start`` can be given back."""
    try:
        entry_time(entry)
    except (TypeError, ValueError, KeyError):
        return False
    return True


def build(settings: MacosUnifiedLogSettings, identity: Identity) -> MacosUnifiedLogSource:
    return MacosUnifiedLogSource(settings, identity, run_command)
