"""macOS console sessions source: sign-in sessions started, locked, unlocked and ended.

Reads: ``ioreg -n Root -d1 -a`` (``/usr/sbin/ioreg``, no privileges needed) every
``interval_s``: the registry root's ``IOConsoleUsers`` (``console_users.py``), a
documented registry property rather than loginwindow's log texts, which are neither
documented nor stable. Writes: ``session`` events (wire dicts, ``contract/wire.py``) of
the changes since the last round (``tracker.py``), each under the pseudonym of the
session's user; the bookmark is the tracker's state (JSON: session ids, user pseudonyms,
hashed session UUIDs, times; no account name).

Output that is no property list is counted as ``ioreg-output-unreadable`` and the
bookmark stays, so the next round compares with the last readable one; a session
dictionary of another shape is counted as ``console-session-unreadable`` (and no session
is ended that round). A failing ioreg is a :class:`~..base.SourceError`, retried by the
agent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
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
from xlapulse.collectors.sources.macos_console_users.console_users import (
    UnreadableOutput,
    console_sessions,
)
from xlapulse.collectors.sources.macos_console_users.tracker import Change, ConsoleTracker, Seen

if TYPE_CHECKING:
    from xlapulse.collectors.sources.macos_console_users.settings import (
        MacosConsoleUsersSettings,
    )


class MacosConsoleUsersSource(Source):
    """Runs ``ioreg`` and compares the console sessions with the last round."""

    name = "macos_console_users"
    event_types = ("session",)
    description = "macOS console sessions (IOConsoleUsers): sign-in, lock, unlock, sign-out"

    def __init__(
        self,
        settings: MacosConsoleUsersSettings,
        identity: Identity,
        runner: CommandRunner,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.identity = identity
        self.runner = runner
        self.clock = clock

    def collect(self, bookmark: str | None) -> Collected:
        output = self.runner([self.settings.ioreg, "-n", "Root", "-d1", "-a"], 30.0)
        collected = Collected(bookmark=bookmark, unparsed=self.identity.unparsed())
        try:
            read = console_sessions(output)
        except UnreadableOutput as error:
            collected.unparsed.add("ioreg-output-unreadable", str(error))
            return collected
        for problem in read.unreadable:
            collected.unparsed.add("console-session-unreadable", problem)
        seen = {
            s.session_id: Seen(self.identity.user(s.user), s.unique, s.active)
            for s in read.sessions
        }
        state = json.loads(bookmark) if bookmark else None
        tracker = ConsoleTracker(state, int(self.clock()), self.settings.interval_s)
        for change in tracker.round(seen, complete=not read.unreadable):
            with one_record(collected.unparsed, f"session {change.fields['session_id']}"):
                collected.events.append(self._event(change))
        collected.bookmark = json.dumps(tracker.state)
        return collected

    def _event(self, change: Change) -> dict:
        fields = change.fields
        return telemetry_event(
            "session",
            event_id=self.identity.event_id(
                self.name, f"{fields['session_id']}|{fields['state']}|{change.at_s}"
            ),
            event_time=datetime.fromtimestamp(change.at_s, UTC),
            user_id=change.user,
            device_id=self.identity.device_id,
            **fields,
        )


def build(settings: MacosConsoleUsersSettings, identity: Identity) -> MacosConsoleUsersSource:
    return MacosConsoleUsersSource(settings, identity, run_command)
