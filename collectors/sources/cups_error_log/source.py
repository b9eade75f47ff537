"""CUPS error_log source: print jobs that completed or failed (Linux, macOS).

Reads: ``/var/log/cups/error_log`` from the byte offset of the last round
(``logfile.py``); a smaller file or a new inode means it was rotated and is read from
the start. With cupsd's ``LogLevel info`` (or more) every job is reported; at ``warn``
(CUPS's default) only failed ones, some without their printer (``cups_jobs.py`` says
why; :func:`log_level_warning` reads ``cupsd.conf`` for ``collector check``). Writes:
print_job events (outcome printed/failed, printer, backend status); the printer is
``<queue>@<server>`` for a queue whose device is a print server (``lpstat -v``, see
``cups_queues.py``). A line that is not an error_log line is a skipped record, a job
error line that names no known failure an unparsed one, a line or job the source raises
on a ``rejected (...)`` one (``base.one_record``); the offset moves past all of them.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from xlapulse.collectors.sources.base import (
    Collected,
    CommandRunner,
    Identity,
    Source,
    one_record,
    run_command,
)
from xlapulse.collectors.sources.cups_jobs import CupsJobTracker, FinishedJob, print_job_event
from xlapulse.collectors.sources.cups_queues import CupsQueues
from xlapulse.collectors.sources.logfile import read_new_lines
from xlapulse.collectors.sources.unparsed import Unparsed

if TYPE_CHECKING:
    from xlapulse.collectors.sources.cups_error_log.settings import CupsErrorLogSettings

LINE = re.compile(r"^(?P<level>[A-Zd]) \[(?P<time>[^\]]+)\] (?P<message>.*)$")
ERROR_LEVELS = frozenset("XACE")  # emerg, alert, crit, error (scheduler/log.c levels[])
TIME_FORMAT = "%d/%b/%Y:%H:%M:%S %z"
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

    def __init__(
        self, settings: CupsErrorLogSettings, identity: Identity, runner: CommandRunner
    ) -> None:
        self.path = Path(settings.path)
        self.cupsd_conf = Path(settings.cupsd_conf)
        self.identity = identity
        self.queues = CupsQueues(settings.lpstat, runner)

    def prerequisite_warnings(self) -> list[str]:
        """What cupsd's configuration makes this source miss (for ``collector check``)."""
        warning = log_level_warning(self.cupsd_conf)
        return [warning] if warning else []

    def collect(self, bookmark: str | None) -> Collected:
        saved = json.loads(bookmark) if bookmark else {"inode": None, "offset": 0, "jobs": {}}
        new = read_new_lines(self.path, saved, "CUPS", grant="add the collector to 'lp'")
        tracker = CupsJobTracker(saved["jobs"])
        collected = Collected(unparsed=self.identity.unparsed())
        finished: list[FinishedJob] = []
        for line in new.lines:
            parsed = LINE.match(line)
            if not parsed:
                collected.skipped_records += 1
                continue
            stamp = {"time": parsed["time"]}
            with one_record(collected.unparsed, line):
                finished += tracker.feed(parsed["message"], stamp, parsed["level"] in ERROR_LEVELS)
        if new.at_end:  # read to the end: no queue line will come
            finished += tracker.flush(collected.unparsed)
        for job in finished:
            with one_record(collected.unparsed, f"print job {job.job_id} at {job.stamp['time']}"):
                collected.events.append(self._event(job, collected.unparsed))
        collected.bookmark = json.dumps({**new.position, "jobs": tracker.state})
        return collected

    def _event(self, finished: FinishedJob, unparsed: Unparsed) -> dict:
        time = finished.stamp["time"]
        envelope = {
            "event_id": self.identity.event_id(
                "cups:error_log", f"{finished.job_id}|{time}|{finished.outcome}"
            ),
            "event_time": datetime.strptime(time, TIME_FORMAT),
            "user_id": self.identity.user(finished.user),
            "device_id": self.identity.device_id,
        }
        return print_job_event(envelope, finished, self.queues, unparsed)


def build(settings: CupsErrorLogSettings, identity: Identity) -> CupsErrorLogSource:
    return CupsErrorLogSource(settings, identity, run_command)
