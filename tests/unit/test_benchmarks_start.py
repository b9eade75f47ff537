"""Every benchmark in tests/benchmarks still starts, run the way its docstring says.

The benchmarks run outside CI (they need quiet cores and minutes), so an import broken by
a refactor went unnoticed once (engine_state.py after a helper moved, fixed in b5c172d).
This runs each one's ``--help``: imports and argument parsing, no measurement.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = sorted((REPO / "tests" / "benchmarks").glob("*.py"))


def test_the_benchmarks_are_found() -> None:
    assert {"gateway_load", "gateway_paired", "engine_state"} <= {b.stem for b in BENCHMARKS}


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda script: script.stem)
def test_benchmark_starts(script: Path) -> None:
    module = f"tests.benchmarks.{script.stem}"
    docstring = ast.get_docstring(ast.parse(script.read_text())) or ""
    run_as_module = f"-m {module}" in docstring  # relative imports: python -m from the root
    command = [sys.executable, *(["-m", module] if run_as_module else [str(script)]), "--help"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
