"""The generated dashboards: valid against the pinned Grafana schema, InfluxQL that
reads only published measurements and tags, units and thresholds on every panel,
links and annotation filters that resolve, and the ``dashboards`` commands."""

from __future__ import annotations

import copy
import json
import re

import pytest
from click.testing import CliRunner

from xlapulse.collectors.cli import main
from xlapulse.dashboards.common import (
    DRILL_DOWNS,
    HAPPINESS_TARGET,
    OVERALL_SCORE_TARGET,
    overall_score_targets,
)
from xlapulse.dashboards.main import GENERATED_DIR, render_dashboards
from xlapulse.dashboards.schema import schema_problems
from xlapulse.streams.scoring.xla import default_xla_config
from xlapulse.streams.sink.points import TAG_KEYS

#: The dip detector's measurement (built in parallel): its tags.
DIP_TAGS = {"touch_point", "site", "persona", "detector", "severity", "state"}
PUBLISHED_TAGS = {**TAG_KEYS, "dip": DIP_TAGS}
DASHBOARDS = {
    name.removesuffix(".json"): json.loads(text) for name, text in render_dashboards().items()
}


def _influx_queries(dashboard: dict) -> list[str]:
    panels = [
        target["query"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if target["datasource"]["type"] == "influxdb"
    ]
    annotations = [a["target"]["query"] for a in dashboard["annotations"].get("list", [])]
    return panels + annotations


def test_the_set_is_complete() -> None:
    expected = {
        "overview",
        "journey",
        *DRILL_DOWNS,
        "service_desk",
        "dips",
        "pipeline",
    }
    assert set(DASHBOARDS) == {f"xlapulse-{name}" for name in expected}
    assert all(len(uid) <= 40 for uid in DASHBOARDS)


@pytest.mark.parametrize("uid", sorted(DASHBOARDS))
def test_dashboard_is_valid_against_the_grafana_schema(uid: str) -> None:
    assert schema_problems(DASHBOARDS[uid]) == []


def test_the_schema_check_reports_unknown_keys_bad_enums_and_wrong_types() -> None:
    broken = copy.deepcopy(DASHBOARDS["xlapulse-vpn"])
    panel = next(p for p in broken["panels"] if p["type"] == "timeseries")
    panel["fieldConfig"]["defaults"]["colour"] = "red"
    panel["options"]["legend"]["displayMode"] = "sideways"
    panel["gridPos"]["w"] = "12"
    broken["panels"][0]["targets"] = [
        {"datasource": {"type": "influxdb", "uid": "x"}, "query": "SELECT 1", "refId": "A"}
    ]
    problems = "\n".join(schema_problems(broken))
    assert "colour: not in the schema" in problems
    assert "'sideways' is not one of" in problems
    assert "'12' is not int" in problems
    assert "rawQuery" in problems


@pytest.mark.parametrize("uid", sorted(DASHBOARDS))
def test_every_query_is_influxql_on_published_measurements_and_tags(uid: str) -> None:
    dashboard = DASHBOARDS[uid]
    defined = {variable["name"] for variable in dashboard["templating"]["list"]}
    for query in _influx_queries(dashboard):
        assert "$timeFilter" in query, query
        (measurement,) = re.findall(r'FROM "(\w+)"', query)
        assert measurement in PUBLISHED_TAGS and measurement != "user_score", query
        compared = set(re.findall(r'"(\w+)" (?:=|!=|=~) [\'/]', query))
        grouped = query.split("GROUP BY", 1)[1] if "GROUP BY" in query else ""
        tags_used = compared | set(re.findall(r'"(\w+)"', grouped))
        assert tags_used <= PUBLISHED_TAGS[measurement], (query, tags_used)
        for variable in re.findall(r"\$(\w+)", query):
            assert variable in defined | {"timeFilter", "__interval"}, (uid, variable)


@pytest.mark.parametrize("uid", sorted(DASHBOARDS))
def test_every_data_panel_has_a_unit_and_thresholds(uid: str) -> None:
    for panel in DASHBOARDS[uid]["panels"]:
        if panel["type"] in ("text", "table"):
            continue
        defaults = panel["fieldConfig"]["defaults"]
        assert defaults.get("unit"), (uid, panel["title"])
        assert defaults.get("thresholds", {}).get("steps"), (uid, panel["title"])
        assert panel.get("description"), (uid, panel["title"])


@pytest.mark.parametrize("uid", sorted(DASHBOARDS))
def test_links_resolve_and_annotations_filter_existing_time_series(uid: str) -> None:
    dashboard = DASHBOARDS[uid]
    assert dashboard["links"][0]["tags"] == ["xlapulse"]
    for panel in dashboard["panels"]:
        for link in panel.get("fieldConfig", {}).get("defaults", {}).get("links", []):
            (target,) = re.findall(r"^/d/([^?]+)\?", link["url"])
            if "${" in target:
                assert target == "xlapulse-${__data.fields.touch_point}"
            else:
                assert target in DASHBOARDS, link["url"]
    time_series = {p["id"] for p in dashboard["panels"] if p["type"] == "timeseries"}
    for annotation in dashboard["annotations"].get("list", []):
        assert set(annotation["filter"]["ids"]) <= time_series
        assert annotation["filter"]["ids"]


def test_drill_down_links_reach_every_touch_point_dashboard() -> None:
    overview = DASHBOARDS["xlapulse-overview"]
    (touch_points,) = [p for p in overview["panels"] if p["title"] == "Touch points per persona"]
    query = touch_points["targets"][0]["query"]
    assert set(re.search(r"/\^\(([\w|]+)\)\$/", query).group(1).split("|")) == set(DRILL_DOWNS)
    assert all(f"xlapulse-{tp}" in DASHBOARDS for tp in DRILL_DOWNS)


def test_every_touch_point_dashboard_marks_its_dips() -> None:
    for touch_point in DRILL_DOWNS:
        annotations = DASHBOARDS[f"xlapulse-{touch_point}"]["annotations"]["list"]
        assert {a["name"] for a in annotations} == {"Dip opened", "Dip closed"}
        assert all(f"=~ /^{touch_point}$/" in a["target"]["query"] for a in annotations)


def test_thresholds_are_the_xla_targets_of_the_default_file() -> None:
    targets = overall_score_targets()
    assert targets["knowledge_worker"] == OVERALL_SCORE_TARGET
    assert set(targets) == set(default_xla_config().objectives)
    (happiness,) = [
        o.target
        for o in default_xla_config().objectives["knowledge_worker"]
        if o.kind == "happiness_at_least" and o.touch_point == "sentiment"
    ]
    assert happiness == HAPPINESS_TARGET
    overview = json.dumps(DASHBOARDS["xlapulse-overview"])
    for persona, target in targets.items():
        assert f'"options": "{persona}"' in overview
        assert f'"value": {target:g}' in overview or f'"value": {target}' in overview


def test_no_dashboard_shows_a_person() -> None:
    for text in render_dashboards().values():
        assert "user_score" not in text and "user_id" not in text


def test_build_writes_to_the_given_folder_or_stdout(tmp_path) -> None:
    runner = CliRunner()
    written = runner.invoke(main, ["dashboards", "build", "--output", str(tmp_path / "out")])
    assert written.exit_code == 0, written.output
    assert {p.name for p in (tmp_path / "out").iterdir()} == {f"{uid}.json" for uid in DASHBOARDS}
    assert all(str(tmp_path) in line for line in written.output.splitlines())
    printed = runner.invoke(main, ["dashboards", "build"])
    assert [d["uid"] for d in json.loads(printed.output)] == sorted(DASHBOARDS)
    one = runner.invoke(main, ["dashboards", "build", "--uid", "xlapulse-vpn"])
    assert one.output == (GENERATED_DIR / "xlapulse-vpn.json").read_text()
    unknown = runner.invoke(main, ["dashboards", "build", "--uid", "xlapulse-nope"])
    assert unknown.exit_code == 1
    assert "no dashboard with uid 'xlapulse-nope'; known: xlapulse-app" in unknown.output
