"""Panel shapes every xlapulse dashboard uses, with the house defaults applied.

Each function returns an SDK panel builder with title, description, unit, thresholds,
size and its queries; dashboard modules only say what to show. ``place`` numbers the
panels (annotation filters refer to panel ids) and adds them in reading order.
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders.bargauge import Panel as BarGauge
from grafana_foundation_sdk.builders.common import (
    GraphThresholdsStyleConfig,
    ReduceDataOptions,
    TableSortByFieldState,
    VizLegendOptions,
)
from grafana_foundation_sdk.builders.dashboard import Dashboard, DashboardLink, ThresholdsConfig
from grafana_foundation_sdk.builders.stat import Panel as Stat
from grafana_foundation_sdk.builders.statetimeline import Panel as StateTimeline
from grafana_foundation_sdk.builders.table import Panel as Table
from grafana_foundation_sdk.builders.text import Panel as Text
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models.common import (
    BarGaugeDisplayMode,
    BigValueColorMode,
    BigValueGraphMode,
    GraphThresholdsStyleMode,
    LegendDisplayMode,
    LegendPlacement,
    VizOrientation,
)
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    DataTransformerConfig,
    DynamicConfigValue,
    ValueMapping,
)
from grafana_foundation_sdk.models.dashboard import Panel as PanelModel
from grafana_foundation_sdk.models.text import TextMode

from xlapulse.dashboards.common import INFLUXDB

Targets = Sequence[cogbuilder.Builder[cogvariants.Dataquery]]
PanelBuilder = cogbuilder.Builder[PanelModel]
Size = tuple[int, int]  # (width in grid columns of 24, height in grid rows)


def timeseries(
    title: str,
    description: str,
    targets: Targets,
    unit: str,
    thresholds: ThresholdsConfig,
    size: Size,
    datasource: DataSourceRef = INFLUXDB,
    min_interval: str = "1h",
) -> Timeseries:
    """Lines over time with the thresholds drawn as dashed lines and a table legend."""
    panel = (
        Timeseries()
        .title(title)
        .description(description)
        .datasource(datasource)
        .unit(unit)
        .thresholds(thresholds)
        .thresholds_style(GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.DASHED))
        .legend(
            VizLegendOptions()
            .display_mode(LegendDisplayMode.TABLE)
            .placement(LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["mean", "min", "lastNotNull"])
        )
        .interval(min_interval)
        .span(size[0])
        .height(size[1])
    )
    for target in targets:
        panel = panel.with_target(target)
    return panel


def stat(
    title: str,
    description: str,
    targets: Targets,
    unit: str,
    thresholds: ThresholdsConfig,
    size: Size,
    datasource: DataSourceRef = INFLUXDB,
) -> Stat:
    """One big number per series, coloured by the thresholds."""
    panel = (
        Stat()
        .title(title)
        .description(description)
        .datasource(datasource)
        .unit(unit)
        .thresholds(thresholds)
        .color_mode(BigValueColorMode.BACKGROUND)
        .graph_mode(BigValueGraphMode.NONE)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .no_value("no data")
        .span(size[0])
        .height(size[1])
    )
    for target in targets:
        panel = panel.with_target(target)
    return panel


def bar_gauge(
    title: str,
    description: str,
    targets: Targets,
    unit: str,
    thresholds: ThresholdsConfig,
    size: Size,
    value_range: tuple[float, float] | None = None,
) -> BarGauge:
    """Horizontal bars, one per series, coloured by the thresholds."""
    panel = (
        BarGauge()
        .title(title)
        .description(description)
        .datasource(INFLUXDB)
        .unit(unit)
        .thresholds(thresholds)
        .display_mode(BarGaugeDisplayMode.BASIC)
        .orientation(VizOrientation.HORIZONTAL)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .no_value("no data")
        .span(size[0])
        .height(size[1])
    )
    for target in targets:
        panel = panel.with_target(target)
    if value_range is not None:
        panel = panel.min(value_range[0]).max(value_range[1])
    return panel


def table(
    title: str,
    description: str,
    targets: Targets,
    size: Size,
    sort_by: tuple[str, bool] | None = None,
    mappings: list[ValueMapping] | None = None,
    links: Sequence[DashboardLink] = (),
    merge: bool = False,
) -> Table:
    """Rows from InfluxQL queries in table format; ``merge`` joins several queries on
    their shared columns (an absent value then shows through ``mappings``)."""
    panel = (
        Table()
        .title(title)
        .description(description)
        .datasource(INFLUXDB)
        .no_value("no data")
        .span(size[0])
        .height(size[1])
    )
    for target in targets:
        panel = panel.with_target(target)
    if sort_by is not None:
        panel = panel.sort_by([TableSortByFieldState().display_name(sort_by[0]).desc(sort_by[1])])
    if mappings:
        panel = panel.mappings(mappings)
    if links:
        panel = panel.data_links(list(links))
    if merge:
        panel = panel.with_transformation(DataTransformerConfig(id_val="merge", options={}))
    return panel


def hide_time_column() -> DataTransformerConfig:
    """Drop the Time column of an aggregate-only table (it is the range start)."""
    return DataTransformerConfig(
        id_val="organize", options={"excludeByName": {"Time": True}, "renameByName": {}}
    )


def state_timeline(
    title: str, description: str, targets: Targets, thresholds: ThresholdsConfig, size: Size
) -> StateTimeline:
    """Coloured bands over time, one row per series."""
    panel = (
        StateTimeline()
        .title(title)
        .description(description)
        .datasource(INFLUXDB)
        .unit("none")
        .thresholds(thresholds)
        .show_value("auto")
        .interval("1h")
        .span(size[0])
        .height(size[1])
    )
    for target in targets:
        panel = panel.with_target(target)
    return panel


def text(title: str, markdown: str, size: Size) -> Text:
    """A short Markdown note: how to read the dashboard."""
    return (
        Text().title(title).mode(TextMode.MARKDOWN).content(markdown).span(size[0]).height(size[1])
    )


def place(dashboard: Dashboard, panels: Sequence[cogbuilder.Builder]) -> Dashboard:
    """Number the panels 1..n (ids annotation filters refer to) and add them in order."""
    for number, panel in enumerate(panels, start=1):
        dashboard = dashboard.with_panel(panel.id(number))
    return dashboard


def panel_ids(panels: Sequence[cogbuilder.Builder], kind: type) -> list[int]:
    """The ids ``place`` gives the panels of one kind, e.g. every ``Timeseries``."""
    return [number for number, panel in enumerate(panels, start=1) if isinstance(panel, kind)]


def coloured_column(thresholds: ThresholdsConfig, unit: str) -> list[DynamicConfigValue]:
    """Properties for ``panel.override_by_name``: a table column in its unit, its cell
    background coloured by the thresholds."""
    return [
        DynamicConfigValue(id_val="unit", value=unit),
        DynamicConfigValue(id_val="thresholds", value=thresholds.build()),
        DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-background"}),
    ]
