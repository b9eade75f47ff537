"""The Prometheus rules of deploy/prometheus/ and every PromQL query of the dashboards
and Grafana alert rules, checked and evaluated by promtool (Prometheus 3 / v0.316.0).

promtool is built by ``deploy/local/services tool promtool`` (cached); a missing Go
toolchain fails the test. ``promtool test rules`` evaluates the rules on the series of
the committed unit-test file. The dashboards' PromQL runs there too: each query
becomes an alert ``count(<query>) > 0`` over series shaped like the metrics of
streams/metrics.py and collectors/gateway/metrics.py, expected to fire, so every panel
returns data on a pipeline that reports those metrics.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from xlapulse.dashboards.alerts import alerting_document
from xlapulse.dashboards.main import render_dashboards

REPO = Path(__file__).resolve().parents[2]
RULES_DIR = REPO / "deploy" / "prometheus"
RULES = RULES_DIR / "xlapulse-pipeline.rules.yml"
RULE_TESTS = RULES_DIR / "xlapulse-pipeline.rules.test.yml"
#: Grafana's $__rate_interval is at least 4 scrape intervals; 5m at a 15 s scrape.
RATE_INTERVAL = "5m"
ENGINE = 'job="xlapulse-engine", instance="w1"'
GATEWAY = 'job="xlapulse-gateway", instance="g1"'
#: A pipeline that reports every metric: (series, promtool values over 10 minutes).
METRIC_SERIES = [
    (f'xlapulse_events_processed_total{{{ENGINE}, topic="t", outcome="ok"}}', "0+600x10"),
    (f'xlapulse_dead_letters_total{{{ENGINE}, topic="t"}}', "0+1x10"),
    (f'xlapulse_consumer_lag_records{{{ENGINE}, topic="t", partition="0"}}', "7x10"),
    *(
        (f'xlapulse_processing_seconds_bucket{{{ENGINE}, topic="t", le="{le}"}}', values)
        for le, values in (("0.001", "0+500x10"), ("0.01", "0+600x10"), ("+Inf", "0+600x10"))
    ),
    (f"xlapulse_sink_points_total{{{ENGINE}}}", "0+100x10"),
    (f"xlapulse_sink_errors_total{{{ENGINE}}}", "0+1x10"),
    (f'xlapulse_state_keys{{{ENGINE}, table="user-state"}}', "300x10"),
    (f'xlapulse_state_keys_expired_total{{{ENGINE}, table="user-state"}}', "0+2x10"),
    (f'xlapulse_gateway_requests_total{{{GATEWAY}, source="jira", outcome="accepted"}}', "0+60x10"),
    *(
        (
            "xlapulse_gateway_request_duration_seconds_bucket"
            f'{{{GATEWAY}, source="jira", le="{le}"}}',
            values,
        )
        for le, values in (("0.02", "0+55x10"), ("0.05", "0+60x10"), ("+Inf", "0+60x10"))
    ),
    (f'xlapulse_gateway_kafka_send_errors_total{{{GATEWAY}, topic="t"}}', "0+1x10"),
]


@pytest.fixture(scope="module")
def promtool() -> Path:
    built = subprocess.run(
        [REPO / "deploy" / "local" / "services", "tool", "promtool"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, f"building promtool failed:\n{built.stderr[-2000:]}"
    return Path(built.stdout.strip())


def _run(promtool: Path, *args: str | Path, cwd: Path = RULES_DIR) -> str:
    result = subprocess.run([promtool, *args], capture_output=True, text=True, cwd=cwd, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_pipeline_rules_are_valid_and_pass_their_unit_tests(promtool: Path) -> None:
    assert "SUCCESS: 10 rules found" in _run(promtool, "check", "rules", RULES)
    assert "SUCCESS" in _run(promtool, "test", "rules", RULE_TESTS)


def test_every_alert_is_tested_firing_and_silent() -> None:
    alerts = {
        rule["alert"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
    }
    cases = [
        case
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test["alert_rule_test"]
    ]
    fired = {case["alertname"] for case in cases if case["exp_alerts"]}
    silent = {case["alertname"] for case in cases if not case["exp_alerts"]}
    assert fired == alerts, f"never tested firing: {alerts - fired}"
    assert silent == alerts, f"never tested silent: {alerts - silent}"


def _dashboard_promql() -> list[str]:
    return [
        target["expr"].replace("$__rate_interval", RATE_INTERVAL)
        for text in render_dashboards().values()
        for panel in json.loads(text)["panels"]
        for target in panel.get("targets", [])
        if target["datasource"]["type"] == "prometheus"
    ]


def _grafana_rule_promql() -> list[str]:
    return [
        query["model"]["expr"]
        for group in alerting_document()["groups"]
        for rule in group["rules"]
        for query in rule["data"]
        if query["datasourceUid"] == "xlapulse-prometheus"
    ]


def test_every_dashboard_and_grafana_rule_query_returns_series(
    promtool: Path, tmp_path: Path
) -> None:
    queries = _dashboard_promql() + _grafana_rule_promql()
    assert len(queries) >= 12
    rules = {
        "groups": [
            {
                "name": "queries",
                "rules": [
                    {"alert": f"Query{n}", "expr": f"count({query}) > 0"}
                    for n, query in enumerate(queries)
                ],
            }
        ]
    }
    tests = {
        "rule_files": ["queries.rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": series, "values": values} for series, values in METRIC_SERIES
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "10m",
                        "alertname": f"Query{n}",
                        "exp_alerts": [{"exp_labels": {}}],
                    }
                    for n in range(len(queries))
                ],
            }
        ],
    }
    (tmp_path / "queries.rules.yml").write_text(yaml.safe_dump(rules))
    (tmp_path / "queries.test.yml").write_text(yaml.safe_dump(tests))
    _run(promtool, "check", "rules", "queries.rules.yml", cwd=tmp_path)
    assert "SUCCESS" in _run(promtool, "test", "rules", "queries.test.yml", cwd=tmp_path)
