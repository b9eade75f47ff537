"""Prints how many hostile inputs the fuzz tests tried, per surface and in all."""

from __future__ import annotations

import pytest

from tests.fuzz.hostile import INPUTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not INPUTS:
        return
    per_surface = ", ".join(f"{surface} {n}" for surface, n in sorted(INPUTS.items()))
    terminalreporter.write_line(f"fuzz: {sum(INPUTS.values())} hostile inputs ({per_surface})")
