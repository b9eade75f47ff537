"""Generated artifacts are committed and must match their generators."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from xlapulse.dashboards.main import GENERATED_DIR, render_dashboards

REPO = Path(__file__).resolve().parents[2]


def test_dashboards_have_not_drifted() -> None:
    committed = {path.name: path.read_text() for path in GENERATED_DIR.glob("*.json")}
    assert committed == render_dashboards(), "run `xlapulse dashboards generate` and commit"


def test_every_dashboard_query_uses_the_time_filter_and_published_cells_only() -> None:
    for text in render_dashboards().values():
        for panel in json.loads(text)["panels"]:
            for target in panel["targets"]:
                assert "$timeFilter" in target["query"]
                assert re.search(r'FROM "experience_score"', target["query"])


def test_every_python_package_folder_is_packaged() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    declared = set(config["packages"])
    roots = {folder: name for name, folder in config["package-dir"].items()}
    found = set()
    for folder, package in roots.items():
        for init in (REPO / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / folder).parts
            found.add(".".join((package, *relative)))
    assert found == declared
