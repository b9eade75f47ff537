"""The sign-in sessions in ``ioreg -n Root -d1 -a``: whose, on the screen or not, locked.

Reads: the XML property list ``ioreg -n Root -d1 -a`` prints for the I/O Registry's root
entry, of which only ``IOConsoleUsers`` is looked at: an array with one dictionary per
graphical login session. WindowServer writes it (an administrator-only registry property:
xnu ``IOResources::setProperties`` -> ``IOService::updateConsoleUsers``); configd copies
the same dictionaries into ``State:/Users/ConsoleUser`` (``SessionInfo``), and
``CGSessionCopyCurrentDictionary`` returns the caller's own. Writes nothing:
:func:`console_sessions` returns a :class:`ConsoleSession` per person's signed-in session.

The keys read, named in xnu ``iokit/IOKit/IOKitKeysPrivate.h`` ("properties found in the
console user dict") and in SystemConfiguration's ``kSCConsoleSession*`` constants:

* ``kCGSSessionAuditIDKey`` (``kSCSecuritySessionID``, the same number in every capture):
  the session's audit session id, the session id sent;
* ``CGSSessionUniqueSessionUUID`` (recent macOS only): tells a new session from an old one
  that had the same audit id before a restart; kept only as a hash;
* ``kCGSSessionUserIDKey`` and ``kCGSSessionUserNameKey``: whose session; a uid below 501
  is a system account (``_mbsetupuser`` in Setup Assistant, ``_windowserver`` after an
  upgrade), not a person, and is left out;
* ``kCGSessionLoginDoneKey`` (one S, as Apple spells it): the login finished. False for
  a login still running and for the login window's own session under fast user
  switching (configd: "multiple sessions, console @ loginwindow"): not a sign-in yet;
* ``kCGSSessionOnConsoleKey``: the session has the screen, keyboard and mouse; false for
  a session fast user switching moved away from them;
* ``CGSSessionScreenIsLocked``: the session's screen is locked. Absent (or false) while
  it is not, so absent reads as unlocked.

A session dictionary of another shape is returned in ``unreadable`` (never silently
dropped); output that is no property list raises :class:`UnreadableOutput`.
"""

from __future__ import annotations

import hashlib
import plistlib
from dataclasses import dataclass, field
from xml.parsers.expat import ExpatError

CONSOLE_USERS = "IOConsoleUsers"
AUDIT_ID = "kCGSSessionAuditIDKey"
SECURITY_SESSION_ID = "kSCSecuritySessionID"
UNIQUE_UUID = "CGSSessionUniqueSessionUUID"
USER_ID = "kCGSSessionUserIDKey"
USER_NAME = "kCGSSessionUserNameKey"
LOGIN_DONE = "kCGSessionLoginDoneKey"
ON_CONSOLE = "kCGSSessionOnConsoleKey"
SCREEN_IS_LOCKED = "CGSSessionScreenIsLocked"
#: The first uid macOS gives a person's account; lower ones are system accounts.
FIRST_PERSON_UID = 501


class UnreadableOutput(ValueError):
    """The output is no ``ioreg -a`` property list of the registry root."""


@dataclass(frozen=True)
class ConsoleSession:
    """A person's signed-in graphical session. ``user`` is the clear account name: the
    source pseudonymizes it at once and keeps only the pseudonym."""

    session_id: str
    unique: str | None
    user: str
    on_console: bool
    locked: bool

    @property
    def active(self) -> bool:
        """In use: on the screen and not locked."""
        return self.on_console and not self.locked


@dataclass
class ConsoleUsers:
    """The signed-in sessions of one output, and what could not be read in it."""

    sessions: list[ConsoleSession] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


def console_sessions(output: str) -> ConsoleUsers:
    """The people's signed-in sessions in ``ioreg -n Root -d1 -a``; no ``IOConsoleUsers``
    (no graphical session yet) means none."""
    try:
        root = plistlib.loads(output.encode(), fmt=plistlib.FMT_XML)
    except (plistlib.InvalidFileException, ExpatError, ValueError) as error:
        raise UnreadableOutput(f"not a property list: {error}") from None
    if isinstance(root, list):  # an array of entries, should ioreg print one
        root = next((e for e in root if isinstance(e, dict) and CONSOLE_USERS in e), {})
    if not isinstance(root, dict):
        raise UnreadableOutput(f"a property list of a {type(root).__name__}, not a dict")
    entries = root.get(CONSOLE_USERS, [])
    if not isinstance(entries, list):
        raise UnreadableOutput(f"{CONSOLE_USERS} is a {type(entries).__name__}, not an array")
    read = ConsoleUsers()
    for entry in entries:
        try:
            session = _session(entry)
        except ValueError as error:
            read.unreadable.append(str(error))
            continue
        if session is not None:
            read.sessions.append(session)
    return read


def _session(entry: object) -> ConsoleSession | None:
    """The session of one ``IOConsoleUsers`` dictionary; None for a system account's or
    a login not finished."""
    if not isinstance(entry, dict):
        raise ValueError(f"a console user that is a {type(entry).__name__}")
    audit_id = entry.get(AUDIT_ID, entry.get(SECURITY_SESSION_ID))
    uid = entry.get(USER_ID)
    if not _is_int(audit_id) or not _is_int(uid):
        raise ValueError(f"a console user without a numeric {AUDIT_ID} and {USER_ID}")
    unique = entry.get(UNIQUE_UUID)
    if not _flag(entry, LOGIN_DONE) or uid < FIRST_PERSON_UID:
        return None
    return ConsoleSession(
        session_id=str(audit_id),
        unique=hashlib.sha256(unique.encode()).hexdigest()[:16]
        if isinstance(unique, str)
        else None,
        user=str(entry.get(USER_NAME) or ""),
        on_console=_flag(entry, ON_CONSOLE),
        locked=_flag(entry, SCREEN_IS_LOCKED),
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _flag(entry: dict, key: str) -> bool:
    """A boolean key; absent is false, another type is an unreadable session."""
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise ValueError(f"a console user whose {key} is a {type(value).__name__}")
    return value
