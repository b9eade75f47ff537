"""The platform on secured servers: the worker and the gateway reach Kafka over SASL_SSL,
the worker writes to an InfluxDB with authentication, wrong credentials end a process at
once with the reason, and no secret reaches a log or a /metrics page.

Servers: the session's ``secure_kafka`` (SASL_SSL with SCRAM and PLAIN, a throw-away CA)
and ``secure_influx`` (InfluxDB 1.8 with ``auth-enabled`` and an admin user), both from
``secure_services.py``. The worker writes with InfluxDB 1.8's v2-compatible token
``username:password`` (``streams/sink/influx.py``). Processes run as in production:
``xlapulse worker``, ``xlapulse gateway``, ``xlapulse topics`` and ``xlapulse collector
check`` in subprocesses, each with its output in a file.

The last test greps every file those processes wrote, the two servers' logs and every
/metrics page the tests read for each secret used here; run the module whole.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.shared_helpers import free_port, run_collector, wait_until
from xlapulse.collectors.contract.events import EventBase
from xlapulse.collectors.contract.topics import TICKETS_TOPIC
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings
from xlapulse.collectors.gateway.auth import sign_hex
from xlapulse.streams.worker import CRASH_VISIBLE_S

from .gateway_process import GatewayProcess
from .helpers import WorkerProcess, engine_env, five_logons, influxql
from .secure_services import (
    SASL_PASSWORD,
    SASL_USER,
    TOPIC_PARTITIONS,
    SecureInflux,
    SecureKafka,
    kafka_security_env,
)
from .test_gateway_kafka import jira_resolved, read_topic

pytestmark = pytest.mark.integration

PSEUDONYM_KEY = "secure-platform-pseudonym-key-5c1e"
JIRA_SECRET = "secure-platform-jira-secret-90ab"
WRONG_KAFKA_PASSWORD = "wrong-kafka-password-3e77"
WRONG_INFLUX_PASSWORD = "wrong-influx-password-c4d1"
#: a refused login must end a process this fast (one login of at most 5 s, plus start-up)
REFUSAL_EXIT_S = 20.0


@dataclass
class Evidence:
    """What the tests' processes wrote and the /metrics pages they served."""

    files: list[Path] = field(default_factory=list)
    pages: dict[str, str] = field(default_factory=dict)

    def scrape(self, name: str, port: int) -> None:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            self.pages[name] = response.read().decode()


@pytest.fixture(scope="module")
def evidence(secure_kafka: SecureKafka) -> Evidence:
    """Starts with what ``xlapulse topics`` said when it created the topics over SCRAM."""
    return Evidence(files=[secure_kafka.topics_log])


