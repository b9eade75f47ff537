"""House defaults shared by every xlapulse dashboard: data sources, variables, filters,
thresholds, units and the links between dashboards.

Reads nothing at run time; the measurement and tag names are those the engine writes
(``streams/sink/points.py``) and the dip detector writes (measurement ``dip``).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import (
    DashboardLink,
    DatasourceVariable,
    QueryVariable,
    ThresholdsConfig,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    DashboardSpecialValueMapOptions,
    DataSourceRef,
    SpecialValueMap,
    SpecialValueMatch,
    Threshold,
    ThresholdsMode,
    ValueMappingResult,
    VariableRefresh,
    VariableSort,
)

from xlapulse.streams.scoring.xla import default_xla_config

GRAFANA_VERSION = "11.6"
INFLUXDB = DataSourceRef(type_val="influxdb", uid="${datasource}")
PROMETHEUS = DataSourceRef(type_val="prometheus", uid="${prometheus}")
SCORE_MEASUREMENT = "experience_score"
#: Nexthink's "employees with issues" line: a score below 70 is an issue.
SCORE_ISSUE_BELOW = 70
#: A touch-point score at or above this is shown green (no XLA sets a touch-point score).
SCORE_GOOD_MIN = 85
#: The knowledge worker's overall-score target in the default XLA file; per persona see
#: ``overall_score_targets``.
OVERALL_SCORE_TARGET = 75
#: The knowledge worker's happiness target in the default XLA file (HappySignals scale,
#: -100..+100; most personas have it).
HAPPINESS_TARGET = 40
#: Cells are published per hour and per day too; dashboards read the hourly ones.
HOURLY = "\"window\" = '1h'"
DAILY = "\"window\" = '1d'"
#: Touch points with their own drill-down dashboard, and their titles.
DRILL_DOWNS = {
    "boot": "Boot",
    "logon": "Logon",
    "vpn": "VPN",
    "app": "Apps",
    "call": "Calls",
    "print": "Printing",
}
PERSONA_SITE = '"persona" =~ /^$persona$/ AND "site" =~ /^$site$/'
NOT_ENOUGH_PEOPLE = "fewer than 5 people"


def overall_score_targets() -> dict[str, float]:
    """Persona -> target of its overall-score objective in the packaged XLA file."""
    config = default_xla_config()
    return {
        persona: objective.target
        for persona, objectives in sorted(config.objectives.items())
        for objective in objectives
        if objective.kind == "score_at_least" and objective.touch_point == "overall"
    }


def uid_of(name: str) -> str:
    """Dashboard uid: ``xlapulse-<name>`` (a drill-down's name is its touch point)."""
    return f"xlapulse-{name}"


def weighted_score_expression() -> str:
    """Sample-weighted roll-up of published cells into one 0-100 score (100 x Apdex)."""
    return '100 * (sum("good") + sum("tolerating") / 2) / sum("samples")'


def datasource_variable() -> DatasourceVariable:
    """Lets the operator pick the InfluxDB data source that holds the xlapulse database."""
    return DatasourceVariable("datasource").label("InfluxDB").type("influxdb")


def prometheus_variable() -> DatasourceVariable:
    """The Prometheus data source that scrapes the engine workers and the gateway."""
    return DatasourceVariable("prometheus").label("Prometheus").type("prometheus")


def tag_variable(tag: str, label: str, multi: bool = True) -> QueryVariable:
    """A variable over the values of one score tag (multi-select with "All" unless told)."""
    return (
        QueryVariable(tag)
        .label(label)
        .datasource(INFLUXDB)
        .query(f'SHOW TAG VALUES FROM "{SCORE_MEASUREMENT}" WITH KEY = "{tag}"')
        .multi(multi)
        .include_all(multi)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
    )


def steps(*pairs: tuple[float | None, str]) -> ThresholdsConfig:
    """Absolute thresholds: the first pair's value is None (the base colour)."""
    return (
        ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=value, color=color) for value, color in pairs])
    )


def score_thresholds(target: float = SCORE_GOOD_MIN) -> ThresholdsConfig:
    """Red below 70 (issues), yellow up to ``target``, green from it."""
    return steps((None, "red"), (SCORE_ISSUE_BELOW, "yellow"), (target, "green"))


def windows_met_thresholds() -> ThresholdsConfig:
    """Share of windows that met an objective, in percent: red below 80, green from 95."""
    return steps((None, "red"), (80, "yellow"), (95, "green"))


def not_enough_people() -> list[SpecialValueMap]:
    """Show an empty cell of a joined table as "fewer than 5 people", never as 0."""
    return [
        SpecialValueMap(
            DashboardSpecialValueMapOptions(
                match=SpecialValueMatch.NULL,
                result=ValueMappingResult(text=NOT_ENOUGH_PEOPLE, color="text"),
            )
        )
    ]


def navigation_links() -> list[DashboardLink]:
    """The dropdown of every xlapulse dashboard, keeping time range and variables."""
    return [
        DashboardLink("xlapulse")
        .type(DashboardLinkType.DASHBOARDS)
        .tags(["xlapulse"])
        .as_dropdown(True)
        .include_vars(True)
        .keep_time(True)
    ]


def drill_down_url(uid: str, **variables: str) -> str:
    """A data link into another xlapulse dashboard, keeping time range and data source."""
    query = "&".join(f"var-{name}={value}" for name, value in variables.items())
    return f"/d/{uid}?{query}&${{__url_time_range}}&${{datasource:queryparam}}"
