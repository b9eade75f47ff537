"""Dashboard "xlapulse / Logon experience": scores per persona and site from InfluxDB.

Reads measurement ``experience_score`` (written by the engine, see
``streams/sink/points.py``) with InfluxQL; only cells of 5+ people exist there.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.builders.stat import Panel as Stat
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries

from xlapulse.dashboards.common import (
    DATASOURCE,
    SCORE_MEASUREMENT,
    datasource_variable,
    tag_variable,
    weighted_score_expression,
)
from xlapulse.dashboards.influxql import InfluxQL

UID = "xlapulse-logon"
LOGON_FILTER = (
    "\"touch_point\" = 'logon' AND \"window\" = '1h' "
    'AND "persona" =~ /^$persona$/ AND "site" =~ /^$site$/ AND $timeFilter'
)


def score_panel(group_tag: str, title: str, width: int, height: int) -> Timeseries:
    """Sample-weighted logon score over time, one series per value of ``group_tag``."""
    query = (
        f'SELECT {weighted_score_expression()} AS "score" FROM "{SCORE_MEASUREMENT}" '
        f'WHERE {LOGON_FILTER} GROUP BY time($__interval), "{group_tag}" fill(none)'
    )
    return (
        Timeseries()
        .title(title)
        .description("100 x Apdex of logons against each persona's target, hourly cells.")
        .unit("none")
        .min(0)
        .max(100)
        .span(width)
        .height(height)
        .with_target(InfluxQL(query, DATASOURCE).alias(f"$tag_{group_tag}"))
    )


def time_lost_panel() -> Stat:
    query = (
        f'SELECT sum("time_lost_ms") / 3600000 AS "hours lost" FROM "{SCORE_MEASUREMENT}" '
        f"WHERE {LOGON_FILTER}"
    )
    return (
        Stat()
        .title("Hours lost over logon targets")
        .description("Sum over logons of (duration - persona target), where positive.")
        .unit("h")
        .decimals(1)
        .span(8)
        .height(9)
        .with_target(InfluxQL(query, DATASOURCE))
    )


def logon_dashboard() -> Dashboard:
    return (
        Dashboard("xlapulse / Logon experience")
        .uid(UID)
        .tags(["xlapulse", "generated"])
        .time("now-7d", "now")
        .refresh("1m")
        .with_variable(datasource_variable())
        .with_variable(tag_variable("persona", "Persona"))
        .with_variable(tag_variable("site", "Site"))
        .with_panel(score_panel("persona", "Logon experience score per persona", 16, 9))
        .with_panel(time_lost_panel())
        .with_panel(score_panel("site", "Logon experience score per site", 24, 8))
    )
