"""Lines a source's pre-filter selected but could not map: counted, never dropped silently.

Reads: the lines a mapper gives up on. Writes: nothing; :class:`Unparsed` keeps a count
per reason and the first excerpt of each reason for one round (``Collected.unparsed``),
which the collector logs (at most once per reason per interval), sums in its summary and
``collector once`` prints.

A record the source raised on (a value out of the contract's range, a line that breaks
its parser) is counted the same way by :meth:`Unparsed.reject`, under the reason
``rejected (<error type>)``, and skipped: the source goes on with the next record and
its bookmark moves past it (``base.one_record``).

An excerpt may hold a user or connection name, so every quoted text and every word with
an ``@`` or a backslash (``CORP\\jdoe``) in it is replaced by its pseudonym before the
excerpt is kept, and it is cut to :data:`MAX_EXCERPT_CHARS`. Both patterns run in time
linear in the line (a word is matched only from its start).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from xlapulse.collectors.privacy import Pseudonymizer

MAX_EXCERPT_CHARS = 160
QUOTED = re.compile(r"\"[^\"]+\"|'[^']+'")
_WORD = r"[^\s\"'\[\](),]"
MAIL_LIKE = re.compile(rf"(?<!{_WORD}){_WORD}*[@\\]{_WORD}*")


HIDDEN = re.compile(f"{QUOTED.pattern}|{MAIL_LIKE.pattern}")


def excerpt(line: str, pseudonymizer: Pseudonymizer) -> str:
    """``line`` with quoted texts and mail-like words pseudonymized, at most 160 characters.

    One pass that stops once 160 characters are written, so a long line costs no more
    than its start (a 200 KB line of addresses would otherwise be 50,000 HMACs)."""
    line = line.strip()
    parts: list[str] = []
    written = position = 0
    for found in HIDDEN.finditer(line):
        parts += [line[position : found.start()], _pseudonym(found.group(0), pseudonymizer)]
        written += found.start() - position + len(parts[-1])
        position = found.end()
        if written >= MAX_EXCERPT_CHARS:
            break
    else:
        parts.append(line[position:])
    return "".join(parts)[:MAX_EXCERPT_CHARS]


def _pseudonym(hidden: str, pseudonymizer: Pseudonymizer) -> str:
    """A quoted text's pseudonym in double quotes, or a mail-like word's pseudonym."""
    if hidden[0] in "\"'":  # QUOTED (a mail-like word holds no quote)
        return f'"{pseudonymizer.user(hidden[1:-1])}"'
    return pseudonymizer.user(hidden)


@dataclass
class Unparsed:
    """Per-reason counts of the lines one round could not map, with one excerpt each."""

    pseudonymizer: Pseudonymizer | None = None
    counts: dict[str, int] = field(default_factory=dict)
    excerpts: dict[str, str] = field(default_factory=dict)

    def add(self, reason: str, line: str, count: int = 1) -> None:
        """Count ``line`` under ``reason`` (``count`` times: lines it stands for); the first
        line of a reason is kept as its excerpt."""
        self.counts[reason] = self.counts.get(reason, 0) + count
        if reason not in self.excerpts:
            self.excerpts[reason] = (
                excerpt(line, self.pseudonymizer) if self.pseudonymizer else "(no excerpt)"
            )

    def reject(self, error: Exception, record: str) -> None:
        """Count a record the source raised on, under ``rejected (<error type>)``."""
        kind = type(error).__name__
        self.add(f"rejected ({kind})", f"{kind}: {error} in: {record}")

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        """``reason: count, ...`` sorted by reason, or ``none``."""
        return ", ".join(f"{r}: {n}" for r, n in sorted(self.counts.items())) or "none"
