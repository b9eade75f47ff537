"""helm/xlapulse: helm lint and template over the ci/ matrix, offline Kubernetes schemas,
and the renderings that matter (no secret values, replicas <= partitions, sidecar labels).

Reads the chart, dashboards/generated/*.json and the settings classes; runs helm 4.3.2
(built and cached by ``deploy/local/services tool helm``), kubernetes-validate's schemas
(1.25, the chart's kubeVersion floor, and the newest it ships) and promtool for the
alert rules. Writes only pytest's temporary directories.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from xlapulse.collectors.delivery.topics_admin import ALL_TOPICS
from xlapulse.collectors.gateway.settings import GatewaySettings
from xlapulse.streams.scoring.xla import load_xla_file
from xlapulse.streams.settings import EngineSettings

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "xlapulse"
SERVICES = REPO / "deploy" / "local" / "services"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
KUBERNETES_VERSIONS = ("1.25.0", kubernetes_validate.utils.latest_version())
CRD_KINDS = {"KafkaTopic", "ServiceMonitor", "PrometheusRule"}
#: A variable the chart sets that no settings class reads: the image's health check URL
#: (deploy/container/healthcheck.py reads it).
NOT_SETTINGS = {"XLAPULSE_HEALTHCHECK_URL"}


def tool(name: str) -> str:
    result = subprocess.run([SERVICES, "tool", name], capture_output=True, text=True, check=True)
    return result.stdout.strip()


@pytest.fixture(scope="module")
def helm() -> str:
    return tool("helm")


def helm_template(helm: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [helm, "template", "rel", str(CHART), "--namespace", "xla", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def render(helm: str, *args: str) -> list[dict[str, Any]]:
    result = helm_template(helm, *args)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def rendered(helm: str) -> dict[str, list[dict[str, Any]]]:
    return {path.name: render(helm, "-f", str(path)) for path in CI_VALUES}


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def containers(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for doc in docs:
        spec = doc.get("spec", {})
        pod = spec.get("template", {}).get("spec", spec)
        found.extend(pod.get("containers", []))
    return found


def test_the_ci_matrix_is_complete() -> None:
    names = {path.name for path in CI_VALUES}
    assert names == {
        "minimal-values.yaml",
        "tls-sasl-values.yaml",
        "servicemonitor-values.yaml",
        "strimzi-values.yaml",
    }


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda path: path.name)
def test_helm_lint_strict(helm: str, values: Path) -> None:
    result = subprocess.run(
        [helm, "lint", "--strict", str(CHART), "-f", str(values)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_every_manifest_validates_against_the_kubernetes_schemas(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    checked = set()
    for name, docs in rendered.items():
        for doc in docs:
            if doc["kind"] in CRD_KINDS:
                continue
            for version in KUBERNETES_VERSIONS:
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                except kubernetes_validate.ValidationError as error:
                    pytest.fail(f"{name}: {doc['kind']} {doc['metadata']['name']}: {error}")
            checked.add(doc["kind"])
    assert checked >= {
        "StatefulSet", "Service", "PodDisruptionBudget", "Deployment", "Ingress",
        "HorizontalPodAutoscaler", "Job", "ConfigMap", "ServiceAccount", "Pod",
    }  # fmt: skip


def test_the_schemas_do_reject_a_broken_manifest(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    statefulset = by_kind(rendered["minimal-values.yaml"], "StatefulSet")[0]
    broken = json.loads(json.dumps(statefulset))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] = []
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)


def test_crd_resources(rendered: dict[str, list[dict[str, Any]]]) -> None:
    topics = by_kind(rendered["strimzi-values.yaml"], "KafkaTopic")
    assert sorted(topic["spec"]["topicName"] for topic in topics) == sorted(ALL_TOPICS)
    for topic in topics:
        assert topic["apiVersion"] == "kafka.strimzi.io/v1beta2"
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "my-cluster"
        assert (topic["spec"]["partitions"], topic["spec"]["replicas"]) == (12, 3)
    jobs = [job["metadata"]["name"] for job in by_kind(rendered["strimzi-values.yaml"], "Job")]
    assert jobs == ["rel-xlapulse-influxdb-init"]  # Strimzi makes the topics, no Job
    monitored = rendered["servicemonitor-values.yaml"]
    services = {svc["metadata"]["name"]: svc for svc in by_kind(monitored, "Service")}
    for monitor in by_kind(monitored, "ServiceMonitor"):
        target = [
            svc
            for svc in services.values()
            if svc["spec"]["selector"] == monitor["spec"]["selector"]["matchLabels"]
        ]
        assert target, monitor["metadata"]["name"]
        ports = {port["name"] for port in target[0]["spec"]["ports"]}
        assert monitor["spec"]["endpoints"][0]["port"] in ports
    (rule,) = by_kind(monitored, "PrometheusRule")
    assert rule["spec"] == yaml.safe_load((CHART / "files" / "prometheus-rules.yaml").read_text())


def test_topics_job_runs_xlapulse_topics_with_the_partition_count(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    (job,) = [
        j
        for j in by_kind(rendered["minimal-values.yaml"], "Job")
        if "topics" in j["metadata"]["name"]
    ]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["topics"]
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["XLAPULSE_TOPIC_PARTITIONS"] == "6"
    assert "pre-upgrade" in job["metadata"]["annotations"]["helm.sh/hook"]


def test_no_secret_value_in_any_manifest(rendered: dict[str, list[dict[str, Any]]]) -> None:
    secret_names = {
        "xlapulse-gateway", "xlapulse-kafka-user", "xlapulse-kafka-ca", "xlapulse-influxdb",
        "xlapulse-influxdb2", "xlapulse-gateway-tls",
    }  # fmt: skip
    secretish = re.compile(r"PASSWORD|TOKEN|SECRET|PSEUDONYM_KEY")
    for name, docs in rendered.items():
        assert not by_kind(docs, "Secret"), name
        for container in containers(docs):
            for item in container.get("env", []):
                if secretish.search(item["name"]):
                    assert "value" not in item, f"{name}: {item['name']} has a literal value"
                    assert item["valueFrom"]["secretKeyRef"]["name"] in secret_names
        text = yaml.safe_dump_all(docs)
        assert "image-test-key" not in text and "xlapulse-dev-secret" not in text


def test_a_missing_gateway_secret_is_refused(helm: str) -> None:
    result = helm_template(helm)
    assert result.returncode != 0
    assert "gateway.existingSecret is required" in result.stderr


def test_a_secret_value_in_values_is_refused(helm: str) -> None:
    result = helm_template(helm, "--set", "gateway.existingSecret=s", "--set", "gateway.token=x")
    assert result.returncode != 0 and "additional properties 'token'" in result.stderr


def test_replicas_above_partitions_are_refused(helm: str) -> None:
    over = helm_template(helm, "--set", "gateway.existingSecret=s", "--set", "engine.replicas=7")
    assert over.returncode != 0
    assert "engine.replicas (7) must not exceed kafka.topics.partitions (6)" in over.stderr
    equal = render(helm, "--set", "gateway.existingSecret=s", "--set", "engine.replicas=6")
    assert by_kind(equal, "StatefulSet")[0]["spec"]["replicas"] == 6


def test_engine_statefulset(rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered["strimzi-values.yaml"]
    (statefulset,) = by_kind(docs, "StatefulSet")
    pod = statefulset["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["XLAPULSE_ENGINE_STORE"] == "rocksdb://"
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "metrics"}
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert str(ports["metrics"]) == env["XLAPULSE_METRICS_PORT"]
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == env["XLAPULSE_METRICS_PORT"]
    claim = statefulset["spec"]["volumeClaimTemplates"][0]
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    assert mounts[claim["metadata"]["name"]] == "/var/lib/xlapulse"
    assert env["XLAPULSE_ENGINE_DATA_DIR"].startswith("/var/lib/xlapulse/")
    assert pod["spec"]["securityContext"]["runAsUser"] == 10001
    (pdb,) = [p for p in by_kind(docs, "PodDisruptionBudget") if "engine" in p["metadata"]["name"]]
    assert pdb["spec"]["selector"]["matchLabels"] == statefulset["spec"]["selector"]["matchLabels"]
    (headless,) = [
        s
        for s in by_kind(docs, "Service")
        if s["metadata"]["name"] == statefulset["spec"]["serviceName"]
    ]
    assert headless["spec"]["clusterIP"] == "None"


def test_the_xla_file_value_reaches_the_worker_as_a_loadable_file(
    rendered: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    (config,) = [
        c
        for c in by_kind(rendered["strimzi-values.yaml"], "ConfigMap")
        if c["metadata"]["name"].endswith("-xla")
    ]
    path = tmp_path / "xla.yaml"
    path.write_text(config["data"]["xla.yaml"])
    assert load_xla_file(path).version == "2026.12-ci"


def test_alerting_values_reach_the_engine(rendered: dict[str, list[dict[str, Any]]]) -> None:
    (statefulset,) = by_kind(rendered["servicemonitor-values.yaml"], "StatefulSet")
    env = {e["name"]: e.get("value") for e in containers([statefulset])[0]["env"]}
    assert env["XLAPULSE_ALERTMANAGER_URL"] == "http://alertmanager-operated.monitoring:9093"
    assert env["XLAPULSE_DASHBOARD_URL"].startswith("https://grafana.example.com/")


def test_every_chart_setting_is_read_by_a_settings_class(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    known = {
        f"XLAPULSE_{name.upper()}"
        for settings in (GatewaySettings, EngineSettings)
        for name in settings.model_fields
    }
    for docs in rendered.values():
        for container in containers(docs):
            for item in container.get("env", []):
                name = item["name"]
                if name.startswith("XLAPULSE_"):
                    assert name in known | NOT_SETTINGS, name


def test_dashboards_and_data_source_for_the_grafana_sidecar(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    docs = rendered["minimal-values.yaml"]
    maps = by_kind(docs, "ConfigMap")
    dashboards = {
        key: json.loads(value)
        for config in maps
        if config["metadata"]["labels"].get("grafana_dashboard") == "1"
        for key, value in config["data"].items()
    }
    generated = {
        p.name: json.loads(p.read_text())
        for p in (REPO / "dashboards" / "generated").glob("*.json")
    }
    assert generated and dashboards == generated
    for config in maps:
        if "grafana_dashboard" in config["metadata"]["labels"]:
            assert config["metadata"]["annotations"]["grafana_folder"] == "xlapulse"
    (source,) = [c for c in maps if c["metadata"]["labels"].get("grafana_datasource") == "1"]
    provisioning = yaml.safe_load(next(iter(source["data"].values())))
    (datasource,) = provisioning["datasources"]
    assert (datasource["uid"], datasource["type"]) == ("xlapulse-influxdb", "influxdb")
    for name, dashboard in generated.items():  # each picks its source by type
        variables = dashboard["templating"]["list"]
        sources = [v["query"] for v in variables if v["type"] == "datasource"]
        # the pipeline-health dashboard reads the engine's own Prometheus metrics; the
        # Prometheus data source is the cluster's (kube-prometheus), not the chart's
        expected = ["prometheus", "influxdb"] if name == "xlapulse-pipeline.json" else ["influxdb"]
        assert sources == expected, name


def alerting_provisioning(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (config,) = [
        c for c in by_kind(docs, "ConfigMap") if c["metadata"]["labels"].get("grafana_alert") == "1"
    ]
    return yaml.safe_load(config["data"]["xlapulse-alerting.yaml"])


def test_alert_rules_for_the_grafana_sidecar_point_at_the_chart_alertmanager(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    generated = yaml.safe_load(
        (REPO / "deploy/grafana/provisioning/alerting/xlapulse.yaml").read_text()
    )
    with_alertmanager = alerting_provisioning(rendered["servicemonitor-values.yaml"])
    assert with_alertmanager["groups"] == generated["groups"], "the rules, unchanged"
    assert with_alertmanager["policies"] == generated["policies"]
    (contact,) = with_alertmanager["contactPoints"]
    urls = {receiver["settings"]["url"] for receiver in contact["receivers"]}
    assert urls == {"http://alertmanager-operated.monitoring:9093"}, "the value, not 127.0.0.1"
    rules_only = alerting_provisioning(rendered["minimal-values.yaml"])
    assert set(rules_only) == {"apiVersion", "groups"}, "no Alertmanager: Grafana's own policy"


def test_influxdb_init_job_runs_the_packaged_script(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    docs = rendered["strimzi-values.yaml"]
    (config,) = [
        c for c in by_kind(docs, "ConfigMap") if c["metadata"]["name"].endswith("influxdb-init")
    ]
    assert config["data"]["influxdb_init.py"] == (CHART / "files" / "influxdb_init.py").read_text()
    (job,) = [j for j in by_kind(docs, "Job") if "influxdb" in j["metadata"]["name"]]
    env = {e["name"]: e.get("value") for e in containers([job])[0]["env"]}
    assert (env["INFLUX_VERSION"], env["INFLUX_ORG"]) == ("2", "xlapulse")


def _value_lines() -> list[tuple[int, int, str, bool]]:
    """(line number, indent, key, commented) of every key line of values.yaml."""
    lines = (CHART / "values.yaml").read_text().splitlines()
    found = []
    for number, line in enumerate(lines, start=1):
        match = re.match(r"^( *)([A-Za-z][\w.-]*):", line)
        if match:
            previous = lines[number - 2].strip() if number > 1 else ""
            found.append((number, len(match.group(1)), match.group(2), previous.startswith("#")))
    return found


def test_every_value_is_commented() -> None:
    keys = _value_lines()
    exempt_below: int | None = None  # keys inside a commented free-form value
    for index, (number, indent, key, commented) in enumerate(keys):
        if exempt_below is not None and indent > exempt_below:
            continue
        exempt_below = indent if commented else None
        is_section = index + 1 < len(keys) and keys[index + 1][1] > indent
        assert commented or is_section, f"values.yaml:{number}: {key} has no comment"


NO_PARTITIONS_DESCRIPTION = (
    "The consumer group has not assigned this worker any input partition for 10 minutes: "
    "more replicas than partitions, or the worker cannot join the group."
)


def test_prometheus_rules_check_and_fire(tmp_path: Path) -> None:
    promtool = tool("promtool")
    rules = CHART / "files" / "prometheus-rules.yaml"
    check = subprocess.run(
        [promtool, "check", "rules", str(rules)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    cases = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": 'xlapulse_assigned_partitions{instance="w0"}', "values": "0x20"},
                    {"series": 'xlapulse_assigned_partitions{instance="w1"}', "values": "3x20"},
                    {"series": 'xlapulse_sink_errors_total{instance="w1"}', "values": "0+1x30"},
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "15m",
                        "alertname": "XlapulseWorkerWithoutPartitions",
                        "exp_alerts": [{
                            "exp_labels": {"severity": "warning", "instance": "w0"},
                            "exp_annotations": {
                                "summary": "Engine worker w0 has no input partitions",
                                "description": NO_PARTITIONS_DESCRIPTION,
                            },
                        }],
                    },
                    {"eval_time": "5m", "alertname": "XlapulseInfluxWritesFailing",
                     "exp_alerts": []},
                ],
            }
        ],
    }  # fmt: skip
    test_file = tmp_path / "rules-test.yaml"
    test_file.write_text(yaml.safe_dump(cases))
    result = subprocess.run(
        [promtool, "test", "rules", str(test_file)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
