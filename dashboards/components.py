"""The per-component tables of the VPN, apps and printing dashboards: which gateway, app
version, printer or print server the trouble comes from.

Reads ``component`` (``streams/scoring/component_record.py``) with InfluxQL: daily cells,
per persona and site, of components with 5 or more people (smaller ones pooled as
"other"; a row with 0 people is a component not broken down now, and is left out).
Writes one Grafana table panel per breakdown (printing has two: per printer and per
print server).
"""

from __future__ import annotations

from xlapulse.dashboards.common import DAILY, INFLUXDB, PERSONA_SITE
from xlapulse.dashboards.influxql import InfluxQL
from xlapulse.dashboards.panels import PanelBuilder, hide_time_column, table

#: per touch point: panel title, what a component is, the columns (InfluxQL select
#: expressions and their names), the tags rows are grouped by, and the column sorted on
COMPONENT_PANELS = {
    "vpn": (
        "VPN per site and gateway",
        "gateway",
        'sum("failures") AS "drops and failed connects", sum("samples") AS "session events", '
        'sum("failures") / sum("samples") AS "failed share"',
        ("site", "component"),
        "failed share",
    ),
    "app": (
        "Apps by app and version",
        "app and version",
        'sum("failures") AS "crashes and hangs", sum("tolerating") AS "slow transactions", '
        'sum("time_lost_s") / 3600 AS "hours lost"',
        ("component",),
        "crashes and hangs",
    ),
    "print": (
        "Printing per printer",
        "printer",
        'sum("failures") AS "failed jobs", sum("samples") AS "jobs", '
        'sum("failures") / sum("samples") AS "failed share"',
        ("site", "component"),
        "failed share",
    ),
    "print_server": (
        "Printing per print server ('direct': printers reached without one)",
        "print server",
        'sum("failures") AS "failed jobs", sum("samples") AS "jobs", '
        'sum("failures") / sum("samples") AS "failed share"',
        ("site", "component"),
        "failed share",
    ),
}
#: the touch point each breakdown divides, where its name is not the touch point's
BREAKDOWN_TOUCH_POINT = {"print_server": "print"}


def component_panels(touch_point: str) -> list[PanelBuilder]:
    """The breakdown tables of a touch point's dashboard (none for most)."""
    return [
        component_panel(breakdown)
        for breakdown in COMPONENT_PANELS
        if BREAKDOWN_TOUCH_POINT.get(breakdown, breakdown) == touch_point
    ]


def component_panel(breakdown: str) -> PanelBuilder:
    """The table of one breakdown (the ``touch_point`` tag of its ``component`` points)."""
    title, what, columns, group_by, sort_column = COMPONENT_PANELS[breakdown]
    grouping = ", ".join(f'"{tag}"' for tag in group_by)
    query = (
        f'SELECT {columns}, max("users") AS "people (most in a day)" FROM "component" '
        f'WHERE "touch_point" = \'{breakdown}\' AND {DAILY} AND "users" > 0 '
        f"AND {PERSONA_SITE} AND $timeFilter GROUP BY {grouping}"
    )
    return (
        table(
            title,
            f"Per {what}, summed over the selected days, personas and sites: which one the "
            "trouble comes from. Daily cells of one persona at one site; a "
            f"{what} used by fewer than 5 of them that day is pooled as 'other'.",
            [InfluxQL(query, INFLUXDB).result_format("table")],
            (12, 8),
            sort_by=(sort_column, True),
        )
    ).with_transformation(hide_time_column())
