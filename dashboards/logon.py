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


def score_by_persona_panel() -> Timeseries:
    query = (
        f'SELECT {weighted_score_expression()} AS "score" FROM "{SCORE_MEASUREMENT}" '
        f'WHERE {LOGON_FILTER} GROUP BY time($__interval), "persona" fill(none)'
    )
    return (
        Timeseries()
        .title("Logon experience score per persona")
        .description("100 x Apdex of logons against each persona's target, hourly cells.")
        .unit("none")
        .min(0)
        .max(100)
        .span(16)
        .height(9)
        .with_target(InfluxQL(query, DATASOURCE).alias("$tag_persona"))
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


def score_by_site_panel() -> Timeseries:
    query = (
        f'SELECT {weighted_score_expression()} AS "score" FROM "{SCORE_MEASUREMENT}" '
        f'WHERE {LOGON_FILTER} GROUP BY time($__interval), "site" fill(none)'
    )
    return (
        Timeseries()
        .title("Logon experience score per site")
        .unit("none")
        .min(0)
        .max(100)
        .span(24)
        .height(8)
        .with_target(InfluxQL(query, DATASOURCE).alias("$tag_site"))
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
        .with_panel(score_by_persona_panel())
        .with_panel(time_lost_panel())
        .with_panel(score_by_site_panel())
    )
