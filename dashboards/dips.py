"""Dashboard "xlapulse / Live dips": open and recent journey dips with their likely cause.

Reads measurement ``dip`` (written by the dip detector): time = event time of the
transition; tags ``touch_point``, ``site``, ``persona``, ``detector`` (burn_rate, peer,
seasonal), ``severity`` (warning, critical), ``state`` (opened, updated, closed);
fields ``dip_id``, ``affected_people``, ``time_lost_s``, ``tickets``, ``likely_cause``,
``summary``. ``dip_annotations`` marks dips on the time-series panels of other
dashboards.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import (
    AnnotationPanelFilter,
    AnnotationQuery,
    Dashboard,
    DashboardLink,
    QueryVariable,
)
from grafana_foundation_sdk.builders.table import Panel as Table
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.models.dashboard import (
    DataTransformerConfig,
    ValueMap,
    ValueMappingResult,
    VariableRefresh,
)

from xlapulse.dashboards.common import (
    INFLUXDB,
    datasource_variable,
    drill_down_url,
    navigation_links,
    steps,
    tag_variable,
    uid_of,
)
from xlapulse.dashboards.influxql import InfluxQL, InfluxQLAnnotation
from xlapulse.dashboards.panels import panel_ids, place, table, timeseries
from xlapulse.streams.dips.buckets import ALL_SITES

UID = uid_of("dips")
DIP_MEASUREMENT = "dip"
#: a dip over all of a persona's sites (``streams/dips/all_sites.py``) concerns every site
DIP_SITE = f'("site" =~ /^$site$/ OR "site" = \'{ALL_SITES}\')'
DIP_FILTER = (
    f'"touch_point" =~ /^$touch_point$/ AND "persona" =~ /^$persona$/ AND {DIP_SITE} '
    "AND $timeFilter"
)
DIP_COLUMNS = (
    '"dip_id", "state", "severity", "detector", "touch_point", "site", "persona", '
    '"affected_people", "time_lost_s", "tickets", "likely_cause", "summary"'
)
SCOPE = '"touch_point", "site", "persona", "detector"'


def dip_annotations(touch_point_regex: str, panel_ids_: list[int]) -> list[AnnotationQuery]:
    """Markers for dips that opened (red) and closed (green) on the given panels."""
    annotations = []
    for state, colour in (("opened", "red"), ("closed", "green")):
        query = (
            f'SELECT "summary", "likely_cause", "severity", "site", "persona" '
            f'FROM "{DIP_MEASUREMENT}" WHERE "state" = \'{state}\' '
            f'AND "touch_point" =~ /^{touch_point_regex}$/ AND {DIP_SITE} '
            "AND $timeFilter"
        )
        annotations.append(
            AnnotationQuery()
            .name(f"Dip {state}")
            .datasource(INFLUXDB)
            .enable(True)
            .icon_color(colour)
            .filter(AnnotationPanelFilter().exclude(False).ids(panel_ids_))
            .target(InfluxQLAnnotation(query, "summary", ("severity", "site", "persona")))
        )
    return annotations


def severity_colours() -> list[ValueMap]:
    return [
        ValueMap(
            {
                "critical": ValueMappingResult(color="red", index=0),
                "warning": ValueMappingResult(color="orange", index=1),
                "opened": ValueMappingResult(color="red", index=2),
                "updated": ValueMappingResult(color="orange", index=3),
                "closed": ValueMappingResult(text="closed", color="green", index=4),
            }
        )
    ]


def open_dips_panel(where: str = DIP_FILTER, size: tuple[int, int] = (24, 8)) -> Table:
    """The latest transition of every dip scope in range, without those that closed."""
    query = (
        f'SELECT {DIP_COLUMNS} FROM "{DIP_MEASUREMENT}" WHERE {where} '
        f"GROUP BY {SCOPE} ORDER BY time DESC LIMIT 1"
    )
    return table(
        "Open dips",
        "The latest state of each dip scope (touch point, site, persona, detector) in the "
        "time range; closed ones are filtered out. Every dip involves 5 or more people.",
        [InfluxQL(query, INFLUXDB).result_format("table")],
        size,
        sort_by=("affected_people", True),
        mappings=severity_colours(),
        links=[_drill_down_link()],
    ).with_transformation(
        DataTransformerConfig(
            id_val="filterByValue",
            options={
                "filters": [
                    {
                        "fieldName": "state",
                        "config": {"id": "equal", "options": {"value": "closed"}},
                    }
                ],
                "match": "any",
                "type": "exclude",
            },
        )
    )


def _drill_down_link() -> DashboardLink:
    return DashboardLink("Touch point drill-down").url(
        drill_down_url(
            "xlapulse-${__data.fields.touch_point}",
            persona="${__data.fields.persona}",
            site="${__data.fields.site}",
        )
    )


def recent_dips_panel() -> Table:
    query = (
        f'SELECT {DIP_COLUMNS} FROM "{DIP_MEASUREMENT}" WHERE {DIP_FILTER} '
        "ORDER BY time DESC LIMIT 200"
    )
    return table(
        "Dip transitions (newest first)",
        "Every opened, updated and closed transition in the time range.",
        [InfluxQL(query, INFLUXDB).result_format("table")],
        (24, 10),
        mappings=severity_colours(),
    )


def dips_opened_panel() -> Timeseries:
    query = (
        f'SELECT count("dip_id") AS "dips" FROM "{DIP_MEASUREMENT}" '
        f"WHERE \"state\" = 'opened' AND {DIP_FILTER} "
        'GROUP BY time($__interval), "touch_point" fill(none)'
    )
    return timeseries(
        "Dips opened per touch point",
        "Number of dips that opened, per touch point.",
        [InfluxQL(query, INFLUXDB).alias("$tag_touch_point")],
        "short",
        steps((None, "green"), (1, "orange")),
        (12, 8),
        min_interval="5m",
    )


def affected_people_panel() -> Timeseries:
    query = (
        f'SELECT max("affected_people") AS "people" FROM "{DIP_MEASUREMENT}" '
        f"WHERE {DIP_FILTER} "
        'GROUP BY time($__interval), "touch_point", "site" fill(none)'
    )
    return timeseries(
        "People affected by dips",
        "The most people a dip reported as affected, per touch point and site.",
        [InfluxQL(query, INFLUXDB).alias("$tag_touch_point at $tag_site")],
        "short",
        steps((None, "orange"), (50, "red")),
        (12, 8),
        min_interval="5m",
    )


def touch_point_variable() -> QueryVariable:
    return (
        QueryVariable("touch_point")
        .label("Touch point")
        .datasource(INFLUXDB)
        .query(f'SHOW TAG VALUES FROM "{DIP_MEASUREMENT}" WITH KEY = "touch_point"')
        .multi(True)
        .include_all(True)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
    )


def dips_dashboard() -> Dashboard:
    panels = [open_dips_panel(), dips_opened_panel(), affected_people_panel(), recent_dips_panel()]
    dashboard = (
        Dashboard("xlapulse / Live dips")
        .uid(UID)
        .description("Journey dips the detector opened, updated and closed, with likely cause.")
        .tags(["xlapulse", "generated"])
        .time("now-24h", "now")
        .timezone("browser")
        .refresh("1m")
        .links(navigation_links())
        .with_variable(datasource_variable())
        .with_variable(touch_point_variable())
        .with_variable(tag_variable("persona", "Persona"))
        .with_variable(tag_variable("site", "Site"))
        .annotations(dip_annotations("$touch_point", panel_ids(panels, Timeseries)))
    )
    return place(dashboard, panels)
