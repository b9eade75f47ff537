"""Generated artifacts are committed and must match their generators."""

from __future__ import annotations

import tomllib
from pathlib import Path

from xlapulse.dashboards.alerts import render_alerting
from xlapulse.dashboards.main import GENERATED_DIR, render_dashboards

REPO = Path(__file__).resolve().parents[2]
ALERTING_FILE = REPO / "deploy" / "grafana" / "provisioning" / "alerting" / "xlapulse.yaml"


def test_dashboards_have_not_drifted() -> None:
    committed = {path.name: path.read_text() for path in GENERATED_DIR.glob("*.json")}
    assert committed == render_dashboards(), (
        "run `xlapulse dashboards build --output dashboards/generated` and commit"
    )


def test_grafana_alert_rules_have_not_drifted() -> None:
    assert ALERTING_FILE.read_text() == render_alerting(), (
        f"run `xlapulse dashboards alert-rules --output {ALERTING_FILE.relative_to(REPO)}`"
    )


def test_every_python_package_folder_is_packaged() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    declared = set(config["packages"])
    roots = {folder: name for name, folder in config["package-dir"].items()}
    found = set()
    for folder, package in roots.items():
        for init in (REPO / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / folder).parts
            found.add(".".join((package, *relative)))
    # folders of package data only are declared too, so setuptools packages them silently
    data_folders = {
        f"{package}.{pattern.split('/')[0]}"
        for package, patterns in config["package-data"].items()
        for pattern in patterns
        if "/" in pattern
    }
    assert found | data_folders == declared
