"""Rules for the whole suite.

In CI (``CI`` set, as ``.ci/run`` sets it) a skipped test is a failure, whether it skipped
while running or its whole module skipped while collected: every test must run there, with
the real Kafka, InfluxDB and OS tools that ``deploy/dev test`` sets up.
"""

from __future__ import annotations

import os

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """A test skipped or marked to fail in setup or call (``pytest.skip``, ``skipif``, a
    skipping fixture, ``xfail``)."""
    outcome = yield
    _fail_a_skip_in_ci(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> object:
    """A module skipped while collected (``importorskip``, ``skip(allow_module_level=True)``)."""
    outcome = yield
    _fail_a_skip_in_ci(outcome.get_result())


def _fail_a_skip_in_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    """An expected failure (``xfail``) is a skip too: a test that did not run or pass."""
    if not (os.environ.get("CI") and report.skipped):
        return
    if hasattr(report, "wasxfail"):
        reason = f"expected to fail: {report.wasxfail}"
        del report.wasxfail  # pytest does not count a failure that carries it
    else:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
    report.outcome = "failed"
    report.longrepr = f"skipped in CI, where every test must run: {reason}"
