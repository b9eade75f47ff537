"""CUPS job messages, as cupsd writes them to error_log and to the journal.

Reads: job message texts (``[Job 6] Queued on "finance-mfp-3f" by "alice".``,
``[Job 6] Backend returned status 4 (stop printer)``, ``[Job 7] Job completed.``),
each with whether cupsd logged it as an error, and an opaque ``stamp`` (the reading
source's time and record id of the line). Writes: nothing; :class:`CupsJobTracker`
follows each job and returns the finished ones (:class:`FinishedJob`), with state that
survives rounds (kept in the bookmark); :func:`print_job_event` makes the print_job
event of a finished job for the source reading it, its printer resolved to the queue's
print server where there is one (``cups_queues.py``).

The texts are cupsd's own (``scheduler/job.c`` of CUPS 2.2 to 2.5: ``update_job``,
``cupsdContinueJob``'s abort messages, ``cupsdSetJobState``; ``Queued on`` is
``scheduler/ipp.c``). What the log holds depends on cupsd's ``LogLevel``:

* ``info`` or more: every job's ``Queued on`` line (printer, user) before its end.
* ``warn`` (CUPS's default): no ``Queued on`` and no ``Job completed.``; a failed job
  logs its error lines, and when it ends stopped or aborted cupsd then dumps its
  recorded lower-level messages (``LogDebugHistory``, default 200, ``dump_job_history``)
  as ``D`` lines, the ``Queued on`` line among them, *after* the error. So a failure of
  an unknown job waits (``pending``) for its queue line, and is reported without a
  printer (:data:`UNKNOWN_PRINTER`) when none comes by the end of the round.
  Successful jobs are not logged at all; ``collector check`` says so.

A job that ended is remembered (:data:`MAX_FINISHED_JOBS`), so the second error line
of one failure (``Backend returned status 1`` then ``Job aborted due to backend
errors``) is not a second failure. An error line of a job that names no known failure
and whose job ends without one is counted as unparsed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from xlapulse.collectors.contract.wire import telemetry_event
from xlapulse.collectors.sources.unparsed import Unparsed

if TYPE_CHECKING:
    from xlapulse.collectors.sources.cups_queues import CupsQueues

JOB_MESSAGE = re.compile(r"^\[Job (?P<job>\d+)\] (?P<text>.*)$")
QUEUED = re.compile(r'^Queued on "(?P<printer>[^"]+)" by "(?P<user>[^"]*)"\.$')
BACKEND_STATUS = re.compile(r"^Backend returned status (?P<code>-?\d+)")
FAILURE_TEXTS = (
    "Job stopped",  # "... due to filter errors", "... because the scheduler could not ..."
    "Job aborted",  # "... due to backend errors", "... after %d unsuccessful attempts"
    "Stopping job because",  # the scheduler could not execute a filter / ran out of memory ...
    "Aborting job because",  # it cannot be printed / it has no files / needs too many filters
    "Printer stopped due to backend errors",
    "Job held indefinitely",  # due to backend errors / account information is required ...
    "Unable to convert file",
    "Unable to start filter",
    "Stopping unresponsive job",
)
ENDED_WITHOUT_OUTCOME = ("Job canceled",)  # by user, at printer, stuck: no print failure
UNKNOWN_PRINTER = "unknown"
MAX_TRACKED_JOBS = 200
MAX_FINISHED_JOBS = 200
MAX_PRINTER_CHARS = 200


@dataclass(frozen=True)
class FinishedJob:
    """A job that ended: ``outcome`` is ``printed`` or ``failed``; ``stamp`` is the reading
    source's record of the line that decided it (its time and id)."""

    job_id: int
    printer: str
    user: str | None
    outcome: str
    error_code: int | None
    stamp: Mapping[str, Any]


