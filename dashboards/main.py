"""Assemble every dashboard and write ``dashboards/generated/<uid>.json``.

The JSON is committed; ``tests/unit/test_dashboards.py`` regenerates and diffs it.
Sorted keys and a fixed indent keep diffs readable.
"""

from __future__ import annotations

from pathlib import Path

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from xlapulse.dashboards.logon import logon_dashboard

GENERATED_DIR = Path(__file__).parent / "generated"


def all_dashboards() -> list[Dashboard]:
    return [logon_dashboard()]


def render_dashboards() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    encoder = JSONEncoder(sort_keys=True, indent=2)
    rendered = {}
    for builder in all_dashboards():
        dashboard = builder.build()
        rendered[f"{dashboard.uid}.json"] = encoder.encode(dashboard) + "\n"
    return rendered


def write_dashboards(directory: Path = GENERATED_DIR) -> list[Path]:
    """Write every dashboard's JSON; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for file_name, text in render_dashboards().items():
        path = directory / file_name
        path.write_text(text)
        paths.append(path)
    return paths
