"""Who was told what, in SQLite, so that nobody is told twice about the same dip, also
across restarts and redelivered notices. Reads and writes the ledger file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


class Ledger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS told ("
            " dip_id TEXT NOT NULL, kind TEXT NOT NULL, pseudonym TEXT NOT NULL,"
            " told_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            " PRIMARY KEY (dip_id, kind, pseudonym))"
        )
        self._db.commit()

    def was_told(self, dip_id: str, kind: str, pseudonym: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM told WHERE dip_id = ? AND kind = ? AND pseudonym = ?",
            (dip_id, kind, pseudonym),
        ).fetchone()
        return row is not None

    def record(self, dip_id: str, kind: str, pseudonym: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO told (dip_id, kind, pseudonym) VALUES (?, ?, ?)",
            (dip_id, kind, pseudonym),
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()
