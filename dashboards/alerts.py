"""Grafana alert rules, the Alertmanager contact point and the notification policy, as a
file-provisioning document (``deploy/grafana/provisioning/alerting/xlapulse.yaml``).

Rules: an overall score below its XLA target for 30 minutes, a dip that opened, and the
pipeline unhealthy (the engine cannot write to InfluxDB, or falls behind). Each rule is
built with the SDK's alerting model (the provisioning API's shape) and placed in a
provisioning group; ``tests/unit/test_alert_rules.py`` validates both. The queries read
``experience_score`` and ``dip`` (InfluxQL) and the engine's Prometheus metrics.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from grafana_foundation_sdk.builders.alerting import Query, Rule
from grafana_foundation_sdk.builders.expr import TypeReduce, TypeThreshold
from grafana_foundation_sdk.builders.prometheus import Dataquery as PromQL
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.alerting import RelativeTimeRange
from grafana_foundation_sdk.models.dashboard import DataSourceRef
from grafana_foundation_sdk.models.expr import (
    ExprTypeThresholdConditions,
    ExprTypeThresholdConditionsEvaluator,
)

from xlapulse.dashboards.common import uid_of
from xlapulse.dashboards.influxql import InfluxQL

FOLDER = "xlapulse"
#: Data source uids of deploy/grafana/provisioning/datasources/xlapulse.yaml.
INFLUXDB_UID = "xlapulse-influxdb"
PROMETHEUS_UID = "xlapulse-prometheus"
CONTACT_POINT = "xlapulse-alertmanager"
#: deploy/local/services starts Alertmanager here.
ALERTMANAGER_URL = "http://127.0.0.1:9193"
#: Keys of the provisioning API's rule that the file format sets per group instead.
EXPRESSIONS = DataSourceRef(type_val="__expr__", uid="__expr__")
GROUP_LEVEL_KEYS = ("folderUID", "ruleGroup", "orgID")


def _data(ref_id: str, datasource_uid: str, model: Any, seconds: int) -> Query:
    return (
        Query(ref_id)
        .datasource_uid(datasource_uid)
        .relative_time_range(RelativeTimeRange(from_val=seconds, to=0))
        .model(model)
    )


def _condition(query_ref: str, op: str, value: float) -> list[Query]:
    """B = last value of ``query_ref`` per series; C = B <op> value (the condition)."""
    reduce = TypeReduce().ref_id("B").datasource(EXPRESSIONS).expression(query_ref).reducer("last")
    threshold = (
        TypeThreshold()
        .ref_id("C")
        .datasource(EXPRESSIONS)
        .expression("B")
        .conditions([_Conditions(op, value)])
    )
    return [_data("B", "__expr__", reduce, 0), _data("C", "__expr__", threshold, 0)]


class _Conditions:
    """Builder for one threshold condition (the SDK has the model, not its builder)."""

    def __init__(self, op: str, value: float) -> None:
        self._op, self._value = op, value

    def build(self) -> ExprTypeThresholdConditions:
        evaluator = ExprTypeThresholdConditionsEvaluator(params=[self._value], type_val=self._op)
        return ExprTypeThresholdConditions(evaluator=evaluator)


def _rule(
    uid: str,
    title: str,
    for_: str,
    queries: list[Query],
    labels: dict[str, str],
    annotations: dict[str, str],
    no_data: str,
) -> Rule:
    rule = (
        Rule(title)
        .uid(uid)
        .condition("C")
        .for_val(for_)
        .no_data_state(no_data)
        .exec_err_state("Error")
        .labels(labels)
        .annotations(annotations)
        .is_paused(False)
    )
    for query in queries:
        rule = rule.with_query(query)
    return rule


def score_below_target_rule() -> Rule:
    """Every score objective of the XLA file (overall, VPN, service desk...) per persona
    and site: its hourly compliance says whether the score met the persona's target."""
    query = (
        'SELECT last("met") AS "met", last("value") AS "score", last("target") AS "target" '
        'FROM "xla_compliance" WHERE "kind" = \'score_at_least\' AND "window" = \'1h\' '
        'AND $timeFilter GROUP BY time(1h), "persona", "site", "objective" fill(none)'
    )
    return _rule(
        "xlapulse-score-below-xla",
        "Experience score below its XLA target",
        "30m",
        [
            _data("A", INFLUXDB_UID, InfluxQL(query, _ref(INFLUXDB_UID, "influxdb")), 3 * 3600),
            *_condition("A", "lt", 1),
        ],
        {"severity": "warning", "source": "xlapulse-grafana"},
        {
            "summary": "{{ $labels.persona }} at {{ $labels.site }}: objective "
            "{{ $labels.objective }} not met for 30 min",
            "dashboard": f"/d/{uid_of('overview')}?var-persona={{{{ $labels.persona }}}}"
            "&var-site={{ $labels.site }}",
        },
        "OK",
    )


