"""Read a Dockerfile into stages of instructions, for the tests that check the image.

Reads the file given; writes nothing. Handles comments, ``\\`` line continuations and
the exec (JSON) form; enough for deploy/container/Dockerfile, not a full BuildKit parser.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    """One instruction: its first line number, keyword (upper case) and argument text."""

    line: int
    keyword: str
    arguments: str

    def exec_form(self) -> list[str]:
        """The arguments as a JSON array (``ENTRYPOINT ["xlapulse"]``)."""
        value = json.loads(self.arguments)
        assert isinstance(value, list), f"line {self.line}: not the exec form"
        return [str(item) for item in value]


@dataclass
class Stage:
    """A ``FROM`` and the instructions up to the next one."""

    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [item for item in self.instructions if item.keyword == keyword]

    def env(self) -> dict[str, str]:
        """The stage's ``ENV key=value`` pairs, in order (later ones win)."""
        values: dict[str, str] = {}
        for item in self.all("ENV"):
            for pair in shlex.split(item.arguments):
                key, _, value = pair.partition("=")
                values[key] = value
        return values


def instructions(path: Path) -> list[Instruction]:
    """The file's instructions with continuation lines joined and comments dropped."""
    found: list[Instruction] = []
    pending: list[str] = []
    first_line = 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not pending:
            first_line = number
        continued = line.endswith("\\")
        pending.append(line.removesuffix("\\").strip())
        if not continued:
            keyword, _, arguments = " ".join(pending).partition(" ")
            found.append(Instruction(first_line, keyword.upper(), arguments.strip()))
            pending = []
    return found


def stages(path: Path) -> list[Stage]:
    """The file's build stages in order."""
    result: list[Stage] = []
    for item in instructions(path):
        if item.keyword == "FROM":
            match = re.fullmatch(r"(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", item.arguments, re.I)
            assert match, f"line {item.line}: unreadable FROM"
            result.append(Stage(match.group(1), match.group(2)))
        elif result:
            result[-1].instructions.append(item)
    return result
