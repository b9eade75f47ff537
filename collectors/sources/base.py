"""The source interface every collector input implements, and what it needs from the OS.

A source reads one kind of OS output (event log XML, journald JSON, a log file, a
probe) from a bookmark onwards and returns contract events, as the plain dicts that
``contract/wire.py`` builds and checks (no pydantic in the collector service), plus the
new bookmark.
It never talks to Kafka and never writes files: the agent stores the events and the
bookmark together in the spool, in one transaction, so a restart neither loses nor
repeats a record.

The OS sits behind two small interfaces so tests feed captured text:
:class:`CommandRunner` (run a program, get its stdout) and plain file paths.

One bad record never stops a source: each record is read and mapped inside
:func:`one_record`, which counts a record that raises (any error: a value outside the
contract, a broken line, a ``SourceError``) in the round's ``unparsed`` counter as
``rejected (<error type>)`` and lets the source go on, so the round's good records are
kept and the bookmark moves past the bad one. Only a failure of the OS input as a whole
(a command that fails, a missing file) raises out of ``collect``: the agent then keeps
the old bookmark and retries.
"""

from __future__ import annotations

import subprocess
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from xlapulse.collectors.privacy import Pseudonymizer
from xlapulse.collectors.sources.unparsed import Unparsed

EVENT_ID_NAMESPACE = uuid.UUID("6f1d3c52-8a4e-4f0b-9c57-1f0e3f2b7a10")


class SourceError(RuntimeError):
    """A source could not read its OS input; the message says what and how to fix it."""


class CommandRunner(Protocol):
    """Runs a program and returns its standard output as text."""

    def __call__(self, argv: Sequence[str], timeout_s: float) -> str: ...


def run_command(argv: Sequence[str], timeout_s: float) -> str:
    """The real :class:`CommandRunner`: a subprocess, stderr folded into the error message.
    Bytes that are not UTF-8 (a hostile interface or printer name) become U+FFFD: the line
    then fails to parse and is counted, instead of failing every round."""
    try:
        completed = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout_s,
            check=False,
        )
    except FileNotFoundError:
        raise SourceError(f"{argv[0]} is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise SourceError(f"{argv[0]} did not answer within {timeout_s:.0f}s") from None
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip().splitlines()
        reason = detail[0] if detail else "no output"
        raise SourceError(f"{' '.join(argv[:2])} exited {completed.returncode}: {reason}")
    return completed.stdout


@dataclass(frozen=True)
class Identity:
    """Who the events of this endpoint belong to, already pseudonymized."""

    pseudonymizer: Pseudonymizer
    user_id: str
    device_id: str

    def user(self, identity: str | None) -> str:
        """The pseudonym of a user named in a log record, or the endpoint's user."""
        return self.pseudonymizer.user(identity) if identity else self.user_id

    def unparsed(self) -> Unparsed:
        """A fresh per-round counter of unmapped lines, pseudonymizing with this identity's key."""
        return Unparsed(self.pseudonymizer)

    def event_id(self, channel: str, record_id: str) -> uuid.UUID:
        """Deterministic per source record, so re-reading a log creates no duplicates."""
        return uuid.uuid5(EVENT_ID_NAMESPACE, f"{self.device_id}|{channel}|{record_id}")


@dataclass
class Collected:
    """One round of a source: events and the bookmark to resume from next time.

    ``skipped_records`` counts records that are not in the source's format at all (a
    broken line); ``unparsed`` the records its pre-filter selected as concerning a touch
    point that it could not map, per reason (see ``unparsed.py``)."""

    events: list[dict] = field(default_factory=list)
    bookmark: str | None = None
    skipped_records: int = 0
    unparsed: Unparsed = field(default_factory=Unparsed)


class LineMapper:
    """A log-line source's mapper: the endpoint's identity, the source's state between
    lines (stored with the bookmark; its shape is the mapper's own, in its docstring) and
    the round it adds events to. Subclasses add ``feed(line)``."""

    def __init__(self, identity: Identity, state: dict, collected: Collected) -> None:
        self.identity = identity
        self.state = state
        self.collected = collected


@contextmanager
def one_record(unparsed: Unparsed, record: object) -> Iterator[None]:
    """Read or map one record; if it raises, count it in ``unparsed`` (``rejected (<error
    type>)``, with a pseudonymized excerpt of ``record``) and go on with the next one."""
    try:
        yield
    except Exception as error:  # isolation: one bad record never stops its source
        unparsed.reject(error, str(record))


class Source(ABC):
    """A named input; ``collect`` is called on the source's schedule."""

    name: str = ""
    event_types: tuple[str, ...] = ()
    description: str = ""

    def prerequisite_warnings(self) -> list[str]:
        """What the OS's configuration makes this source miss (``collector check``); the
        sources that depend on a log level or an enabled channel override it."""
        return []

    @abstractmethod
    def collect(self, bookmark: str | None) -> Collected:
        """Read everything after ``bookmark``; raise :class:`SourceError` if the OS input fails."""