def open_dip_rule() -> Rule:
    query = (
        'SELECT count("dip_id") AS "dips" FROM "dip" WHERE "state" = \'opened\' '
        'AND $timeFilter GROUP BY "touch_point", "site", "persona", "severity"'
    )
    return _rule(
        "xlapulse-open-dip",
        "Journey dip opened",
        "0s",
        [
            _data("A", INFLUXDB_UID, InfluxQL(query, _ref(INFLUXDB_UID, "influxdb")), 900),
            *_condition("A", "gt", 0),
        ],
        {"source": "xlapulse-grafana"},
        {
            "summary": "{{ $labels.touch_point }} dip at {{ $labels.site }} for "
            "{{ $labels.persona }} ({{ $labels.severity }})",
            "dashboard": f"/d/{uid_of('dips')}",
        },
        "OK",
    )


def pipeline_rules() -> list[Rule]:
    checks = (
        (
            "xlapulse-sink-failing",
            "Engine cannot write to InfluxDB",
            "sum(rate(xlapulse_sink_errors_total[5m]))",
            "5m",
            0,
            "Failed InfluxDB writes for 5 minutes: scores are delayed (nothing is lost).",
        ),
        (
            "xlapulse-falling-behind",
            "Engine falls behind its input",
            "max(xlapulse_consumer_lag_records)",
            "10m",
            10_000,
            "Over 10,000 records of lag on a partition for 10 minutes.",
        ),
    )
    rules = []
    for uid, title, expr, for_, threshold, summary in checks:
        model = PromQL().expr(expr).ref_id("A").datasource(_ref(PROMETHEUS_UID, "prometheus"))
        rules.append(
            _rule(
                uid,
                title,
                for_,
                [_data("A", PROMETHEUS_UID, model, 600), *_condition("A", "gt", threshold)],
                {"severity": "critical", "source": "xlapulse-grafana"},
                {"summary": summary, "dashboard": f"/d/{uid_of('pipeline')}"},
                "OK",
            )
        )
    return rules


def _ref(uid: str, type_: str) -> DataSourceRef:
    return DataSourceRef(type_val=type_, uid=uid)


def _as_json(value: Any) -> Any:
    return json.loads(JSONEncoder(sort_keys=True).encode(value))


def provisioning_rule(rule: Rule) -> dict[str, Any]:
    """A rule as the file format wants it: the API shape without its group-level keys."""
    document = _as_json(rule.build())
    for key in GROUP_LEVEL_KEYS:
        document.pop(key, None)
    return document


def alerting_document() -> dict[str, Any]:
    groups = (
        ("xlapulse-experience", "1m", [score_below_target_rule(), open_dip_rule()]),
        ("xlapulse-pipeline", "1m", pipeline_rules()),
    )
    return {
        "apiVersion": 1,
        "groups": [
            {
                "orgId": 1,
                "name": name,
                "folder": FOLDER,
                "interval": interval,
                "rules": [provisioning_rule(rule) for rule in rules],
            }
            for name, interval, rules in groups
        ],
        "contactPoints": [
            {
                "orgId": 1,
                "name": CONTACT_POINT,
                "receivers": [
                    {
                        "uid": CONTACT_POINT,
                        "type": "prometheus-alertmanager",
                        "settings": {"url": ALERTMANAGER_URL},
                        "disableResolveMessage": False,
                    }
                ],
            }
        ],
        "policies": [
            {
                "orgId": 1,
                "receiver": CONTACT_POINT,
                "group_by": ["alertname", "persona", "site", "touch_point"],
                "group_wait": "30s",
                "group_interval": "5m",
                "repeat_interval": "4h",
            }
        ],
    }


def render_alerting() -> str:
    """The provisioning YAML, deterministic (sorted keys)."""
    header = (
        "# Grafana alerting provisioning for xlapulse. Generated by "
        "`xlapulse dashboards alert-rules`; do not edit.\n"
    )
    return header + yaml.safe_dump(
        alerting_document(), sort_keys=True, allow_unicode=True, width=1000
    )
