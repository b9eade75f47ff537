"""Interactive Windows sessions from the Security log: started, locked, unlocked, ended.

Reads: Security 4624 (logon), 4800 (locked), 4801 (unlocked), 4779 (disconnected),
4778 (reconnected), 4647 (user-initiated logoff) and 4634 (logoff) records, as
:class:`WinEvent`. Writes: the fields of
``session`` events (contract 1.3: state, session_id, active_duration_s), and the open
sessions into ``state`` (a JSON-ready dict the source keeps in its bookmark), so a
session that spans rounds or a collector restart is still measured from its start.

* Only interactive logons count: logon types 2 (interactive), 10 (remote interactive)
  and 11 (cached interactive). Desktop Window Manager (``S-1-5-90-*``, "DWM-1") and
  font driver host (``S-1-5-96-*``, "UMFD-0") log on with type 2 at every sign-in too;
  they are machine accounts, not a person, and are left out.
* The session id is the TargetLogonId. An administrator's sign-in under UAC logs two
  4624 records (the elevated and the filtered token), each naming the other as
  TargetLinkedLogonId: the second is the same session and starts nothing.
* ``active_duration_s`` on locked and ended: whole seconds from the start or the last
  unlock to this record; 0 when the session ends while locked; None when the collector
  never saw the session start or unlock (it began before the first read), or when the
  span exceeds the contract's 31 days.
* A Remote Desktop disconnect (4779) or a switch away by Fast User Switching leaves the
  session running with nobody in front of it: it is sent as ``locked``, and the
  reconnect (4778) as ``unlocked``. Both name the session by ``LogonID`` (4800 and 4801
  by ``TargetLogonId``); all four need the "Other Logon/Logoff Events" audit policy.
* A logoff ends a session once. 4647 (a person's logoff) always ends one, also a
  session that began before the first read; 4634 (the logon session is gone, after
  4647 or without it at a forced logoff) ends only a session still open, and only of
  an interactive logon type, so the pair writes one ``ended``.
"""

from __future__ import annotations

import re
from datetime import datetime

from xlapulse.collectors.sources.windows_eventlog.windows_xml import WinEvent

INTERACTIVE_LOGON_TYPES = frozenset({2, 10, 11})
#: SID prefixes of the virtual accounts Windows signs in with type 2 beside each user.
MACHINE_SID_PREFIXES = ("S-1-5-90-", "S-1-5-96-")
NO_LINKED_LOGON = "0x0"
LOGON_ID = re.compile(r"0x[0-9a-f]{1,16}")  # a LUID as the Security log prints it
#: The contract's bound on active_duration_s (31 days); a longer span is sent as unknown.
MAX_ACTIVE_S = 31 * 86_400
#: Open sessions kept at most (a bookmark must not grow without bound on a terminal server).
MAX_OPEN_SESSIONS = 200


class SessionTracker:
    """The open interactive sessions of a device, across rounds."""

    def __init__(self, state: dict | None) -> None:
        #: logon id -> {"active_since": ISO time or None while locked}
        self.open: dict[str, dict] = (state or {}).get("open", {})
        #: the linked (second UAC token) logon id -> the session's logon id
        self.linked: dict[str, str] = (state or {}).get("linked", {})

    @property
    def state(self) -> dict:
        return {"open": self.open, "linked": self.linked}

    def started(self, record: WinEvent) -> dict | None:
        """4624: the fields of a ``started`` event, or None for a logon that is no session."""
        if not is_interactive(record):
            return None
        logon_id = _logon_id(record)
        linked = record.named.get("TargetLinkedLogonId", NO_LINKED_LOGON).strip().lower()
        if linked not in ("", NO_LINKED_LOGON) and linked in self.open:
            self.linked[logon_id] = linked
            return None
        self.open[logon_id] = {"active_since": record.time_created.isoformat()}
        _drop_oldest(self.open, self.linked)
        return {"state": "started", "session_id": logon_id}

    def locked(self, record: WinEvent) -> dict:
        """4800 (locked) or 4779 (disconnected): the session stops being active."""
        session_id = self._session_id(record)
        session = self.open.get(session_id)
        active_s = _active_s(session, record.time_created)
        if session is not None:
            session["active_since"] = None
        return {"state": "locked", "session_id": session_id, "active_duration_s": active_s}

    def unlocked(self, record: WinEvent) -> dict:
        """4801 (unlocked) or 4778 (reconnected): active again from now (a session first
        seen here is tracked from now)."""
        session_id = self._session_id(record)
        self.open[session_id] = {"active_since": record.time_created.isoformat()}
        _drop_oldest(self.open, self.linked)
        return {"state": "unlocked", "session_id": session_id}

    def ended(self, record: WinEvent) -> dict | None:
        """4647 or 4634: the fields of an ``ended`` event, or None when nothing open ends."""
        if _is_machine(record) or (record.event_id == 4634 and not is_interactive(record)):
            return None
        session_id = self._session_id(record)
        if session_id not in self.open and record.event_id == 4634:
            return None
        session = self.open.pop(session_id, None)
        for linked, primary in list(self.linked.items()):
            if primary == session_id:
                del self.linked[linked]
        return {
            "state": "ended",
            "session_id": session_id,
            "active_duration_s": _active_s(session, record.time_created),
        }

    def _session_id(self, record: WinEvent) -> str:
        logon_id = _logon_id(record)
        return self.linked.get(logon_id, logon_id)


def is_interactive(record: WinEvent) -> bool:
    """A person's interactive, remote interactive or cached sign-in (not DWM or UMFD)."""
    return record.number("LogonType") in INTERACTIVE_LOGON_TYPES and not _is_machine(record)


def _is_machine(record: WinEvent) -> bool:
    return record.named.get("TargetUserSid", "").strip().upper().startswith(MACHINE_SID_PREFIXES)


def _logon_id(record: WinEvent) -> str:
    """The session's logon id: TargetLogonId, or LogonID on 4778 and 4779."""
    logon_id = record.named.get("TargetLogonId", record.named.get("LogonID", "")).strip().lower()
    if not LOGON_ID.fullmatch(logon_id):
        raise ValueError(f"Security {record.event_id} without a hexadecimal logon id")
    return logon_id


def _active_s(session: dict | None, until: datetime) -> int | None:
    """Whole seconds active up to ``until``: 0 if locked, None if never seen active."""
    if session is None:
        return None
    since = session["active_since"]
    if since is None:
        return 0
    active_s = max(0, int((until - datetime.fromisoformat(since)).total_seconds()))
    return active_s if active_s <= MAX_ACTIVE_S else None


def _drop_oldest(open_sessions: dict[str, dict], linked: dict[str, str]) -> None:
    while len(open_sessions) > MAX_OPEN_SESSIONS:
        oldest = next(iter(open_sessions))
        del open_sessions[oldest]
        for alias in [a for a, primary in linked.items() if primary == oldest]:
            del linked[alias]
