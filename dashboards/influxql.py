"""Raw-InfluxQL query targets for grafana-foundation-sdk panels and annotations.

The SDK ships no InfluxDB query builder, so these are the minimal shapes Grafana's
InfluxDB data source (InfluxQL mode) reads: a panel target (``rawQuery`` + ``query``)
and an annotation target (``fromAnnotations`` + the columns that make the text,
title and tags, as Grafana's own migration of InfluxDB annotations writes them).
"""

from __future__ import annotations

from typing import Literal

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models.dashboard import AnnotationTarget, DataSourceRef

ResultFormat = Literal["time_series", "table"]


class InfluxQLQuery(cogvariants.Dataquery):
    """One InfluxQL target of a panel."""

    def __init__(
        self, ref_id: str, query: str, alias: str, datasource: DataSourceRef, result_format: str
    ) -> None:
        self.ref_id = ref_id
        self.query = query
        self.alias = alias
        self.datasource = datasource
        self.result_format = result_format

    def to_json(self) -> dict[str, object]:
        return {
            "refId": self.ref_id,
            "datasource": self.datasource.to_json(),
            "rawQuery": True,
            "query": self.query,
            "alias": self.alias,
            "resultFormat": self.result_format,
        }


class InfluxQL(cogbuilder.Builder[cogvariants.Dataquery]):
    """Builder for :class:`InfluxQLQuery`, used with ``panel.with_target(...)``."""

    def __init__(self, query: str, datasource: DataSourceRef, ref_id: str = "A") -> None:
        self._query = InfluxQLQuery(ref_id, query, "", datasource, "time_series")

    def alias(self, alias: str) -> InfluxQL:
        """Legend alias, e.g. ``$tag_persona``."""
        self._query.alias = alias
        return self

    def result_format(self, result_format: ResultFormat) -> InfluxQL:
        """``table`` for table panels: tags of GROUP BY become columns."""
        self._query.result_format = result_format
        return self

    def build(self) -> InfluxQLQuery:
        return self._query


class InfluxQLAnnotationTarget(AnnotationTarget):
    """An InfluxQL annotation query: each row is one marker at its time."""

    def __init__(self, query: str, text_column: str, tags_columns: tuple[str, ...]) -> None:
        super().__init__()
        self.query = query
        self.text_column = text_column
        self.tags_columns = tags_columns

    def to_json(self) -> dict[str, object]:
        return {
            "refId": "Anno",
            "query": self.query,
            "rawQuery": True,
            "queryType": "tags",
            "fromAnnotations": True,
            "textColumn": self.text_column,
            "tagsColumn": ",".join(self.tags_columns),
            "titleColumn": "",
            "timeEndColumn": "",
        }


class InfluxQLAnnotation(cogbuilder.Builder[AnnotationTarget]):
    """Builder for :class:`InfluxQLAnnotationTarget`, used with ``AnnotationQuery.target``."""

    def __init__(self, query: str, text_column: str, tags_columns: tuple[str, ...] = ()) -> None:
        self._target = InfluxQLAnnotationTarget(query, text_column, tags_columns)

    def build(self) -> InfluxQLAnnotationTarget:
        return self._target
