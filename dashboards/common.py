"""House defaults shared by every xlapulse dashboard."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import DatasourceVariable, QueryVariable
from grafana_foundation_sdk.models.dashboard import DataSourceRef, VariableRefresh

GRAFANA_VERSION = "11.6"
DATASOURCE = DataSourceRef(type_val="influxdb", uid="${datasource}")
SCORE_MEASUREMENT = "experience_score"
# Scores below these bands are shown yellow/red (Nexthink: "issues" below 70).
SCORE_GOOD_MIN = 85
SCORE_ISSUE_BELOW = 70


def datasource_variable() -> DatasourceVariable:
    """Lets the operator pick the InfluxDB data source that holds the xlapulse database."""
    return DatasourceVariable("datasource").label("InfluxDB").type("influxdb")


def tag_variable(tag: str, label: str) -> QueryVariable:
    """A multi-select variable over the values of one score tag."""
    return (
        QueryVariable(tag)
        .label(label)
        .datasource(DATASOURCE)
        .query(f'SHOW TAG VALUES FROM "{SCORE_MEASUREMENT}" WITH KEY = "{tag}"')
        .multi(True)
        .include_all(True)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
    )


def weighted_score_expression() -> str:
    """Sample-weighted roll-up of published cells into one 0-100 score (100 x Apdex)."""
    return '100 * (sum("good") + sum("tolerating") / 2) / sum("samples")'
