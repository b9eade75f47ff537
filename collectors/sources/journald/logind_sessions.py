"""logind sessions from the journal: started and ended (the exposure denominator on Linux).

Reads: systemd-logind's journal entries "New session <id> of user <name>." (MESSAGE_ID
8d45620c..., ``SD_MESSAGE_SESSION_START``, logged by ``session_start`` in
src/login/logind-session.c) and "Removed session <id>." (MESSAGE_ID 33549394...,
``SD_MESSAGE_SESSION_STOP``, ``session_finalize``), both with the ``SESSION_ID`` and
``USER_ID`` (user name) fields. Writes: the fields of ``session`` events (contract 1.3)
and the open sessions into ``state`` (session id -> start in µs since the epoch), which
the source keeps in its bookmark, so a session is measured across rounds and restarts.
A session longer than the contract's 31 days ends with ``active_duration_s`` unknown.

What logind does not log, and so is not measured here:

* Lock and unlock. logind's ``Lock``/``Unlock`` methods only send a D-Bus signal
  (``session_send_lock``), and ``SetLockedHint`` only changes a property; neither writes
  a journal entry. A Linux session is therefore active from start to end: its
  ``active_duration_s`` on ``ended`` is the session's length, an upper bound.
* Background sessions (class ``background``, e.g. a cron job or a lingering user
  manager) are logged at debug level only, so they never reach the journal by default.

Display manager greeters (the login screen: gdm, lightdm, sddm) open a session of their
own system user before a person signs in; those users are in
:data:`GREETER_USERS` and write no session event.
"""

from __future__ import annotations

import re

SESSION_STARTED = "8d45620c1a4348dbb17410da57c60c66"
SESSION_REMOVED = "3354939424b4456d9802ca8333ed424a"
GREETER_USERS = frozenset({"gdm", "gdm-greeter", "lightdm", "sddm"})
SESSION_ID = re.compile(r"[A-Za-z0-9]{1,64}")  # logind's ids: "7", "c1"
#: The contract's bound on active_duration_s (31 days); a longer session is sent as unknown.
MAX_ACTIVE_S = 31 * 86_400
#: Open sessions kept at most (a bookmark must not grow without bound on a shared host).
MAX_OPEN_SESSIONS = 200


class LogindSessions:
    """The open logind sessions of a host, across rounds."""

    def __init__(self, state: dict[str, int]) -> None:
        self.open = state

    def started(self, entry: dict) -> dict | None:
        """The fields of a ``started`` event, or None for a greeter's session."""
        session_id = _session_id(entry)
        if entry.get("USER_ID") in GREETER_USERS:
            return None
        self.open[session_id] = int(entry["__REALTIME_TIMESTAMP"])
        while len(self.open) > MAX_OPEN_SESSIONS:
            del self.open[next(iter(self.open))]
        return {"state": "started", "session_id": session_id}

    def removed(self, entry: dict) -> dict | None:
        """The fields of an ``ended`` event; ``active_duration_s`` is None when the session
        started before the first read."""
        session_id = _session_id(entry)
        if entry.get("USER_ID") in GREETER_USERS:
            return None
        started_us = self.open.pop(session_id, None)
        ended_us = int(entry["__REALTIME_TIMESTAMP"])
        active_s = max(0, ended_us - started_us) // 1_000_000 if started_us is not None else None
        return {
            "state": "ended",
            "session_id": session_id,
            "active_duration_s": active_s if active_s is None or active_s <= MAX_ACTIVE_S else None,
        }


def _session_id(entry: dict) -> str:
    session_id = str(entry.get("SESSION_ID") or "").strip()
    if not SESSION_ID.fullmatch(session_id):
        raise ValueError("logind session entry without a valid SESSION_ID")
    return session_id
