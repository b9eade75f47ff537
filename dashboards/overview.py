"""Dashboard "xlapulse / XLA overview": score and compliance per persona against its
target, error budget left, worst sites, scores per touch point with links to their
drill-downs, open dips, and the last data per site (a collector that went silent).

Reads ``experience_score``, ``xla_compliance`` and ``dip`` with InfluxQL.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, DashboardLink
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.models.dashboard import DynamicConfigValue

from xlapulse.dashboards.common import (
    DRILL_DOWNS,
    HOURLY,
    INFLUXDB,
    OVERALL_SCORE_TARGET,
    PERSONA_SITE,
    SCORE_MEASUREMENT,
    datasource_variable,
    drill_down_url,
    navigation_links,
    overall_score_targets,
    score_thresholds,
    steps,
    tag_variable,
    uid_of,
    weighted_score_expression,
    windows_met_thresholds,
)
from xlapulse.dashboards.dips import dip_annotations, open_dips_panel
from xlapulse.dashboards.influxql import InfluxQL
from xlapulse.dashboards.panels import (
    PanelBuilder,
    bar_gauge,
    coloured_column,
    hide_time_column,
    panel_ids,
    place,
    stat,
    table,
    text,
    timeseries,
)

UID = uid_of("overview")
OVERALL = f"\"touch_point\" = 'overall' AND {HOURLY} AND {PERSONA_SITE} AND $timeFilter"
HOW_TO_READ = (
    "**XLA overview.** Scores are 0-100 (100 x Apdex, weighted per persona); below 70 a "
    "group has issues; each persona's overall score has its own XLA target (most: "
    f"{OVERALL_SCORE_TARGET}). "
    "Click a persona, site or touch point to drill down. Every figure describes 5 or more "
    "people; smaller groups are not published. Red and green markers: dips opening and "
    "closing."
)


def per_persona_targets(panel: PanelBuilder) -> PanelBuilder:
    """Each persona's series coloured against its own XLA overall-score target."""
    for persona, target in overall_score_targets().items():
        panel = panel.override_by_name(
            persona,
            [DynamicConfigValue(id_val="thresholds", value=score_thresholds(target).build())],
        )
    return panel


def persona_scores_panel() -> PanelBuilder:
    query = (
        f'SELECT {weighted_score_expression()} AS "score" FROM "{SCORE_MEASUREMENT}" '
        f'WHERE {OVERALL} GROUP BY "persona"'
    )
    panel = stat(
        "Overall score per persona",
        "Over the time range, coloured against each persona's XLA target (red below 70).",
        [InfluxQL(query, INFLUXDB).alias("$tag_persona")],
        "none",
        score_thresholds(OVERALL_SCORE_TARGET),
        (16, 6),
    ).data_links(
        [
            DashboardLink("A day in the life of this persona").url(
                drill_down_url(uid_of("journey"), persona="${__field.labels.persona}")
            )
        ]
    )
    return per_persona_targets(panel)


def persona_trend_panel() -> Timeseries:
    query = (
        f'SELECT {weighted_score_expression()} AS "score" FROM "{SCORE_MEASUREMENT}" '
        f'WHERE {OVERALL} GROUP BY time($__interval), "persona" fill(none)'
    )
    panel = timeseries(
        "Overall score per persona over time",
        "Hourly cells; dashed lines at 70 (issues) and the XLA target "
        f"({OVERALL_SCORE_TARGET} for most personas).",
        [InfluxQL(query, INFLUXDB).alias("$tag_persona")],
        "none",
        score_thresholds(OVERALL_SCORE_TARGET),
        (16, 9),
    )
    return per_persona_targets(panel)


def compliance_panel() -> PanelBuilder:
    query = (
        'SELECT 100 * mean("met") AS "windows met", mean("value") AS "measured", '
        'last("target") AS "target" FROM "xla_compliance" '
        f'WHERE {HOURLY} AND {PERSONA_SITE} AND $timeFilter GROUP BY "persona", "objective"'
    )
    return (
        table(
            "XLA compliance per persona",
            "Share of hourly windows in which each objective was met, the mean measured "
            "value and the target.",
            [InfluxQL(query, INFLUXDB).result_format("table")],
            (12, 9),
            sort_by=("windows met", False),
        )
        .override_by_name("windows met", coloured_column(windows_met_thresholds(), "percent"))
        .with_transformation(hide_time_column())
    )


