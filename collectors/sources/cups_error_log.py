"""CUPS error_log source: print jobs that completed or failed (Linux, macOS).

Reads: ``/var/log/cups/error_log`` (LogLevel info or more), from the byte offset of
the last round; a smaller file or a new inode means it was rotated and is read from
the start. Writes: print_job events (outcome printed/failed, printer, backend status).
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from xlapulse.collectors.sources.base import Collected, Identity, Source, SourceError
from xlapulse.collectors.sources.cups_jobs import CupsJobTracker, print_job_event

if TYPE_CHECKING:
    from xlapulse.collectors.sources.settings import CupsErrorLogSettings

LINE = re.compile(r"^(?P<level>[A-Zd]) \[(?P<time>[^\]]+)\] (?P<message>.*)$")
TIME_FORMAT = "%d/%b/%Y:%H:%M:%S %z"
MAX_READ_BYTES = 4 * 1024 * 1024


class CupsErrorLogSource(Source):
    """Follows the error_log like ``tail -F`` and reports finished print jobs."""

    name = "cups_error_log"
    event_types = ("print_job",)
    description = "CUPS error_log: print jobs that completed or failed"

    def __init__(self, settings: CupsErrorLogSettings, identity: Identity) -> None:
        self.path = Path(settings.path)
        self.identity = identity

    def collect(self, bookmark: str | None) -> Collected:
        saved = json.loads(bookmark) if bookmark else {"inode": None, "offset": 0, "jobs": {}}
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            raise SourceError(f"{self.path} does not exist (is CUPS installed?)") from None
        except PermissionError:
            raise SourceError(f"{self.path} is not readable; add the collector to 'lp'") from None
        offset = saved["offset"]
        if saved["inode"] != status.st_ino or status.st_size < offset:
            offset = 0  # rotated or truncated
        with self.path.open("rb") as log:
            log.seek(offset)
            chunk = log.read(MAX_READ_BYTES)
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a half-written last line waits
        tracker = CupsJobTracker(saved["jobs"])
        events = []
        skipped = 0
        for line in complete.decode("utf-8", errors="replace").splitlines():
            event = self._event(tracker, line)
            if event is False:
                skipped += 1
            elif event is not None:
                events.append(event)
        next_bookmark = {
            "inode": status.st_ino,
            "offset": offset + len(complete),
            "jobs": tracker.jobs,
        }
        return Collected(events=events, bookmark=json.dumps(next_bookmark), skipped_records=skipped)

    def _event(self, tracker: CupsJobTracker, line: str) -> dict | bool | None:
        parsed = LINE.match(line)
        if not parsed:
            return False
        finished = tracker.feed(parsed["message"])
        if finished is None:
            return None
        time = datetime.strptime(parsed["time"], TIME_FORMAT)
        envelope = {
            "event_id": self.identity.event_id(
                "cups:error_log", f"{finished.job_id}|{parsed['time']}|{finished.outcome}"
            ),
            "event_time": time,
            "user_id": self.identity.user(finished.user),
            "device_id": self.identity.device_id,
        }
        return print_job_event(envelope, finished)


def build(settings: CupsErrorLogSettings, identity: Identity) -> CupsErrorLogSource:
    return CupsErrorLogSource(settings, identity)
