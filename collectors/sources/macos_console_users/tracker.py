"""One round of console sessions compared with the last: started, locked, unlocked, ended.

Reads: the sessions of this round (session id -> :class:`Seen`, the user already a
pseudonym) and ``state``, the last round as the source keeps it in its bookmark (session
id -> user pseudonym, hashed session UUID, active or not, since when; and the round's
time: no account name is ever in it). Writes: the fields of ``session`` events
(contract 1.3: state, session_id, active_duration_s), each with its user and time, and the
new ``state``.

A session is *active* while it is on the console (screen, keyboard and mouse) and its
screen is not locked. Per session, from one round to the next:

* it appears: **started** (and at once **locked**, 0 s active, when it appears not
  active, e.g. signed in on the login window and switched away from at once);
* active -> not active: **locked**, for a screen lock and for fast user switching moving
  it off the console alike (nobody is in front of it; Windows' collector does the same
  for a switch away and a Remote Desktop disconnect); not active -> active: **unlocked**;
* it is gone, or its id now belongs to another user or session UUID (ids restart after
  a restart of the Mac): **ended**.

``active_duration_s`` on locked and ended: seconds from the round that saw the session
become active to the round that saw it stop, so to within one interval; 0 when it ends
while not active; None when that start was not seen (a session already running at the
collector's first read, which is taken in without an event) or exceeds 31 days.
Starts and unlocks are dated to the round that saw them; locks and ends too, except
after a gap of more than two intervals since the last round read (the Mac slept or was
off, the collector was stopped, ioreg's output was unreadable): then they are dated to
that round, so no unobserved time is counted as active.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The contract's bound on active_duration_s (31 days); a longer span is sent as unknown.
MAX_ACTIVE_S = 31 * 86_400
#: Sessions kept at most (a bookmark must not grow without bound).
MAX_OPEN_SESSIONS = 50


@dataclass(frozen=True)
class Seen:
    """A signed-in session as this round saw it."""

    user: str  # the pseudonym
    unique: str | None  # hash of the session's UUID, where macOS gives one
    active: bool


@dataclass(frozen=True)
class Change:
    """One session event: its fields, whose it is and when."""

    fields: dict
    user: str
    at_s: int


class ConsoleTracker:
    """The sessions of one Mac, from round to round."""

    def __init__(self, state: dict | None, now_s: int, interval_s: int) -> None:
        self.first = state is None
        self.open: dict[str, dict] = (state or {}).get("open", {})
        last_s = (state or {}).get("round_s")
        self.now_s = now_s
        # a change away from active happened after the last round: after a gap, date it there
        self.left_s = last_s if last_s is not None and now_s - last_s > 2 * interval_s else now_s

    @property
    def state(self) -> dict:
        return {"round_s": self.now_s, "open": self.open}

    def round(self, seen: dict[str, Seen], complete: bool) -> list[Change]:
        """The changes since the last round; ``complete``: every session of the output
        was read, so one missing has ended (else none is ended this round)."""
        changes: list[Change] = []
        for session_id, now in seen.items():
            before = self.open.get(session_id)
            if before is not None and _other_session(before, now):
                changes.append(self._ended(session_id))
                before = None
            if before is None:
                changes += self._appeared(session_id, now)
            elif before["active"] != now.active:
                changes.append(
                    self._locked(session_id) if before["active"] else self._unlocked(session_id)
                )
        if complete:
            changes += [self._ended(gone) for gone in list(self.open) if gone not in seen]
        while len(self.open) > MAX_OPEN_SESSIONS:
            del self.open[next(iter(self.open))]
        return changes

    def _appeared(self, session_id: str, now: Seen) -> list[Change]:
        self.open[session_id] = {
            "user": now.user,
            "unique": now.unique,
            "active": now.active,
            "since": None if self.first else self.now_s,
        }
        if self.first:
            return []  # already running at the first read: its start was not seen
        started = Change({"state": "started", "session_id": session_id}, now.user, self.now_s)
        if now.active:
            return [started]
        locked = {"state": "locked", "session_id": session_id, "active_duration_s": 0}
        return [started, Change(locked, now.user, self.now_s)]

    def _locked(self, session_id: str) -> Change:
        session = self.open[session_id]
        fields = {
            "state": "locked",
            "session_id": session_id,
            "active_duration_s": self._active_s(session),
        }
        session.update(active=False, since=self.left_s)
        return Change(fields, session["user"], self.left_s)

    def _unlocked(self, session_id: str) -> Change:
        session = self.open[session_id]
        session.update(active=True, since=self.now_s)
        return Change({"state": "unlocked", "session_id": session_id}, session["user"], self.now_s)

    def _ended(self, session_id: str) -> Change:
        session = self.open.pop(session_id)
        fields = {
            "state": "ended",
            "session_id": session_id,
            "active_duration_s": self._active_s(session),
        }
        return Change(fields, session["user"], self.left_s)

    def _active_s(self, session: dict) -> int | None:
        """Active seconds up to the change: 0 if not active, None if not measured."""
        if session["since"] is None:
            return None
        if not session["active"]:
            return 0
        active_s = max(0, self.left_s - session["since"])
        return active_s if active_s <= MAX_ACTIVE_S else None


def _other_session(before: dict, now: Seen) -> bool:
    """The id now names another session: another user's, or another UUID's."""
    return before["user"] != now.user or (
        before["unique"] is not None and now.unique is not None and before["unique"] != now.unique
    )