def error_budget_panel() -> PanelBuilder:
    """Budget left = 1 - misses / allowed misses, from the mean compliance value."""
    within = (
        'SELECT 100 * (1 - (1 - mean("value")) / (1 - last("target"))) AS "budget left" '
        'FROM "xla_compliance" WHERE "kind" = \'share_within\' '
        f'AND {HOURLY} AND {PERSONA_SITE} AND $timeFilter GROUP BY "persona", "objective"'
    )
    at_most = (
        'SELECT 100 * (1 - mean("value") / last("target")) AS "budget left" '
        'FROM "xla_compliance" WHERE "kind" = \'frustrating_share_at_most\' '
        f'AND {HOURLY} AND {PERSONA_SITE} AND $timeFilter GROUP BY "persona", "objective"'
    )
    return bar_gauge(
        "Error budget left",
        "Per share objective: 100 % = no misses, 0 % = exactly the misses the target allows, "
        "below 0 = over budget (from the mean of the hourly compliance values). The dip "
        "detector alerts on its burn rate (Live dips, detector burn_rate).",
        [
            InfluxQL(within, INFLUXDB, "A").alias("$tag_persona $tag_objective"),
            InfluxQL(at_most, INFLUXDB, "B").alias("$tag_persona $tag_objective"),
        ],
        "percent",
        steps((None, "red"), (0, "orange"), (25, "yellow"), (50, "green")),
        (12, 9),
        (-100, 100),
    )


def worst_sites_panel() -> PanelBuilder:
    query = (
        f'SELECT {weighted_score_expression()} AS "score", '
        'max("users_with_issues") AS "most people with issues in an hour" '
        f'FROM "{SCORE_MEASUREMENT}" WHERE {OVERALL} GROUP BY "site"'
    )
    return (
        table(
            "Worst sites",
            "Overall score per site over the time range, worst first.",
            [InfluxQL(query, INFLUXDB).result_format("table")],
            (8, 9),
            sort_by=("score", False),
            links=[
                DashboardLink("A day in the life at this site").url(
                    drill_down_url(uid_of("journey"), site="${__data.fields.site}")
                )
            ],
        )
        .override_by_name("score", coloured_column(score_thresholds(OVERALL_SCORE_TARGET), "none"))
        .with_transformation(hide_time_column())
    )


def touch_points_panel() -> PanelBuilder:
    touch_points = "|".join(DRILL_DOWNS)
    query = (
        f'SELECT {weighted_score_expression()} AS "score", sum("time_lost_ms") / 3600000 '
        f'AS "hours lost" FROM "{SCORE_MEASUREMENT}" WHERE "touch_point" =~ /^({touch_points})$/ '
        f'AND {HOURLY} AND {PERSONA_SITE} AND $timeFilter GROUP BY "touch_point", "persona"'
    )
    return (
        table(
            "Touch points per persona",
            "Click a row for the touch point's drill-down, filtered to the persona.",
            [InfluxQL(query, INFLUXDB).result_format("table")],
            (8, 9),
            sort_by=("score", False),
            links=[
                DashboardLink("Touch point drill-down").url(
                    drill_down_url(
                        "xlapulse-${__data.fields.touch_point}",
                        persona="${__data.fields.persona}",
                    )
                )
            ],
        )
        .override_by_name("score", coloured_column(score_thresholds(), "none"))
        .override_by_name("hours lost", [DynamicConfigValue(id_val="unit", value="h")])
        .with_transformation(hide_time_column())
    )


def last_seen_panel() -> PanelBuilder:
    """Per site, when its last overall cell was published: a silent collector fleet."""
    query = (
        f'SELECT last("users") AS "people in the last cell" FROM "{SCORE_MEASUREMENT}" '
        f'WHERE "touch_point" = \'overall\' AND {HOURLY} AND "site" =~ /^$site$/ '
        'AND $timeFilter GROUP BY "site"'
    )
    return table(
        "Last data per site",
        "Time of the newest published hourly cell per site. A site whose time falls behind "
        "the others has gone silent (collectors, network or the pipeline); see Pipeline health.",
        [InfluxQL(query, INFLUXDB).result_format("table")],
        (8, 9),
        sort_by=("Time", False),
    ).override_by_name("Time", [DynamicConfigValue(id_val="unit", value="dateTimeFromNow")])


def overview_dashboard() -> Dashboard:
    panels = [
        text("How to read", HOW_TO_READ, (8, 6)),
        persona_scores_panel(),
        persona_trend_panel(),
        last_seen_panel(),
        compliance_panel(),
        error_budget_panel(),
        worst_sites_panel(),
        touch_points_panel(),
        open_dips_panel(f"{PERSONA_SITE} AND $timeFilter", (8, 9)),
    ]
    dashboard = (
        Dashboard("xlapulse / XLA overview")
        .uid(UID)
        .description("Experience per persona against its XLA, worst sites and open dips.")
        .tags(["xlapulse", "generated"])
        .time("now-7d", "now")
        .timezone("browser")
        .refresh("1m")
        .links(navigation_links())
        .with_variable(datasource_variable())
        .with_variable(tag_variable("persona", "Persona"))
        .with_variable(tag_variable("site", "Site"))
        .annotations(dip_annotations(".*", panel_ids(panels, Timeseries)))
    )
    return place(dashboard, panels)
