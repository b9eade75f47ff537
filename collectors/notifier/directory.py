"""Who a pseudonym is: the directory export, pseudonymized with the collectors' key.

Reads a CSV export with the columns ``identity,email,language`` (``identity`` as the
collectors see it, e.g. ``CORP\\jdoe``; ``language`` ``nl`` or ``en``) and an opt-out
list (one identity or e-mail address per line, ``#`` comments). Returns a mapping from
user pseudonym to :class:`Person`; people who opted out are left out, so they cannot be
reached. Writes nothing. A malformed row is an error naming the file and line.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from xlapulse.collectors.privacy import Pseudonymizer

LANGUAGES = ("nl", "en")


class DirectoryError(ValueError):
    """The directory export or opt-out list cannot be used."""


@dataclass(frozen=True)
class Person:
    email: str
    language: str


def read_opt_outs(path: Path | None) -> set[str]:
    if path is None:
        return set()
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line.strip().casefold() for line in lines if line.strip() and not line.startswith("#")}


def read_directory(
    path: Path, pseudonymizer: Pseudonymizer, opt_outs: set[str]
) -> dict[str, Person]:
    people: dict[str, Person] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"identity", "email", "language"} - set(reader.fieldnames or ())
        if missing:
            raise DirectoryError(f"{path}:1: missing columns: {', '.join(sorted(missing))}")
        for row in reader:
            where = f"{path}:{reader.line_num}"
            identity, email = (row["identity"] or "").strip(), (row["email"] or "").strip()
            language = (row["language"] or "").strip().casefold()
            if not identity or "@" not in email:
                raise DirectoryError(f"{where}: an identity and an e-mail address are required")
            if language not in LANGUAGES:
                raise DirectoryError(f"{where}: language must be one of {', '.join(LANGUAGES)}")
            if identity.casefold() in opt_outs or email.casefold() in opt_outs:
                continue
            people[pseudonymizer.user(identity)] = Person(email, language)
    return people
