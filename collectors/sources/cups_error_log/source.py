"""CUPS error_log source: print jobs that completed or failed (Linux, macOS).

Reads: ``/var/log/cups/error_log`` from the byte offset of the last round; a smaller
file or a new inode means it was rotated and is read from the start. With cupsd's
``LogLevel info`` (or more) every job is reported; at ``warn`` (CUPS's default) only
failed ones, some without their printer (``cups_jobs.py`` says why;
:func:`log_level_warning` reads ``cupsd.conf`` for ``collector check``). Writes:
print_job events (outcome printed/failed, printer, backend status); a line that is not
an error_log line is a skipped record, a job error line that names no known failure an
unparsed one, a line or job the source raises on a ``rejected (...)`` one
(``base.one_record``); the offset moves past all of them.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from xlapulse.collectors.sources.base import (
    Collected,
    Identity,
    Source,
    SourceError,
    one_record,
)
from xlapulse.collectors.sources.cups_jobs import CupsJobTracker, FinishedJob, print_job_event

if TYPE_CHECKING:
    from xlapulse.collectors.sources.cups_error_log.settings import CupsErrorLogSettings

LINE = re.compile(r"^(?P<level>[A-Zd]) \[(?P<time>[^\]]+)\] (?P<message>.*)$")
ERROR_LEVELS = frozenset("XACE")  # emerg, alert, crit, error (scheduler/log.c levels[])
TIME_FORMAT = "%d/%b/%Y:%H:%M:%S %z"
MAX_READ_BYTES = 4 * 1024 * 1024
LOG_LEVEL = re.compile(r"^\s*LogLevel\s+(?P<level>\S+)", re.IGNORECASE | re.MULTILINE)
LEVELS_WITH_QUEUE_LINES = ("info", "debug", "debug2")


def log_level_warning(cupsd_conf: Path) -> str | None:
    """What the collector will miss with the LogLevel of ``cupsd_conf``, or None."""
    try:
        text = cupsd_conf.read_text(errors="replace")
    except OSError as error:
        return f"cannot read {cupsd_conf} to check cupsd's LogLevel: {error.strerror}"
    found = LOG_LEVEL.findall(text)
    level = found[-1].lower() if found else "warn"
    if level in LEVELS_WITH_QUEUE_LINES:
        return None
    return (
        f"cupsd LogLevel is {level} in {cupsd_conf}: printed jobs are not logged and failed "
        "ones only partly (no printer unless cupsd dumps the job history); set 'LogLevel "
        "info' to see every job"
    )


class CupsErrorLogSource(Source):
    """Follows the error_log like ``tail -F`` and reports finished print jobs."""

    name = "cups_error_log"
    event_types = ("print_job",)
    description = "CUPS error_log: print jobs that completed or failed"

    def __init__(self, settings: CupsErrorLogSettings, identity: Identity) -> None:
        self.path = Path(settings.path)
        self.cupsd_conf = Path(settings.cupsd_conf)
        self.identity = identity

    def prerequisite_warnings(self) -> list[str]:
        """What cupsd's configuration makes this source miss (for ``collector check``)."""
        warning = log_level_warning(self.cupsd_conf)
        return [warning] if warning else []

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
        collected = Collected(unparsed=self.identity.unparsed())
        finished: list[FinishedJob] = []
        for line in complete.decode("utf-8", errors="replace").splitlines():
            parsed = LINE.match(line)
            if not parsed:
                collected.skipped_records += 1
                continue
            stamp = {"time": parsed["time"]}
            with one_record(collected.unparsed, line):
                finished += tracker.feed(parsed["message"], stamp, parsed["level"] in ERROR_LEVELS)
        if offset + len(complete) >= status.st_size:  # read to the end: no queue line will come
            finished += tracker.flush(collected.unparsed)
        for job in finished:
            with one_record(collected.unparsed, f"print job {job.job_id} at {job.stamp['time']}"):
                collected.events.append(self._event(job))
        next_bookmark = {
            "inode": status.st_ino,
            "offset": offset + len(complete),
            "jobs": tracker.state,
        }
        collected.bookmark = json.dumps(next_bookmark)
        return collected

    def _event(self, finished: FinishedJob) -> dict:
        time = finished.stamp["time"]
        envelope = {
            "event_id": self.identity.event_id(
                "cups:error_log", f"{finished.job_id}|{time}|{finished.outcome}"
            ),
            "event_time": datetime.strptime(time, TIME_FORMAT),
            "user_id": self.identity.user(finished.user),
            "device_id": self.identity.device_id,
        }
        return print_job_event(envelope, finished)


def build(settings: CupsErrorLogSettings, identity: Identity) -> CupsErrorLogSource:
    return CupsErrorLogSource(settings, identity)
