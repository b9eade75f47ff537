"""A folder an export job drops JSON files into, and the CSV that names its users.

Reads: the ``*.json`` files of one folder in name order, each once (the bookmark lists
the names done, the newest :data:`MAX_DONE_FILES`); the optional directory CSV that
maps a service's user id to a sign-in name. Writes nothing. Shared by the central
sources ``graph_call_records`` and ``zoom_qos``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from xlapulse.collectors.sources.base import SourceError

MAX_DONE_FILES = 5000


class DropFolder:
    """The JSON files of ``folder`` and which of them earlier rounds have read."""

    def __init__(self, folder: Path, what: str, bookmark: str | None) -> None:
        self.done: list[str] = json.loads(bookmark) if bookmark else []
        if not folder.is_dir():
            raise SourceError(f"{what} folder {folder} does not exist")
        self.files = sorted(folder.glob("*.json"))

    def new_files(self) -> Iterator[Path]:
        """The files not read yet, each marked done as it is handed out: a broken
        export is counted by the source, never retried."""
        seen = set(self.done)
        for path in self.files:
            if path.name not in seen:
                self.done.append(path.name)
                yield path

    def bookmark(self) -> str:
        return json.dumps(self.done[-MAX_DONE_FILES:])


def read_directory(path: str, name_column: str) -> dict[str, str]:
    """User id -> sign-in name from a CSV with an ``id`` and a ``name_column`` column
    (any case); no path: an empty directory."""
    if not path:
        return {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as table:
            rows = list(csv.DictReader(table))
    except OSError as error:
        raise SourceError(f"cannot read the directory file {path}: {error.strerror}") from None
    name_key = name_column.casefold()
    article = "an" if name_key[0] in "aeiou" else "a"
    directory = {}
    for number, row in enumerate(rows, start=2):
        folded = {
            (key or "").strip().casefold(): (value or "").strip() for key, value in row.items()
        }
        if not folded.get("id") or not folded.get(name_key):
            raise SourceError(f"{path} line {number}: needs an id and {article} {name_column}")
        directory[folded["id"]] = folded[name_key]
    return directory
