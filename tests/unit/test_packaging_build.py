"""The package builds without a setuptools warning, with its data (issue 13: about 200
lines of warnings used to precede the demo's first line).

Builds the wheel from a copy of the source tree with the setuptools in this environment
(the test extra pins it to what ``[build-system] requires``), in a subprocess, as pip's
build step would.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("collectors", "streams", "dashboards")


def test_the_wheel_builds_without_warnings_and_carries_its_data(tmp_path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, tree / name)
    for name in SOURCES:
        shutil.copytree(REPO / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    build = (
        "import warnings; warnings.simplefilter('always');"
        "from setuptools import build_meta; print(build_meta.build_wheel('dist'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", build], cwd=tree, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "Warning" not in output, output
    wheel = tree / "dist" / done.stdout.strip().splitlines()[-1]
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "xlapulse/collectors/contract/schemas/event.schema.json",
        "xlapulse/collectors/simulator/scenarios/baseline.yaml",
        "xlapulse/dashboards/generated/xlapulse-overview.json",
        "xlapulse/streams/scoring/xlas/default.yaml",
        "xlapulse/collectors/agent/sample-config.toml",
        "xlapulse/collectors/gateway/openapi.json",
    ):
        assert expected in names
    metadata = next(name for name in names if name.endswith(".dist-info/METADATA"))
    assert "License-Expression: Apache-2.0" in zipfile.ZipFile(wheel).read(metadata).decode()


def _fake_checkout(tmp_path: Path, pip_exit_code: int) -> Path:
    """deploy/dev beside a .venv whose pip prints a build backend's notice, and whose
    xlapulse prints the demo's first line."""
    checkout = tmp_path / "checkout"
    (checkout / "deploy").mkdir(parents=True)
    shutil.copy2(REPO / "deploy" / "dev", checkout / "deploy" / "dev")
    shutil.copy2(REPO / "pyproject.toml", checkout / "pyproject.toml")
    bin_folder = checkout / ".venv" / "bin"
    bin_folder.mkdir(parents=True)
    (bin_folder / "python").write_text(
        f"#!/bin/sh\necho 'BuildBackendWarning: Editable installation.' >&2\nexit {pip_exit_code}\n"
    )
    (bin_folder / "xlapulse").write_text('#!/bin/sh\necho "demo\'s first line: $*"\n')
    for script in (*bin_folder.iterdir(), checkout / "deploy" / "dev"):
        script.chmod(0o755)
    return checkout


def test_dev_demo_shows_no_install_notices_before_the_demo(tmp_path) -> None:
    checkout = _fake_checkout(tmp_path, pip_exit_code=0)
    done = subprocess.run(
        [str(checkout / "deploy" / "dev"), "demo", "--no-live"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "demo's first line: demo --no-live\n"
    assert done.stderr == (
        "deploy/dev: installing xlapulse[demo] into .venv (log: .venv/.xlapulse-install.log)\n"
    )
    assert "Editable installation" in (checkout / ".venv" / ".xlapulse-install.log").read_text()


def test_dev_demo_shows_the_install_log_when_pip_fails(tmp_path) -> None:
    checkout = _fake_checkout(tmp_path, pip_exit_code=1)
    done = subprocess.run(
        [str(checkout / "deploy" / "dev"), "demo"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Editable installation" in done.stderr
    assert "deploy/dev: installing xlapulse[demo] failed; the log is" in done.stderr
