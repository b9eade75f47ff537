"""Assemble every dashboard and render it as ``<uid>.json`` text.

The JSON is committed in ``dashboards/generated/``;
``tests/unit/test_generated_artifacts.py`` regenerates and diffs it. Sorted keys and
a fixed indent keep diffs readable. ``xlapulse dashboards build`` writes the files to
a folder or prints them.
"""

from __future__ import annotations

from pathlib import Path

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from xlapulse.dashboards.common import DRILL_DOWNS
from xlapulse.dashboards.dips import dips_dashboard
from xlapulse.dashboards.journey import journey_dashboard
from xlapulse.dashboards.overview import overview_dashboard
from xlapulse.dashboards.pipeline import pipeline_dashboard
from xlapulse.dashboards.service_desk import service_desk_dashboard
from xlapulse.dashboards.touchpoint import touch_point_dashboard

#: The committed copy in the source tree (not the installed package's folder).
GENERATED_DIR = Path(__file__).parent / "generated"


def all_dashboards() -> list[Dashboard]:
    return [
        overview_dashboard(),
        journey_dashboard(),
        *(touch_point_dashboard(touch_point) for touch_point in DRILL_DOWNS),
        service_desk_dashboard(),
        dips_dashboard(),
        pipeline_dashboard(),
    ]


def render_dashboards() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    encoder = JSONEncoder(sort_keys=True, indent=2)
    rendered = {}
    for builder in all_dashboards():
        dashboard = builder.build()
        rendered[f"{dashboard.uid}.json"] = encoder.encode(dashboard) + "\n"
    return rendered


def write_dashboards(directory: Path) -> list[Path]:
    """Write every dashboard's JSON into ``directory`` (created if missing); return the
    paths. Files of dashboards that no longer exist are left alone."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for file_name, text in render_dashboards().items():
        path = directory / file_name
        path.write_text(text)
        paths.append(path)
    return paths
