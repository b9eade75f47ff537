"""The real IOConsoleUsers captures of tests/data/os/macos/ioreg, as ``ioreg -a`` prints them.

Reads: the captures in the text forms they were published in (tests/data/os/PROVENANCE.md):
ioreg's text form (``"key"=Yes``), ``scutil`` ``show State:/Users/ConsoleUser``
(``key : TRUE``) and a CGSession dictionary logged key by key (``key: 1``). Writes
nothing: :func:`session_dicts` gives each capture's session dictionaries with typed
values, :func:`ioreg_xml` the XML property list ``ioreg -n Root -d1 -a`` prints for a
root holding them (a conversion, said so in the provenance: no ``-a`` capture was
published; plistlib writes the same plist XML ioreg does: ``<dict>``, ``<array>``,
``<true/>``, ``<integer>``), and :func:`run_rounds` runs the source on a list of outputs,
one round per interval.
"""

from __future__ import annotations

import plistlib
import re
from pathlib import Path

from tests.unit.helpers import IDENTITY, runtime_settings
from xlapulse.collectors.sources.base import Collected
from xlapulse.collectors.sources.macos_console_users.settings import MacosConsoleUsersSettings
from xlapulse.collectors.sources.macos_console_users.source import MacosConsoleUsersSource

CAPTURES = Path(__file__).resolve().parents[1] / "data" / "os" / "macos" / "ioreg"
#: The session keys whose values are booleans (xnu IOKitKeysPrivate.h, kSCConsoleSession*).
FLAGS = frozenset(
    {
        "kCGSSessionOnConsoleKey",
        "kCGSessionLoginDoneKey",
        "CGSSessionScreenIsLocked",
        "kCGSSessionSystemSafeBoot",
        "kCGSSessionLoginwindowSafeLogin",
    }
)
IOREG_PAIR = re.compile(r'"([^"]+)"=("[^"]*"|[^,}]+)')
SCUTIL_PAIR = re.compile(r"^\s+(k\w+|CGS\w+) : (.*)$", re.MULTILINE)
LOGGED_PAIR = re.compile(r"\] (k\w+|CGS\w+): (.*)$", re.MULTILINE)
T0 = 1_790_000_000  # 2026-09-21T14:13:20Z, the first round's time in the tests


def _value(key: str, text: str) -> object:
    text = text.strip()
    if key in FLAGS:
        return {"Yes": True, "TRUE": True, "1": True, "No": False, "FALSE": False, "0": False}[text]
    if text.isdigit():
        return int(text)
    return text.strip('"')


def session_dicts(name: str) -> list[dict]:
    """The session dictionaries of capture ``name``, values typed as in the registry."""
    text = (CAPTURES / name).read_text()
    if name.endswith(".log"):  # one session, logged key by key
        return [{k: _value(k, v) for k, v in LOGGED_PAIR.findall(text)}]
    if "SessionInfo" in text:  # scutil: one "N : <dictionary> {" block per session
        blocks = text.split("SessionInfo")[1].split("<dictionary>")[1:]
        return [{k: _value(k, v) for k, v in SCUTIL_PAIR.findall(b)} for b in blocks]
    users = text.split('"IOConsoleUsers" = (')[1].rsplit(")", 1)[0]
    return [{k: _value(k, v) for k, v in IOREG_PAIR.findall(d)} for d in users.split("},{")]


def ioreg_xml(*sessions: dict) -> str:
    """``ioreg -n Root -d1 -a`` of a root whose IOConsoleUsers are ``sessions``."""
    root = {"IOConsoleUsers": list(sessions), "IORegistryEntryName": "Root"}
    return plistlib.dumps(root, fmt=plistlib.FMT_XML).decode()


def with_keys(session: dict, **keys: object) -> dict:
    """``session`` with ``keys`` set (a derived round: the tests say which keys)."""
    return {**session, **keys}


def run_rounds(
    outputs: list[str], bookmark: str | None = None, start_s: int = T0, interval_s: int = 60
) -> list[Collected]:
    """One round per output, ``interval_s`` apart from ``start_s``, each from the last's
    bookmark."""
    settings = runtime_settings(MacosConsoleUsersSettings(interval_s=interval_s))
    rounds: list[Collected] = []
    for index, output in enumerate(outputs):

        def ioreg(argv, timeout_s, output=output):
            assert list(argv) == ["/usr/sbin/ioreg", "-n", "Root", "-d1", "-a"]
            return output

        at_s = start_s + index * interval_s
        source = MacosConsoleUsersSource(settings, IDENTITY, ioreg, clock=lambda at_s=at_s: at_s)
        rounds.append(source.collect(rounds[-1].bookmark if rounds else bookmark))
    return rounds


def day_outputs() -> list[str]:
    """The rounds of the sources README's sample: the login window (no session), the
    unlocked session of nusb #37 signing in, locked (the two keys the locked capture
    carries, set on it), unlocked, the kolide #911 pair of fast user switching sessions
    signed in with it switched away (derived: its kCGSSessionOnConsoleKey flags), switched
    back as published, and everyone signed out."""
    (unlocked,) = session_dicts("nusb-37-ioreg-root-unlocked.txt")
    (locked,) = session_dicts("ulalaca-cgsession-locked.log")
    lock = {k: locked[k] for k in ("CGSSessionScreenIsLocked", "CGSSessionScreenLockedTime")}
    jane, junior = session_dicts("kolide-launcher-scutil-two-sessions.txt")
    switched = (
        with_keys(jane, kCGSSessionOnConsoleKey=False),
        with_keys(junior, kCGSSessionOnConsoleKey=True),
    )
    return [
        ioreg_xml(),
        ioreg_xml(unlocked),
        ioreg_xml(with_keys(unlocked, **lock)),
        ioreg_xml(unlocked),
        ioreg_xml(),
        ioreg_xml(*switched),
        ioreg_xml(jane, junior),
        ioreg_xml(),
    ]
