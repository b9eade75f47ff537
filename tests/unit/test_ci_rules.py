"""tests/conftest.py: in CI a skipped test fails the run; elsewhere it stays a skip.

The skipping tests below are written to a temporary folder, next to a copy of
tests/conftest.py (so the child pytest loads the rule as a directory conftest, as the
suite does), and run in a child pytest; none of them is part of the suite."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


SKIP_WHILE_RUNNING = 'import pytest\n\ndef test_it():\n    pytest.skip("no journalctl")\n'
EXPECTED_TO_FAIL = (
    'import pytest\n\n@pytest.mark.xfail(run=False, reason="no journalctl")\ndef test_it():\n'
    "    pass\n"
)
SKIP_WHILE_COLLECTED = (
    'import pytest\n\npytest.importorskip("no_such_kafka_client")\n\ndef test_it():\n    pass\n'
)


def run_pytest_on_a_skipping_test(
    tmp_path: Path, ci: bool, source: str = SKIP_WHILE_RUNNING
) -> subprocess.CompletedProcess:
    test_file = tmp_path / "test_skipping.py"
    test_file.write_text(source)
    shutil.copyfile(REPO / "tests" / "conftest.py", tmp_path / "conftest.py")
    environment = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        environment["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), str(test_file)],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip


def test_a_skip_fails_the_run_in_ci(tmp_path) -> None:
    done = run_pytest_on_a_skipping_test(tmp_path, ci=True)
    assert done.returncode == 1, done.stdout
    assert "skipped in CI, where every test must run: Skipped: no journalctl" in done.stdout


def test_a_skip_stays_a_skip_outside_ci(tmp_path) -> None:
    done = run_pytest_on_a_skipping_test(tmp_path, ci=False)
    assert done.returncode == 0, done.stdout
    assert "1 skipped" in done.stdout


def test_a_module_skipped_while_collected_fails_the_run_in_ci(tmp_path) -> None:
    done = run_pytest_on_a_skipping_test(tmp_path, ci=True, source=SKIP_WHILE_COLLECTED)
    assert done.returncode == 2, done.stdout  # a collection error interrupts the run
    assert "skipped in CI, where every test must run" in done.stdout
    assert "no_such_kafka_client" in done.stdout


def test_a_module_skipped_while_collected_stays_a_skip_outside_ci(tmp_path) -> None:
    done = run_pytest_on_a_skipping_test(tmp_path, ci=False, source=SKIP_WHILE_COLLECTED)
    assert done.returncode == 5, done.stdout  # pytest's "no tests ran", not a failure
    assert "1 skipped" in done.stdout


def test_an_expected_failure_fails_the_run_in_ci(tmp_path) -> None:
    done = run_pytest_on_a_skipping_test(tmp_path, ci=True, source=EXPECTED_TO_FAIL)
    assert done.returncode == 1, done.stdout
    assert "skipped in CI, where every test must run: expected to fail" in done.stdout
