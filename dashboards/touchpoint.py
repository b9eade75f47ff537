"""Dashboards "xlapulse / <touch point>": one drill-down per touch point (boot, logon,
VPN, apps, calls, printing), scores per persona and site, lost time, exposure, the
touch point's XLA objectives, the tickets it explains, who is measured, and dips.

Reads ``experience_score`` (touch-point and overall cells), ``reliability`` (apps, VPN,
printing: failures over exposure), ``component`` (``components.py``), ``phase``
(``phases.py``), ``xla_compliance``,
``service_desk`` (``explained_by_<touch point>``) and ``dip`` with InfluxQL. Only
cells of 5+ people exist; a group below that shows as "fewer than 5 people".
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries

from xlapulse.dashboards.common import (
    DRILL_DOWNS,
    HOURLY,
    INFLUXDB,
    PERSONA_SITE,
    SCORE_MEASUREMENT,
    datasource_variable,
    navigation_links,
    not_enough_people,
    score_thresholds,
    steps,
    tag_variable,
    uid_of,
    weighted_score_expression,
    windows_met_thresholds,
)
from xlapulse.dashboards.components import component_panels
from xlapulse.dashboards.dips import dip_annotations
from xlapulse.dashboards.influxql import InfluxQL
from xlapulse.dashboards.panels import (
    PanelBuilder,
    coloured_column,
    hide_time_column,
    panel_ids,
    place,
    stat,
    table,
    text,
    timeseries,
)
from xlapulse.dashboards.phases import PHASE_TOUCH_POINTS, phase_panels

#: How each touch point is scored (README "Scoring"), shown on its dashboard.
HOW_SCORED = {
    "boot": "Windows Diagnostics-Performance bands: a boot up to 60 s is good, up to 120 s "
    "tolerating, longer frustrating; time lost is the time over 60 s.",
    "logon": "Apdex of each logon against the persona's target T (tolerating up to 4T); "
    "time lost is the time over T.",
    "vpn": "A dropped or failed VPN session is frustrating and costs a fixed, documented "
    "time; a connected session is good.",
    "app": "Apdex of timed transactions against the persona's target; a hang or crash is "
    "frustrating and costs a fixed time.",
    "call": "Teams Call Quality Dashboard poor-stream rules: network MOS degradation > 1.0, "
    "round trip > 500 ms, packet loss > 10 %, jitter > 30 ms, concealed samples > 7 % or "
    "a dropped segment make a stream frustrating (stricter limits per persona in the XLA).",
    "print": "A failed print job is frustrating and costs a fixed time; a printed job is good.",
}


def _where(touch_point: str) -> str:
    return f"\"touch_point\" = '{touch_point}' AND {HOURLY} AND {PERSONA_SITE} AND $timeFilter"


def score_panel(touch_point: str, group_tag: str, size: tuple[int, int]) -> Timeseries:
    """Sample-weighted score over time, one series per value of ``group_tag``."""
    query = (
        f'SELECT {weighted_score_expression()} AS "score" FROM "{SCORE_MEASUREMENT}" '
        f'WHERE {_where(touch_point)} GROUP BY time($__interval), "{group_tag}" fill(none)'
    )
    name = DRILL_DOWNS[touch_point]
    return timeseries(
        f"{name} experience score per {group_tag}",
        f"100 x Apdex of {name.lower()} samples, hourly cells rolled up by sample count. "
        "Red below 70 (issues), green from 85.",
        [InfluxQL(query, INFLUXDB).alias(f"$tag_{group_tag}")],
        "none",
        score_thresholds(),
        size,
    )


def hours_lost_panel(touch_point: str) -> PanelBuilder:
    query = (
        f'SELECT sum("time_lost_ms") / 3600000 AS "hours lost" FROM "{SCORE_MEASUREMENT}" '
        f"WHERE {_where(touch_point)}"
    )
    return stat(
        f"Hours lost over {DRILL_DOWNS[touch_point].lower()} targets",
        "Sum over samples of the time over the persona's threshold (or the fixed cost of a "
        "failure), in the published cells.",
        [InfluxQL(query, INFLUXDB)],
        "h",
        steps((None, "green"), (10, "yellow"), (100, "red")),
        (8, 9),
    )


def frustrating_share_panel(touch_point: str) -> Timeseries:
    query = (
        f'SELECT 100 * sum("frustrating") / sum("samples") AS "frustrating" '
        f'FROM "{SCORE_MEASUREMENT}" WHERE {_where(touch_point)} '
        'GROUP BY time($__interval), "site" fill(none)'
    )
    return timeseries(
        "Frustrating share per site",
        "Share of samples in the frustrating band.",
        [InfluxQL(query, INFLUXDB).alias("$tag_site")],
        "percent",
        steps((None, "green"), (5, "yellow"), (20, "red")),
        (12, 8),
    )


def exposure_panel(touch_point: str) -> Timeseries:
    query = (
        f'SELECT sum("samples") AS "samples", sum("users") AS "people" '
        f'FROM "{SCORE_MEASUREMENT}" WHERE {_where(touch_point)} '
        "GROUP BY time($__interval) fill(none)"
    )
    return timeseries(
        "Samples and people measured",
        "How much the score rests on: samples and people (a person in several cells counts "
        "once per cell).",
        [InfluxQL(query, INFLUXDB)],
        "short",
        steps((None, "text")),
        (12, 8),
    )


#: The ``reliability`` rate each touch point has (``streams/scoring/reliability_record.py``):
#: (numerator field, denominator field, what it is per, unit label).
RELIABILITY_RATES = {
    "app": ("failures", "exposure_hours", "crashes and hangs per active hour"),
    "vpn": ("failures", "exposure_hours", "drops and failed connects per connected hour"),
    "print": ("failures", "attempts", "failed share of print jobs"),
}


def reliability_panel(touch_point: str) -> Timeseries:
    """Failures over exposure per site: zero in a calm hour, not a missing value."""
    numerator, denominator, what = RELIABILITY_RATES[touch_point]
    query = (
        f'SELECT sum("{numerator}") / sum("{denominator}") AS "rate" FROM "reliability" '
        f'WHERE {_where(touch_point)} GROUP BY time($__interval), "site" fill(none)'
    )
    return timeseries(
        f"Reliability: {what}",
        "Failures divided by what people were exposed to: the hours they were signed in "
        "and unlocked (apps), the hours their VPN was connected, or the jobs they sent "
        "(printing). A calm hour shows 0. Groups of 5 or more exposed people only.",
        [InfluxQL(query, INFLUXDB).alias("$tag_site")],
        "percentunit" if touch_point == "print" else "short",
        steps((None, "text")),
        (12, 8),
    )


def compliance_panel(touch_point: str) -> PanelBuilder:
    query = (
        'SELECT 100 * mean("met") AS "windows met", mean("value") AS "measured", '
        'last("target") AS "target" FROM "xla_compliance" '
        f"WHERE \"touch_point\" = '{touch_point}' AND {HOURLY} AND {PERSONA_SITE} "
        'AND $timeFilter GROUP BY "persona", "objective"'
    )
    return (
        table(
            "XLA objectives on this touch point",
            "Per persona and objective: the share of hourly windows that met the objective, "
            "the mean measured value and the target (a ratio for share objectives).",
            [InfluxQL(query, INFLUXDB).result_format("table")],
            (12, 8),
            sort_by=("windows met", False),
        )
        .override_by_name("windows met", coloured_column(windows_met_thresholds(), "percent"))
        .with_transformation(hide_time_column())
    )


def explained_tickets_panel(touch_point: str) -> Timeseries:
    query = (
        f'SELECT sum("explained_by_{touch_point}") AS "tickets" FROM "service_desk" '
        f"WHERE {HOURLY} AND {PERSONA_SITE} AND $timeFilter "
        'GROUP BY time($__interval), "site" fill(none)'
    )
    return timeseries(
        "Tickets explained by this touch point",
        "New tickets whose user (or device) lost most time here in the 4 hours before.",
        [InfluxQL(query, INFLUXDB).alias("$tag_site")],
        "short",
        steps((None, "text")),
        (12, 8),
    )


def who_is_measured_panel(touch_point: str) -> PanelBuilder:
    """People per persona x site, with "fewer than 5 people" where the group has a
    published overall cell but too few people with samples of this touch point."""
    group = (
        'SELECT max("users") AS "people in group (most in an hour)" '
        f'FROM "{SCORE_MEASUREMENT}" WHERE "touch_point" = \'overall\' AND {HOURLY} '
        f'AND {PERSONA_SITE} AND $timeFilter GROUP BY "persona", "site"'
    )
    measured = (
        'SELECT max("users") AS "people measured (most in an hour)", '
        f'{weighted_score_expression()} AS "score" FROM "{SCORE_MEASUREMENT}" '
        f'WHERE {_where(touch_point)} GROUP BY "persona", "site"'
    )
    return (
        table(
            "Who is measured (5 or more people)",
            "A group is shown only with 5 or more people. 'fewer than 5 people' means the "
            "group is measured but too few of them had this touch point; a group missing "
            "entirely has no data or fewer than 5 people in all.",
            [
                InfluxQL(group, INFLUXDB, "A").result_format("table"),
                InfluxQL(measured, INFLUXDB, "B").result_format("table"),
            ],
            (12, 8),
            mappings=not_enough_people(),
            merge=True,
        )
        .override_by_name("score", coloured_column(score_thresholds(), "none"))
        .with_transformation(hide_time_column())
    )


def how_scored_panel(touch_point: str) -> PanelBuilder:
    return text(
        "How to read",
        f"**{DRILL_DOWNS[touch_point]}**: {HOW_SCORED[touch_point]}\n\n"
        "Scores are 0-100 (100 x Apdex). Dashed lines: 70 (below = issues) and 85. "
        "Red and green markers are dips opening and closing. Figures exist only for groups "
        "of 5 or more people.",
        (8, 9),
    )


def touch_point_dashboard(touch_point: str) -> Dashboard:
    panels = [
        how_scored_panel(touch_point),
        score_panel(touch_point, "persona", (16, 9)),
        score_panel(touch_point, "site", (16, 9)),
        hours_lost_panel(touch_point),
        frustrating_share_panel(touch_point),
        exposure_panel(touch_point),
        *([reliability_panel(touch_point)] if touch_point in RELIABILITY_RATES else []),
        *component_panels(touch_point),
        *(phase_panels(touch_point) if touch_point in PHASE_TOUCH_POINTS else []),
        compliance_panel(touch_point),
        explained_tickets_panel(touch_point),
        who_is_measured_panel(touch_point),
    ]
    dashboard = (
        Dashboard(f"xlapulse / {DRILL_DOWNS[touch_point]} experience")
        .uid(uid_of(touch_point))
        .description(f"Drill-down: how {DRILL_DOWNS[touch_point].lower()} feels per persona.")
        .tags(["xlapulse", "generated", "touch point"])
        .time("now-7d", "now")
        .timezone("browser")
        .refresh("1m")
        .links(navigation_links())
        .with_variable(datasource_variable())
        .with_variable(tag_variable("persona", "Persona"))
        .with_variable(tag_variable("site", "Site"))
        .annotations(dip_annotations(touch_point, panel_ids(panels, Timeseries)))
    )
    return place(dashboard, panels)
