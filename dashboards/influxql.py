"""A raw-InfluxQL query target for grafana-foundation-sdk panels.

The SDK ships no InfluxDB query builder, so this is the minimal Dataquery variant
Grafana's InfluxDB data source (InfluxQL mode) reads: ``rawQuery`` + ``query``.
"""

from __future__ import annotations

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models.dashboard import DataSourceRef


class InfluxQLQuery(cogvariants.Dataquery):
    """One InfluxQL target of a panel."""

    def __init__(self, ref_id: str, query: str, alias: str, datasource: DataSourceRef) -> None:
        self.ref_id = ref_id
        self.query = query
        self.alias = alias
        self.datasource = datasource

    def to_json(self) -> dict[str, object]:
        return {
            "refId": self.ref_id,
            "datasource": self.datasource.to_json(),
            "rawQuery": True,
            "query": self.query,
            "alias": self.alias,
            "resultFormat": "time_series",
        }


class InfluxQL(cogbuilder.Builder[cogvariants.Dataquery]):
    """Builder for :class:`InfluxQLQuery`, used with ``panel.with_target(...)``."""

    def __init__(self, query: str, datasource: DataSourceRef, ref_id: str = "A") -> None:
        self._query = InfluxQLQuery(ref_id, query, alias="", datasource=datasource)

    def alias(self, alias: str) -> InfluxQL:
        """Legend alias, e.g. ``$tag_persona``."""
        self._query.alias = alias
        return self

    def build(self) -> InfluxQLQuery:
        return self._query
