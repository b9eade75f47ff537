"""Dashboard "xlapulse / Service desk experience": tickets explained by a signal, tickets
without one, silent sufferers, lost time from telemetry beside self-reported lost time,
happiness, ticket handling and the watermelon flag.

Reads ``service_desk`` and ``sentiment`` (hourly cells of 5+ people) with InfluxQL.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.common import ReduceDataOptions
from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.models.dashboard import (
    DynamicConfigValue,
    ValueMap,
    ValueMappingResult,
)

from xlapulse.dashboards.common import (
    HAPPINESS_TARGET,
    HOURLY,
    INFLUXDB,
    PERSONA_SITE,
    datasource_variable,
    navigation_links,
    score_thresholds,
    steps,
    tag_variable,
    uid_of,
)
from xlapulse.dashboards.dips import dip_annotations
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
from xlapulse.streams.scoring.personas import TELEMETRY_TOUCH_POINTS

UID = uid_of("service_desk")
WHERE = f"{HOURLY} AND {PERSONA_SITE} AND $timeFilter"
HOW_TO_READ = (
    "**Service desk experience.** A ticket is *explained* when its user (or device) lost "
    "time on a touch point in the 4 hours before it; *silent sufferers* had a frustrating "
    "moment and raised no ticket. Lost time is shown twice: measured by telemetry and "
    "reported by people in surveys. Happiness is HappySignals' (-100..+100, XLA target "
    f"+{HAPPINESS_TARGET} for most personas). A **watermelon** is a group whose SLA is "
    "green (90 % met, 5+ tickets) while its experience is red. Figures describe 5 or more "
    "people."
)


def ticket_totals_panel() -> PanelBuilder:
    query = (
        'SELECT sum("tickets_opened") AS "tickets", sum("explained") AS "explained", '
        'sum("without_signal") AS "without a signal", '
        'sum("silent_sufferers") AS "silent sufferers (people-hours)" '
        f'FROM "service_desk" WHERE {WHERE}'
    )
    return stat(
        "Tickets and silent sufferers",
        "Over the time range. Silent sufferers are counted per hourly cell.",
        [InfluxQL(query, INFLUXDB)],
        "short",
        steps((None, "blue")),
        (16, 6),
    )


def tickets_over_time_panel() -> Timeseries:
    query = (
        'SELECT sum("explained") AS "explained", sum("without_signal") AS "without a signal", '
        'sum("silent_sufferers") AS "silent sufferers" '
        f'FROM "service_desk" WHERE {WHERE} GROUP BY time($__interval) fill(none)'
    )
    return timeseries(
        "Tickets explained, without a signal, and silent sufferers",
        "New tickets per hour by whether telemetry explains them; people who suffered "
        "without a ticket.",
        [InfluxQL(query, INFLUXDB)],
        "short",
        steps((None, "text")),
        (12, 8),
    )


def explained_by_panel() -> PanelBuilder:
    fields = ", ".join(
        f'sum("explained_by_{point}") AS "{point}"' for point in TELEMETRY_TOUCH_POINTS
    )
    query = f'SELECT {fields} FROM "service_desk" WHERE {WHERE}'
    return bar_gauge(
        "Tickets explained per touch point",
        "Which touch point explains the tickets over the time range.",
        [InfluxQL(query, INFLUXDB)],
        "short",
        steps((None, "blue")),
        (12, 8),
    ).reduce_options(_all_fields())


def _all_fields() -> ReduceDataOptions:
    return ReduceDataOptions().calcs(["sum"]).values(False).fields("/.*/")


def lost_time_panel() -> Timeseries:
    query = (
        'SELECT sum("telemetry_time_lost_ms") / 3600000 AS "measured by telemetry", '
        'sum("self_reported_lost_ms") / 3600000 AS "reported in surveys" '
        f'FROM "service_desk" WHERE {WHERE} GROUP BY time($__interval) fill(none)'
    )
    return timeseries(
        "Lost time: telemetry beside self-reported",
        "Hours lost per hour of the day, as telemetry measured it and as people reported it "
        "in survey answers (only those who answered).",
        [InfluxQL(query, INFLUXDB)],
        "h",
        steps((None, "text")),
        (12, 8),
    )


def happiness_panel() -> Timeseries:
    query = (
        'SELECT mean("happiness") AS "happiness" FROM "sentiment" '
        f'WHERE {WHERE} GROUP BY time($__interval), "persona" fill(none)'
    )
    return timeseries(
        "Happiness per persona",
        "HappySignals happiness (% 9-10 minus % 0-6) of survey answers, mean of the hourly "
        f"cells; dashed line at +{HAPPINESS_TARGET}, the XLA target of most personas.",
        [InfluxQL(query, INFLUXDB).alias("$tag_persona")],
        "none",
        steps((None, "red"), (0, "yellow"), (HAPPINESS_TARGET, "green")),
        (12, 8),
    )


def handling_panel() -> PanelBuilder:
    query = (
        'SELECT sum("handled") AS "handled", 100 * sum("no_contact") / sum("handled") AS '
        '"resolved without contact", 100 * sum("reopened") / sum("handled") AS "reopened", '
        'mean("mean_first_contact_ms") AS "first contact", mean("mean_reassignments") AS '
        '"reassignments", 100 * mean("reassigned_twice_ratio") AS "reassigned twice", '
        'mean("service_experience_score") AS "service experience" '
        f'FROM "service_desk" WHERE {WHERE} GROUP BY "persona", "site"'
    )
    return (
        table(
            "Ticket handling per persona and site",
            "Handled tickets; shares resolved without contacting the user and reopened; mean "
            "time to first contact; reassignments; the ServiceNow-style service score.",
            [InfluxQL(query, INFLUXDB).result_format("table")],
            (12, 9),
            sort_by=("service experience", False),
        )
        .override_by_name("resolved without contact", _unit("percent"))
        .override_by_name("reopened", _unit("percent"))
        .override_by_name("reassigned twice", _unit("percent"))
        .override_by_name("first contact", _unit("ms"))
        .override_by_name("service experience", coloured_column(score_thresholds(), "none"))
        .with_transformation(hide_time_column())
    )


def _unit(unit: str) -> list[DynamicConfigValue]:
    return [DynamicConfigValue(id_val="unit", value=unit)]


def watermelon_panel() -> PanelBuilder:
    query = (
        'SELECT max("watermelon") AS "watermelon", 100 * mean("sla_met_ratio") AS "SLA met", '
        'mean("dex_score") AS "DEX score" '
        f'FROM "service_desk" WHERE {WHERE} GROUP BY "persona", "site"'
    )
    flag = ValueMap(
        {
            "1": ValueMappingResult(text="watermelon: SLA green, experience red", color="red"),
            "0": ValueMappingResult(text="consistent", color="green"),
        }
    )
    return (
        table(
            "Watermelon flag",
            "A group is a watermelon in an hour when its SLA is green while its experience is "
            "red (overall or service-desk score below 70, or happiness below 0).",
            [InfluxQL(query, INFLUXDB).result_format("table")],
            (12, 9),
            sort_by=("watermelon", True),
            mappings=[flag],
        )
        .override_by_name("SLA met", _unit("percent"))
        .with_transformation(hide_time_column())
    )


def service_desk_dashboard() -> Dashboard:
    panels = [
        text("How to read", HOW_TO_READ, (8, 6)),
        ticket_totals_panel(),
        tickets_over_time_panel(),
        explained_by_panel(),
        lost_time_panel(),
        happiness_panel(),
        handling_panel(),
        watermelon_panel(),
    ]
    dashboard = (
        Dashboard("xlapulse / Service desk experience")
        .uid(UID)
        .description("Tickets and the experience behind them: signals, handling, happiness.")
        .tags(["xlapulse", "generated", "touch point"])
        .time("now-7d", "now")
        .timezone("browser")
        .refresh("5m")
        .links(navigation_links())
        .with_variable(datasource_variable())
        .with_variable(tag_variable("persona", "Persona"))
        .with_variable(tag_variable("site", "Site"))
        .annotations(dip_annotations("service_desk", panel_ids(panels, Timeseries)))
    )
    return place(dashboard, panels)