def run_cli(
    command: str, env: dict[str, str], log: Path, timeout_s: float = 60
) -> tuple[int, float, str]:
    """``xlapulse <command>`` to its end: exit code, seconds taken, output (also in ``log``)."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "xlapulse.collectors.cli", command],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    output = result.stdout + result.stderr
    log.write_text(output)
    return result.returncode, time.monotonic() - started, output


def failed_logins(kafka: SecureKafka) -> int:
    """How many TLS or SASL logins the broker refused so far (its Selector logs each)."""
    return kafka.log_file.read_text(errors="replace").count("Failed authentication with")


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def send_over_scram(kafka: SecureKafka, events: list[EventBase]) -> None:
    producer = EventProducer(
        ProducerSettings(
            bootstrap_servers=kafka.sasl_ssl,
            security_protocol="SASL_SSL",
            sasl_mechanism="SCRAM-SHA-256",
            sasl_username=SASL_USER,
            sasl_password=SASL_PASSWORD,
            ssl_cafile=str(kafka.ca_file),
        )
    )
    try:
        assert producer.send_all(events) == len(events)
    finally:
        producer.close()


@dataclass
class SecureWorker:
    process: WorkerProcess
    metrics_port: int
    database: str


def secure_worker(
    kafka: SecureKafka,
    influx: SecureInflux,
    tmp_path: Path,
    kafka_password: str = SASL_PASSWORD,
    influx_password: str = WRONG_INFLUX_PASSWORD,
) -> SecureWorker:
    run_id = uuid.uuid4().hex[:10]
    env, port, database = engine_env(kafka.sasl_ssl, influx.url, run_id, tmp_path, TOPIC_PARTITIONS)
    env.update(kafka_security_env(kafka, "SCRAM-SHA-512", kafka_password))
    env.update(XLAPULSE_INFLUX_USERNAME=influx.username, XLAPULSE_INFLUX_PASSWORD=influx_password)
    return SecureWorker(WorkerProcess(env, tmp_path / f"worker-{run_id}.log"), port, database)


def test_worker_scores_over_scram_and_writes_with_influx_credentials(
    secure_kafka: SecureKafka,
    secure_influx: SecureInflux,
    evidence: Evidence,
    tmp_path: Path,
) -> None:
    worker = secure_worker(
        secure_kafka, secure_influx, tmp_path, influx_password=secure_influx.password
    )
    evidence.files.append(worker.process.log_path)
    site = f"site-{uuid.uuid4().hex[:8]}"
    worker.process.start()
    try:
        wait_until(lambda: ready(worker.metrics_port), 90, "the worker to be ready over SASL_SSL")
        send_over_scram(secure_kafka, five_logons(datetime.now(UTC) - timedelta(minutes=5), site))
        query = (
            'SELECT "samples" FROM "experience_score" WHERE "touch_point" = \'logon\' '
            f"AND \"window\" = '1h' AND \"site\" = '{site}'"
        )
        credentials = (secure_influx.username, secure_influx.password)
        written = wait_until(
            lambda: influxql(secure_influx.url, worker.database, query, credentials),
            90,
            "the worker's scores in the InfluxDB with authentication",
        )
        assert sum(value for series in written for _, value in series["values"]) == 5
        with pytest.raises(urllib.error.HTTPError) as anonymous:
            influxql(secure_influx.url, worker.database, query)
        assert anonymous.value.code == 401  # authentication is really on
        evidence.scrape("worker", worker.metrics_port)
    finally:
        exit_code = worker.process.stop()
    assert exit_code == 0, worker.process.log_tail()
    log = worker.process.log_path.read_text()
    assert "Authenticated as xlapulse-collector via SCRAM-SHA-512" in log


def test_gateway_delivers_a_ticket_over_sasl_plain(
    secure_kafka: SecureKafka, evidence: Evidence, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **kafka_security_env(secure_kafka, "PLAIN", SASL_PASSWORD),
        "XLAPULSE_PSEUDONYM_KEY": PSEUDONYM_KEY,
        "XLAPULSE_GATEWAY_PORT": str(port),
        "XLAPULSE_GATEWAY_JIRA_SECRET": JIRA_SECRET,
    }
    gateway = GatewayProcess(env, tmp_path / "gateway.log", port)
    evidence.files.append(gateway.log_path)
    try:
        wait_until(lambda: gateway.status("/ready") == 200, 60, "the gateway to be ready")
        body = jira_resolved(f"IT-{uuid.uuid4().hex[:8]}")
        status, _headers, result = gateway.post(
            "/v1/webhooks/jira", body, {"X-Hub-Signature": sign_hex(JIRA_SECRET, body)}
        )
        assert status == 200 and result["stored"] == 2, result
        ticket_id = result["event_ids"][0]
        (record,) = read_topic(secure_kafka.plaintext, TICKETS_TOPIC, {ticket_id})
        assert json.loads(record.value)["event_id"] == ticket_id
        evidence.scrape("gateway", port)
    finally:
        gateway.stop()


@pytest.mark.parametrize("command", ["worker", "gateway", "topics"])
def test_a_wrong_kafka_password_ends_the_process_at_once_with_one_login(
    command: str,
    secure_kafka: SecureKafka,
    secure_influx: SecureInflux,
    evidence: Evidence,
    tmp_path: Path,
) -> None:
    env = kafka_security_env(secure_kafka, "SCRAM-SHA-512", WRONG_KAFKA_PASSWORD)
    env.update(
        XLAPULSE_PSEUDONYM_KEY=PSEUDONYM_KEY,
        XLAPULSE_METRICS_PORT="0",
        XLAPULSE_GATEWAY_PORT=str(free_port()),
        XLAPULSE_ENGINE_DATA_DIR=str(tmp_path / "engine"),
    )
    before = failed_logins(secure_kafka)
    log = tmp_path / f"{command}.log"
    evidence.files.append(log)
    code, seconds, output = run_cli(command, env, log)
    assert code == 1, output
    assert seconds < REFUSAL_EXIT_S, f"took {seconds:.1f} s"
    last = output.strip().splitlines()[-1]
    assert last.startswith(f"xlapulse {command}: Kafka at {secure_kafka.sasl_ssl} (SASL_SSL, ")
    assert "as 'xlapulse-collector'" in last
    assert "check XLAPULSE_KAFKA_SASL_USERNAME, _PASSWORD and _MECHANISM" in last
    assert len(output.strip().splitlines()) == 1, output  # the reason, nothing else
    time.sleep(0.5)  # the broker's log line follows its answer
    assert failed_logins(secure_kafka) - before == 1, "one refused login, no retry storm"


def test_a_wrong_influx_password_ends_the_worker_with_the_reason(
    secure_kafka: SecureKafka,
    secure_influx: SecureInflux,
    evidence: Evidence,
    tmp_path: Path,
) -> None:
    worker = secure_worker(secure_kafka, secure_influx, tmp_path)
    evidence.files.append(worker.process.log_path)
    worker.process.start()
    try:
        wait_until(lambda: ready(worker.metrics_port), 90, "the worker to be ready")
        send_over_scram(
            secure_kafka,
            five_logons(datetime.now(UTC) - timedelta(minutes=5), f"site-{uuid.uuid4().hex[:8]}"),
        )
        evidence.scrape("worker refused by InfluxDB", worker.metrics_port)
        process = worker.process._process
        assert process is not None
        wait_until(lambda: process.poll() is not None, 60 + CRASH_VISIBLE_S, "the worker to exit")
    finally:
        worker.process.stop()
    assert process.returncode == 1
    log = worker.process.log_path.read_text()
    assert (
        f"InfluxDB at {secure_influx.url} refused CREATE DATABASE: 401" in log
        or f"InfluxDB at {secure_influx.url} refused to let xlapulse-admin write" in log
    ), worker.process.log_tail()
    assert "InfluxDB write failed" not in log, "a refused password is not retried"


def test_collector_check_over_scram(secure_kafka: SecureKafka, evidence: Evidence, tmp_path: Path):
    config = tmp_path / "collector.toml"
    disabled = "\n".join(
        f"[sources.{name}]\nenabled = false"
        for name in ("systemd_boot", "journald", "cups_error_log", "synthetic_probe")
    )
    config.write_text(
        f'[kafka]\nbootstrap_servers = "{secure_kafka.sasl_ssl}"\nsecurity_protocol = '
        f'"SASL_SSL"\nsasl_mechanism = "SCRAM-SHA-256"\nsasl_username = "{SASL_USER}"\n'
        f'sasl_password = "{SASL_PASSWORD}"\nssl_ca_file = "{secure_kafka.ca_file}"\n'
        f'[spool]\ndirectory = "{tmp_path}"\n{disabled}\n'
    )
    result = run_collector(
        "check", "--config", str(config), pseudonym_key=PSEUDONYM_KEY, timeout_s=120
    )
    log = tmp_path / "collector-check.log"
    log.write_text(result.stdout + result.stderr)
    evidence.files.append(log)
    assert result.returncode == 0, result.stdout + result.stderr


SECRETS = (
    SASL_PASSWORD,
    WRONG_KAFKA_PASSWORD,
    WRONG_INFLUX_PASSWORD,
    PSEUDONYM_KEY,
    JIRA_SECRET,
)


def test_no_secret_in_any_log_or_metrics_page(
    secure_kafka: SecureKafka, secure_influx: SecureInflux, evidence: Evidence
) -> None:
    """Every file the processes above wrote, both servers' logs, every /metrics page."""
    assert len(evidence.files) >= 7 and len(evidence.pages) >= 3, (
        "run the whole module: this test reads what the others produced"
    )
    texts = {str(path): path.read_text(errors="replace") for path in evidence.files}
    texts[str(secure_kafka.log_file)] = secure_kafka.log_file.read_text(errors="replace")
    texts[str(secure_influx.log_file)] = secure_influx.log_file.read_text(errors="replace")
    texts.update({f"/metrics of the {name}": page for name, page in evidence.pages.items()})
    secrets = (*SECRETS, secure_influx.password)
    leaks = [
        f"{name} contains secret #{number}"
        for name, text in texts.items()
        for number, secret in enumerate(secrets)
        if secret in text
    ]
    assert not leaks, leaks
