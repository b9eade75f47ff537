"""Dashboard "xlapulse / A day in the life": touch points over the day for one persona at
one site, with the worst hour (the peak) and the end of the day marked, the peak-end
journey score, and journeys per persona and site for comparison.

Reads ``experience_score`` (hourly cells) and ``journey`` (daily cells, 5+ people)
with InfluxQL. There is no per-person view: a journey figure describes a group.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import (
    AnnotationPanelFilter,
    AnnotationQuery,
    Dashboard,
    DashboardLink,
)
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries

from xlapulse.dashboards.common import (
    DAILY,
    HOURLY,
    INFLUXDB,
    OVERALL_SCORE_TARGET,
    PERSONA_SITE,
    SCORE_MEASUREMENT,
    datasource_variable,
    drill_down_url,
    navigation_links,
    score_thresholds,
    tag_variable,
    uid_of,
    weighted_score_expression,
)
from xlapulse.dashboards.influxql import InfluxQL, InfluxQLAnnotation
from xlapulse.dashboards.panels import (
    PanelBuilder,
    coloured_column,
    hide_time_column,
    panel_ids,
    place,
    stat,
    state_timeline,
    table,
    text,
    timeseries,
)

UID = uid_of("journey")
OVERALL = f"\"touch_point\" = 'overall' AND {HOURLY} AND {PERSONA_SITE} AND $timeFilter"
HOW_TO_READ = (
    "**A day in the life** of one persona at one site (pick them above; the time range "
    "is today). Each row of the timeline is a touch point, coloured per hour: red below "
    "70, yellow below 85, green from 85. People remember the worst moment and the end "
    "(peak-end rule), so both are marked on the overall score, and the journey score "
    "blends 0.4 x mean, 0.3 x worst moment and 0.3 x end. Figures describe 5 or more "
    "people; a group with fewer is not shown."
)


def day_timeline_panel() -> PanelBuilder:
    query = (
        f'SELECT {weighted_score_expression()} AS "score" FROM "{SCORE_MEASUREMENT}" '
        f"WHERE \"touch_point\" != 'overall' AND {HOURLY} AND {PERSONA_SITE} AND $timeFilter "
        'GROUP BY time($__interval), "touch_point" fill(none)'
    )
    return state_timeline(
        "Touch points through the day",
        "Score of each touch point per hour; a gap is an hour without 5 people measured.",
        [InfluxQL(query, INFLUXDB).alias("$tag_touch_point")],
        score_thresholds(),
        (16, 8),
    )


def overall_panel() -> Timeseries:
    query = (
        f'SELECT {weighted_score_expression()} AS "overall score" FROM "{SCORE_MEASUREMENT}" '
        f"WHERE {OVERALL} GROUP BY time($__interval) fill(none)"
    )
    return timeseries(
        "Overall score through the day",
        "Markers: the worst hour (peak) and the last hour (end).",
        [InfluxQL(query, INFLUXDB)],
        "none",
        score_thresholds(OVERALL_SCORE_TARGET),
        (16, 8),
    )


def journey_score_panel() -> PanelBuilder:
    query = (
        'SELECT last("mean_score") AS "journey score", last("mean_worst_moment") AS '
        '"worst moment", last("mean_end") AS "end of day" FROM "journey" '
        f"WHERE {DAILY} AND {PERSONA_SITE} AND $timeFilter"
    )
    return stat(
        "Remembered day (peak-end)",
        "Means over the people of the group: their journey score, worst moment and end.",
        [InfluxQL(query, INFLUXDB)],
        "none",
        score_thresholds(OVERALL_SCORE_TARGET),
        (8, 8),
    )


def journeys_table_panel() -> PanelBuilder:
    query = (
        'SELECT last("users") AS "people", last("mean_score") AS "journey score", '
        'last("mean_worst_moment") AS "worst moment", last("mean_end") AS "end of day", '
        'last("users_below_issue_score") AS "people below 70" FROM "journey" '
        f'WHERE {DAILY} AND $timeFilter GROUP BY "persona", "site"'
    )
    return (
        table(
            "Journeys per persona and site",
            "Every group of 5 or more people, worst journey first. Click a row for its day.",
            [InfluxQL(query, INFLUXDB).result_format("table")],
            (24, 9),
            sort_by=("journey score", False),
            links=[
                DashboardLink("A day in the life of this group").url(
                    drill_down_url(
                        UID, persona="${__data.fields.persona}", site="${__data.fields.site}"
                    )
                )
            ],
        )
        .override_by_name("journey score", coloured_column(score_thresholds(), "none"))
        .with_transformation(hide_time_column())
    )


def peak_end_annotations(panel_ids_: list[int]) -> list[AnnotationQuery]:
    """The worst hourly overall score (InfluxQL ``min`` keeps its time) and the last one."""
    marks = []
    for name, selector, colour in (("Worst hour", "min", "red"), ("End of day", "last", "blue")):
        query = f'SELECT {selector}("score") AS "score" FROM "{SCORE_MEASUREMENT}" WHERE {OVERALL}'
        marks.append(
            AnnotationQuery()
            .name(name)
            .datasource(INFLUXDB)
            .enable(True)
            .icon_color(colour)
            .filter(AnnotationPanelFilter().exclude(False).ids(panel_ids_))
            .target(InfluxQLAnnotation(query, "score"))
        )
    return marks


def journey_dashboard() -> Dashboard:
    panels = [
        text("How to read", HOW_TO_READ, (8, 8)),
        day_timeline_panel(),
        journey_score_panel(),
        overall_panel(),
        journeys_table_panel(),
    ]
    dashboard = (
        Dashboard("xlapulse / A day in the life")
        .uid(UID)
        .description("Persona journey: touch points over the day, peak and end marked.")
        .tags(["xlapulse", "generated"])
        .time("now/d", "now/d")
        .timezone("browser")
        .refresh("5m")
        .links(navigation_links())
        .with_variable(datasource_variable())
        .with_variable(tag_variable("persona", "Persona", multi=False))
        .with_variable(tag_variable("site", "Site", multi=False))
        .annotations(peak_end_annotations(panel_ids(panels, Timeseries)))
    )
    return place(dashboard, panels)
