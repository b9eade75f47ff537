"""Dashboard "xlapulse / Pipeline health": the engine's and the gateway's own Prometheus
metrics (events by outcome, consumer lag, processing time, sink points and errors, dead
letters, state size) and, from InfluxDB, the last data per site.

Reads the metrics of ``streams/metrics.py`` and ``collectors/gateway/metrics.py``
(PromQL on a Prometheus data source) and ``experience_score`` (InfluxQL).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.builders.prometheus import Dataquery as PromQL
from grafana_foundation_sdk.models.dashboard import DynamicConfigValue

from xlapulse.dashboards.common import (
    PROMETHEUS,
    datasource_variable,
    navigation_links,
    prometheus_variable,
    steps,
    tag_variable,
    uid_of,
)
from xlapulse.dashboards.overview import last_seen_panel
from xlapulse.dashboards.panels import PanelBuilder, place, text, timeseries

UID = uid_of("pipeline")
RATE = "$__rate_interval"
HOW_TO_READ = (
    "**Pipeline health** of the xlapulse engine workers and the ITSM/survey gateway, from "
    "their Prometheus metrics. Healthy: events processed with outcome `ok`, lag near 0, "
    "p99 processing well under 50 ms, no sink errors, few dead letters. The Prometheus "
    "alert rules in `deploy/prometheus/` fire on the same signals."
)


def promql(expr: str, legend: str, ref_id: str = "A") -> PromQL:
    return PromQL().expr(expr).legend_format(legend).ref_id(ref_id).datasource(PROMETHEUS).range()


def _panel(
    title: str,
    description: str,
    queries: list[PromQL],
    unit: str,
    warn_bad: tuple[float, float] | None,
) -> PanelBuilder:
    """A PromQL time series; ``warn_bad``: the yellow and red levels, None where any
    value is fine (a rate of processed events)."""
    levels = (
        (None, "green"),
        *(() if warn_bad is None else ((warn_bad[0], "yellow"), (warn_bad[1], "red"))),
    )
    return timeseries(
        title,
        description,
        queries,
        unit,
        steps(*levels),
        (12, 8),
        datasource=PROMETHEUS,
        min_interval="15s",
    )


def panels() -> list[PanelBuilder]:
    return [
        text("How to read", HOW_TO_READ, (12, 8)),
        _panel(
            "Events processed by outcome",
            "Input records per second, by outcome (ok, held, duplicate, late, future, "
            "ignored, dead_letter).",
            [
                promql(
                    f"sum by (outcome) (rate(xlapulse_events_processed_total[{RATE}]))",
                    "{{outcome}}",
                )
            ],
            "reqps",
            None,
        ),
        _panel(
            "Consumer lag",
            "Records between the last processed offset and the high-water mark, per topic.",
            [promql("sum by (topic) (xlapulse_consumer_lag_records)", "{{topic}}")],
            "short",
            (1000, 10000),
        ),
        _panel(
            "Processing time per record (p50, p99)",
            "From the engine's histogram, per topic.",
            [
                promql(
                    "histogram_quantile(0.99, sum by (le, topic) "
                    f"(rate(xlapulse_processing_seconds_bucket[{RATE}])))",
                    "p99 {{topic}}",
                ),
                promql(
                    "histogram_quantile(0.5, sum by (le, topic) "
                    f"(rate(xlapulse_processing_seconds_bucket[{RATE}])))",
                    "p50 {{topic}}",
                    "B",
                ),
            ],
            "s",
            (0.025, 0.1),
        ),
        _panel(
            "InfluxDB sink: points written and failed writes",
            "Failed writes are retried with backoff; while they last, offsets are not committed.",
            [
                promql(f"sum(rate(xlapulse_sink_points_total[{RATE}]))", "points/s"),
                promql(f"sum(rate(xlapulse_sink_errors_total[{RATE}]))", "failed writes/s", "B"),
            ],
            "short",
            None,
        ).override_by_name("failed writes/s", [_red()]),
        _panel(
            "Dead letters",
            "Records sent to the dead-letter topic per second, by source topic.",
            [promql(f"sum by (topic) (rate(xlapulse_dead_letters_total[{RATE}]))", "{{topic}}")],
            "reqps",
            (0.1, 1),
        ),
        _panel(
            "State size",
            "Keys per state table on all workers, and keys expired per second.",
            [
                promql("sum by (table) (xlapulse_state_keys)", "{{table}}"),
                promql(
                    f"sum by (table) (rate(xlapulse_state_keys_expired_total[{RATE}]))",
                    "expired/s {{table}}",
                    "B",
                ),
            ],
            "short",
            None,
        ),
        _panel(
            "Gateway requests by outcome",
            "ITSM and survey webhooks per second, by source and outcome.",
            [
                promql(
                    f"sum by (source, outcome) (rate(xlapulse_gateway_requests_total[{RATE}]))",
                    "{{source}} {{outcome}}",
                )
            ],
            "reqps",
            None,
        ),
        _panel(
            "Gateway p99 latency and Kafka send errors",
            "Request to response including the Kafka acknowledgement; events Kafka did not "
            "acknowledge.",
            [
                promql(
                    "histogram_quantile(0.99, sum by (le) "
                    f"(rate(xlapulse_gateway_request_duration_seconds_bucket[{RATE}])))",
                    "p99",
                ),
                promql(
                    f"sum(rate(xlapulse_gateway_kafka_send_errors_total[{RATE}]))",
                    "send errors/s",
                    "B",
                ),
            ],
            "s",
            (0.05, 0.25),
        ),
        last_seen_panel(),
    ]


def _red() -> DynamicConfigValue:
    return DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": "red"})


def pipeline_dashboard() -> Dashboard:
    dashboard = (
        Dashboard("xlapulse / Pipeline health")
        .uid(UID)
        .description("The engine's and the gateway's own metrics, and data freshness per site.")
        .tags(["xlapulse", "generated"])
        .time("now-6h", "now")
        .timezone("browser")
        .refresh("30s")
        .links(navigation_links())
        .with_variable(prometheus_variable())
        .with_variable(datasource_variable())
        .with_variable(tag_variable("site", "Site"))
    )
    return place(dashboard, panels())
