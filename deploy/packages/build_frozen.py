"""Build the self-contained collector (PyInstaller, one folder): no Python needed on the PC.

Reads deploy/packages/frozen/xlapulse_collector.py and the xlapulse collector modules
installed in the running interpreter (with PyInstaller); writes
``<out>/xlapulse-collector/`` (the ``xlapulse-collector`` executable, its
``_internal/`` folder and THIRD_PARTY_LICENSES.txt) and
``<out>/xlapulse-collector-<platform>.tar.gz``. PyInstaller builds for the platform it
runs on: run it on Windows or a Mac for those (not done here). The engine, gateway and
dashboards stay out (the collector install has none of them).

Usage: python deploy/packages/build_frozen.py --out dist
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from third_party import (
    NOTICE_NAME,
    BundledProject,
    collector_distributions,
    cpython_project,
    from_installed,
    write_notice,
)

REPO = Path(__file__).resolve().parents[2]
ENTRY = Path(__file__).resolve().parent / "frozen" / "xlapulse_collector.py"
NAME = "xlapulse-collector"
#: The package data of xlapulse.collectors (pyproject.toml, package-data).
DATA_SUFFIXES = (".json", ".toml", ".yaml")
PYINSTALLER_OPTIONS = (
    "--noconfirm", "--log-level=WARN", "--onedir", f"--name={NAME}",
    # The CLI imports subcommands lazily and kafka-python loads its protocol schemas
    # as package data: PyInstaller's import analysis sees neither (our own data files
    # are added one by one, data_options).
    "--collect-submodules=xlapulse.collectors",
    "--collect-submodules=kafka", "--collect-data=kafka",
    "--exclude-module=xlapulse.streams", "--exclude-module=xlapulse.dashboards",
    "--exclude-module=faust", "--exclude-module=aiohttp", "--exclude-module=matplotlib",
    "--exclude-module=rich", "--exclude-module=grafana_foundation_sdk",
)  # fmt: skip


def stage_sources(target: Path) -> Path:
    """``xlapulse.collectors`` as a plain package tree: PyInstaller cannot follow the
    editable install's import hook, so it gets the sources in their installed layout."""
    package = target / "xlapulse"
    shutil.copytree(
        REPO / "collectors", package / "collectors", ignore=shutil.ignore_patterns("__pycache__")
    )
    (package / "__init__.py").write_text('"""xlapulse (the collector part)."""\n')
    return target


def data_options(source: Path) -> list[str]:
    """``--add-data`` for every data file of the staged package (JSON Schemas, the sample
    config, scenarios, the OpenAPI document): ``--collect-data`` cannot see them through
    the editable install, and the collector validates every event against the schemas."""
    files = [p for p in (source / "xlapulse").rglob("*") if p.suffix in DATA_SUFFIXES]
    return [f"--add-data={p}{os.pathsep}{p.parent.relative_to(source)}" for p in sorted(files)]


def frozen_projects() -> list[BundledProject]:
    """What the build embeds: the collector's dependencies, CPython and PyInstaller's
    bootloader (GPL-2.0 with an exception that leaves the bundled program's terms alone)."""
    bundled = [from_installed(d) for d in collector_distributions()]
    pyinstaller = from_installed(importlib.metadata.distribution("pyinstaller"))
    return [*bundled, cpython_project(), pyinstaller]


def build_frozen(out: Path) -> Path:
    """Build the folder and its archive; returns the folder."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / NAME
    if target.exists():
        shutil.rmtree(target)
    strip = ["--strip"] if sys.platform.startswith("linux") else []
    with tempfile.TemporaryDirectory() as work:
        source = stage_sources(Path(work) / "src")
        subprocess.run(
            [sys.executable, "-m", "PyInstaller", *PYINSTALLER_OPTIONS, *strip,
             *data_options(source), f"--paths={source}", f"--distpath={out}", f"--workpath={work}",
             f"--specpath={work}", str(ENTRY)],
            check=True,
        )  # fmt: skip
    write_notice(frozen_projects(), NAME, target / NOTICE_NAME)
    platform = sysconfig.get_platform().replace("-", "_")
    shutil.make_archive(str(out / f"{NAME}-{platform}"), "gztar", out, NAME)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="Output folder.")
    print(build_frozen(parser.parse_args().out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