class CupsJobTracker:
    """Feeds job messages in log order; returns the jobs each line finishes."""

    def __init__(self, state: dict | None = None) -> None:
        state = state or {}
        if state and "jobs" not in state:  # a bookmark of the previous layout: jobs only
            state = {"jobs": state}
        self.jobs: dict[str, dict] = state.get("jobs", {})
        self.pending: dict[str, dict] = state.get("pending", {})
        self.finished: list[str] = state.get("finished", [])
        self.unexplained: dict[str, str] = {}

    @property
    def state(self) -> dict:
        return {"jobs": self.jobs, "pending": self.pending, "finished": self.finished}

    def feed(self, message: str, stamp: Mapping[str, Any], error: bool) -> list[FinishedJob]:
        """The jobs finished by ``message`` (a cupsd line without level and time)."""
        matched = JOB_MESSAGE.match(message.strip())
        if not matched:
            return []
        job, text = matched["job"], matched["text"]
        queued = QUEUED.match(text)
        if queued:
            return self._queued(job, queued["printer"], queued["user"] or None)
        if job in self.finished:
            return []  # the further error lines and the history dump of a job already reported
        if text.startswith("Job completed"):
            return self._finish(job, "printed", None, stamp)
        status = BACKEND_STATUS.match(text)
        if status and status["code"] != "0":
            return self._fail(job, int(status["code"]), stamp)
        if text.startswith(FAILURE_TEXTS):
            return self._fail(job, None, stamp)
        if text.startswith(ENDED_WITHOUT_OUTCOME):
            self.jobs.pop(job, None)
            self._remember_finished(job)
        elif error:
            self.unexplained.setdefault(job, message)
        return []

    def flush(self, unparsed: Unparsed) -> list[FinishedJob]:
        """At the end of a round read to the end of the log: the failures whose queue line
        never came, without a printer; error lines of jobs that did not fail are counted."""
        for job, message in self.unexplained.items():
            if job not in self.pending and job not in self.finished:
                unparsed.add("cups-job-error-unrecognised", message)
        self.unexplained = {}
        failures = [self._pending_job(job, None, None) for job in list(self.pending)]
        return failures

    def _queued(self, job: str, printer: str, user: str | None) -> list[FinishedJob]:
        if job in self.pending:  # the history dump after a failure at LogLevel warn
            return [self._pending_job(job, printer, user)]
        if job not in self.finished:
            self.jobs[job] = {"printer": printer, "user": user}
            while len(self.jobs) > MAX_TRACKED_JOBS:
                self.jobs.pop(next(iter(self.jobs)))
        return []

    def _fail(
        self, job: str, error_code: int | None, stamp: Mapping[str, Any]
    ) -> list[FinishedJob]:
        self.unexplained.pop(job, None)
        if job in self.jobs:
            return self._finish(job, "failed", error_code, stamp)
        pending = self.pending.setdefault(job, {"stamp": dict(stamp), "error_code": None})
        if pending["error_code"] is None:
            pending["error_code"] = error_code
        return []

    def _finish(
        self, job: str, outcome: str, error_code: int | None, stamp: Mapping[str, Any]
    ) -> list[FinishedJob]:
        tracked = self.jobs.pop(job, None) or {"printer": UNKNOWN_PRINTER, "user": None}
        self._remember_finished(job)
        return [
            FinishedJob(int(job), tracked["printer"], tracked["user"], outcome, error_code, stamp)
        ]

    def _pending_job(self, job: str, printer: str | None, user: str | None) -> FinishedJob:
        pending = self.pending.pop(job)
        self._remember_finished(job)
        return FinishedJob(
            int(job),
            printer or UNKNOWN_PRINTER,
            user,
            "failed",
            pending["error_code"],
            pending["stamp"],
        )

    def _remember_finished(self, job: str) -> None:
        self.finished.append(job)
        del self.finished[:-MAX_FINISHED_JOBS]


def print_job_event(
    envelope: Mapping[str, Any], finished: FinishedJob, queues: CupsQueues, unparsed: Unparsed
) -> dict:
    """The event of a finished job; ``envelope`` is the source's event id, time, user and
    device. The printer is ``<queue>@<server>`` when ``queues`` finds the queue's print
    server (what it could not resolve is counted in ``unparsed``), else the queue name."""
    printer = finished.printer
    if printer != UNKNOWN_PRINTER:
        printer = queues.printer(printer, unparsed)
    return telemetry_event(
        "print_job",
        **envelope,
        outcome=finished.outcome,
        printer=printer[:MAX_PRINTER_CHARS],
        error_code=finished.error_code,
    )
