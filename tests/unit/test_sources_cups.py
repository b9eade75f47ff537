"""CUPS job texts of scheduler/job.c and cupsd's LogLevel (tests/data/os/linux/cups).

``error_log-loglevel-warn`` is a real cupsd 2.4.2 log at CUPS's default level, where
queue lines are missing or come after the error (cupsd's dump of a failed job's
history); ``error_log-job-c-texts`` is a reconstruction of the failure texts that could
not be provoked here. The folder's README says how each was made.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from tests.unit.helpers import IDENTITY, PSEUDONYMIZER, runtime_settings
from tests.unit.source_samples import LINUX
from tests.unit.wire_events import contract_events
from xlapulse.collectors.sources.base import run_command
from xlapulse.collectors.sources.cups_error_log.settings import CupsErrorLogSettings
from xlapulse.collectors.sources.cups_error_log.source import CupsErrorLogSource, log_level_warning
from xlapulse.collectors.sources.cups_jobs import UNKNOWN_PRINTER, CupsJobTracker
from xlapulse.collectors.sources.unparsed import Unparsed

DATA = LINUX / "cups"


def source_on(tmp_path: Path, sample: str, cupsd_conf: str = "") -> CupsErrorLogSource:
    log = tmp_path / "error_log"
    shutil.copy(DATA / sample, log)
    conf = tmp_path / "cupsd.conf"
    conf.write_text(cupsd_conf)
    settings = CupsErrorLogSettings(path=str(log), cupsd_conf=str(conf), lpstat="")
    return CupsErrorLogSource(runtime_settings(settings), IDENTITY, run_command)


def jobs(collected) -> list[tuple]:
    return [(e.outcome, e.printer, e.error_code, e.user_id) for e in contract_events(collected)]


def test_loglevel_warn_failures_with_the_queue_line_after_the_error_or_none(tmp_path):
    collected = source_on(tmp_path, "error_log-loglevel-warn").collect(None)
    root = PSEUDONYMIZER.user("root")
    assert jobs(collected) == [
        ("failed", "finance-abort", 1, root),  # job 3: queue line in the history dump
        ("failed", "hr-filter", None, root),  # job 4: "Job stopped due to filter errors"
        ("failed", UNKNOWN_PRINTER, 1, IDENTITY.user_id),  # job 2: never a queue line
    ]
    job_3 = contract_events(collected)[0]
    assert job_3.event_time == datetime(2026, 12, 6, 6, 44, 45, tzinfo=UTC)  # the error's time
    # the backend's own "paper jam" error lines belong to the failures: nothing unparsed
    assert collected.unparsed.total == 0


def test_every_job_c_failure_text_is_a_failure_and_other_job_errors_are_counted(tmp_path):
    collected = source_on(tmp_path, "error_log-job-c-texts").collect(None)
    assert jobs(collected) == [
        ("failed", "hr-laser", None, PSEUDONYMIZER.user("bob")),  # could not execute a filter
        ("failed", UNKNOWN_PRINTER, None, IDENTITY.user_id),  # job 13: cannot be printed
        ("failed", UNKNOWN_PRINTER, None, IDENTITY.user_id),  # job 14: unsuccessful attempts
    ]
    assert collected.unparsed.counts == {"cups-job-error-unrecognised": 1}  # job 15
    assert (
        "Unable to write job control file"
        in collected.unparsed.excerpts["cups-job-error-unrecognised"]
    )


def test_a_failure_is_reported_once_whatever_lines_follow_it():
    tracker = CupsJobTracker()
    stamp = {"time": "t"}
    assert tracker.feed('[Job 5] Queued on "p" by "u".', stamp, False) == []
    (failed,) = tracker.feed("[Job 5] Backend returned status 4 (stop printer)", stamp, False)
    assert (failed.printer, failed.error_code) == ("p", 4)
    for later in (
        "[Job 5] Printer stopped due to backend errors; please consult the error_log file.",
        '[Job 5] Queued on "p" by "u".',  # the history dump at LogLevel warn
        "[Job 5] Job completed.",  # printed after the printer was restarted
    ):
        assert tracker.feed(later, stamp, True) == []
    assert tracker.flush(Unparsed()) == []


def test_a_pending_failure_survives_the_bookmark_of_a_round_cut_short():
    tracker = CupsJobTracker()
    assert tracker.feed("[Job 8] Job aborted.", {"time": "t1"}, True) == []
    resumed = CupsJobTracker(tracker.state)  # what the bookmark carries
    (failed,) = resumed.feed('[Job 8] Queued on "lab" by "eve".', {"time": "t2"}, False)
    assert (failed.printer, failed.user, failed.stamp) == ("lab", "eve", {"time": "t1"})


def test_a_bookmark_of_the_previous_layout_is_read():
    tracker = CupsJobTracker({"6": {"printer": "p", "user": "u"}})  # jobs only
    (printed,) = tracker.feed("[Job 6] Job completed.", {"time": "t"}, False)
    assert (printed.printer, printed.outcome) == ("p", "printed")


def test_log_level_decides_what_check_says(tmp_path):
    conf = tmp_path / "cupsd.conf"
    conf.write_text("# LogLevel debug\nLogLevel warn\nMaxLogSize 0\n")
    assert "printed jobs are not logged" in log_level_warning(conf)
    conf.write_text("LogLevel info\n")
    assert log_level_warning(conf) is None
    conf.write_text("Listen localhost:631\n")  # no LogLevel: cupsd's default is warn
    assert "LogLevel is warn" in log_level_warning(conf)
    assert "cannot read" in log_level_warning(tmp_path / "missing.conf")
    source = source_on(tmp_path, "error_log-loglevel-warn", "LogLevel notice\n")
    (warning,) = source.prerequisite_warnings()
    assert "LogLevel is notice" in warning
