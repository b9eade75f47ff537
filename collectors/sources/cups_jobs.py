"""CUPS job messages, as cupsd writes them to error_log and to the journal.

Reads: message texts such as ``[Job 6] Queued on "finance-mfp-3f" by "alice".``,
``[Job 6] Backend returned status 4 (stop printer)`` and ``[Job 7] Job completed.``.
Writes: nothing; :class:`CupsJobTracker` follows each job from queueing to its end and
returns the finished ones, with state that survives rounds (kept in the bookmark), and
:func:`print_job_event` makes the print_job event of a finished job for the source reading it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from xlapulse.collectors.contract.wire import telemetry_event

JOB_MESSAGE = re.compile(r"^\[Job (?P<job>\d+)\] (?P<text>.*)$")
QUEUED = re.compile(r'^Queued on "(?P<printer>[^"]+)" by "(?P<user>[^"]*)"\.$')
BACKEND_STATUS = re.compile(r"^Backend returned status (?P<code>-?\d+)")
FAILURE_TEXTS = ("Job stopped due to", "Job aborted", "Printer stopped due to backend errors")
MAX_TRACKED_JOBS = 200
MAX_PRINTER_CHARS = 200


@dataclass(frozen=True)
class FinishedJob:
    """A job that ended: ``outcome`` is ``printed`` or ``failed``."""

    job_id: int
    printer: str
    user: str | None
    outcome: str
    error_code: int | None


class CupsJobTracker:
    """Feeds job messages in log order; returns a :class:`FinishedJob` when one ends."""

    def __init__(self, state: dict[str, dict] | None = None) -> None:
        self.jobs: dict[str, dict] = state or {}

    def feed(self, message: str) -> FinishedJob | None:
        matched = JOB_MESSAGE.match(message.strip())
        if not matched:
            return None
        job, text = matched["job"], matched["text"]
        queued = QUEUED.match(text)
        if queued:
            self._remember(job, {"printer": queued["printer"], "user": queued["user"] or None})
            return None
        tracked = self.jobs.get(job)
        if tracked is None:
            return None  # queued before the collector started reading; printer unknown
        if text.startswith("Job completed"):
            return self._finish(job, "printed", None)
        status = BACKEND_STATUS.match(text)
        if status and status["code"] != "0":
            return self._finish(job, "failed", int(status["code"]))
        if text.startswith(FAILURE_TEXTS):
            return self._finish(job, "failed", None)
        return None

    def _remember(self, job: str, details: dict) -> None:
        self.jobs[job] = details
        while len(self.jobs) > MAX_TRACKED_JOBS:
            self.jobs.pop(next(iter(self.jobs)))

    def _finish(self, job: str, outcome: str, error_code: int | None) -> FinishedJob:
        tracked = self.jobs.pop(job)
        return FinishedJob(int(job), tracked["printer"], tracked["user"], outcome, error_code)


def print_job_event(envelope: Mapping[str, Any], finished: FinishedJob) -> dict:
    """The event of a finished job; ``envelope`` is the source's event id, time, user and device."""
    return telemetry_event(
        "print_job",
        **envelope,
        outcome=finished.outcome,
        printer=finished.printer[:MAX_PRINTER_CHARS],
        error_code=finished.error_code,
    )
