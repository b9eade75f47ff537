"""The CUPS error_log source following a real cupsd while it prints and fails jobs.

A private cupsd (Debian's ``cups-daemon``, which ``deploy/dev test`` installs when it is
missing) runs in the foreground on a Unix socket in the test's folder, with its own
configuration, spool and log. Two raw queues use a test backend that prints or fails
(``xlapulse-test:/ok``, ``xlapulse-test:/fail``, exit status 1). The source reads the
error_log cupsd writes, in rounds, with the bookmark carried between them as the
collector does, and asks this cupsd for its queues' devices with the real ``lpstat -v``.
Without cupsd, lpadmin and lp these tests fail (they never skip).
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.shared_helpers import wait_until
from tests.unit.helpers import IDENTITY, runtime_settings
from tests.unit.wire_events import contract_events
from xlapulse.collectors.sources.cups_error_log.settings import CupsErrorLogSettings
from xlapulse.collectors.sources.cups_error_log.source import CupsErrorLogSource

TOOLS = ("cupsd", "lpadmin", "lp")
CUPS_LIBRARY = Path("/usr/lib/cups")
WAIT_S = 20.0
QUEUES = (("office-ok", "xlapulse-test:/ok"), ("office-fail", "xlapulse-test:/fail"))
BACKEND = """#!/bin/sh
# No arguments: list the device. Otherwise read the job and print (…/ok) or fail (…/fail).
if [ $# -eq 0 ]; then echo 'direct xlapulse-test "Unknown" "xlapulse test backend"'; exit 0; fi
cat > /dev/null
case "$DEVICE_URI" in *fail*) echo "ERROR: paper jam (test)" >&2; exit 1;; esac
exit 0
"""


class Cups:
    """A running private cupsd and the client tools pointed at it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.error_log = folder / "log" / "error_log"
        self.environment = {**os.environ, "CUPS_SERVER": str(folder / "cups.sock")}

    def run(self, *argv: str) -> str:
        return subprocess.run(
            argv, env=self.environment, capture_output=True, text=True, check=True, timeout=10
        ).stdout

    def wait_for_log(self, *texts: str) -> None:
        def logged() -> bool:
            log = self.error_log.read_text() if self.error_log.exists() else ""
            return all(text in log for text in texts)

        wait_until(logged, WAIT_S, f"cupsd to log {texts}", interval_s=0.1)


@pytest.fixture
def cups(tmp_path: Path) -> Iterator[Cups]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    assert not missing, f"{missing} not installed (Debian: apt-get install cups-daemon cups-client)"
    folder = tmp_path / "cups"
    for part in ("conf", "log", "spool", "cache", "state", "bin/backend"):
        (folder / part).mkdir(parents=True)
    for part in ("daemon", "filter", "notifier"):  # cupsd starts its helpers from ServerBin
        (folder / "bin" / part).symlink_to(CUPS_LIBRARY / part)
    backend = folder / "bin" / "backend" / "xlapulse-test"
    backend.write_text(BACKEND)
    backend.chmod(0o700)  # cupsd runs a backend only readable by root as root
    (folder / "conf" / "cups-files.conf").write_text(
        f"ServerRoot {folder}/conf\nRequestRoot {folder}/spool\nCacheDir {folder}/cache\n"
        f"StateDir {folder}/state\nServerBin {folder}/bin\nErrorLog {folder}/log/error_log\n"
        f"AccessLog {folder}/log/access_log\nPageLog {folder}/log/page_log\n"
        "User lp\nGroup lp\nFileDevice No\n"
    )
    (folder / "conf" / "cupsd.conf").write_text(
        f"Listen {folder}/cups.sock\nLogLevel info\nBrowsing No\nWebInterface No\n"
        "DefaultAuthType None\n<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
        "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
    )
    daemon = subprocess.Popen(
        ["cupsd", "-f", "-c", f"{folder}/conf/cupsd.conf", "-s", f"{folder}/conf/cups-files.conf"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    running = Cups(folder)
    try:
        running.wait_for_log("Listening to")
        yield running
    finally:
        daemon.send_signal(signal.SIGTERM)
        output = daemon.communicate(timeout=10)[0]
        assert daemon.returncode == 0, output


def test_cups_source_reports_a_printed_and_a_failed_job_from_a_live_cupsd(cups: Cups) -> None:
    settings = runtime_settings(CupsErrorLogSettings(path=str(cups.error_log)))
    source = CupsErrorLogSource(settings, IDENTITY, lambda argv, timeout_s: cups.run(*argv))
    before = source.collect(None)  # cupsd's start-up lines: no job yet
    assert contract_events(before) == []

    document = cups.folder / "document.txt"
    document.write_text("quarterly figures\n")
    for printer, uri in QUEUES:
        cups.run("lpadmin", "-p", printer, "-E", "-v", uri)
        cups.run("lp", "-d", printer, "-o", "raw", str(document))
    cups.wait_for_log("[Job 1] Job completed.", "[Job 2] Backend returned status 1")

    second = source.collect(before.bookmark)
    jobs = contract_events(second)
    assert [(job.printer, job.outcome, job.error_code) for job in jobs] == [
        ("office-ok", "printed", None),
        ("office-fail", "failed", 1),
    ]
    assert second.unparsed.total == 0  # the real lpstat -v listed both queues (direct devices)
    assert {job.user_id for job in jobs} == {IDENTITY.user(getpass.getuser())}  # who ran lp
    assert {job.device_id for job in jobs} == {IDENTITY.device_id}

    cups.run("lp", "-d", "office-ok", "-o", "raw", str(document))
    cups.wait_for_log("[Job 3] Job completed.")
    third = source.collect(second.bookmark)
    assert [(job.printer, job.outcome) for job in contract_events(third)] == [
        ("office-ok", "printed")
    ]  # only the new job: the bookmark carried the read offset
