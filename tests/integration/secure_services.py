"""Session fixtures for the security tests: a Kafka with TLS and SASL listeners, and an
InfluxDB with authentication, each in its own data directory beside the suite's servers.

Both are started with ``deploy/local/services`` and its opt-in variables: the Kafka on
ports 200 above the suite's ``KAFKA_PORT`` (PLAINTEXT, controller, SSL, SASL_SSL with
PLAIN and SCRAM-SHA-256/512; a throw-away CA made with openssl), the InfluxDB 1.8 on ports
200 above ``INFLUX_PORT`` with ``auth-enabled`` and an admin user. The contract's topics
are created on the secure Kafka by ``xlapulse topics`` over SASL_SSL. Registered in
conftest.py, so every test module shares them (each takes about 45 s to start).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVICES_SCRIPT = REPO / "deploy" / "local" / "services"
#: the SASL user of the secure Kafka (PLAIN and both SCRAM mechanisms)
SASL_USER, SASL_PASSWORD = "xlapulse-collector", "tls-test-secret"
#: the admin user of the InfluxDB with authentication
INFLUX_USER, INFLUX_PASSWORD = "xlapulse-admin", "influx-test-secret-7fd2"
PORT_OFFSET = 200
#: partitions of the contract's topics on the secure Kafka (the suite's count, conftest.py)
TOPIC_PARTITIONS = 3


@dataclass(frozen=True)
class SecureKafka:
    plaintext: str
    tls: str
    sasl_ssl: str
    ca_file: Path
    log_file: Path
    #: what ``xlapulse topics`` said when it created the topics over SASL_SSL
    topics_log: Path


@dataclass(frozen=True)
class SecureInflux:
    url: str
    username: str
    password: str
    log_file: Path


def _services_dir(suffix: str) -> str:
    base = os.environ.get("XLAPULSE_SERVICES_DIR", str(REPO / ".xlapulse" / "test-services"))
    return f"{base}-{suffix}"


@contextmanager
def _running(env: dict[str, str], service: str, what: str) -> Iterator[None]:
    """``service`` started in a fresh data directory, stopped on the way out."""
    subprocess.run([SERVICES_SCRIPT, "reset"], env=env, check=True)
    started = subprocess.run([SERVICES_SCRIPT, "start", service], env=env, check=False)
    try:
        if started.returncode != 0:
            pytest.fail(f"{what} did not start (exit {started.returncode})")
        yield
    finally:
        subprocess.run([SERVICES_SCRIPT, "stop", service], env=env, check=False)


@pytest.fixture(scope="session")
def secure_kafka() -> Iterator[SecureKafka]:
    base = int(os.environ.get("KAFKA_PORT", "19092")) + PORT_OFFSET
    services_dir = _services_dir("tls")
    env = {
        **os.environ,
        "XLAPULSE_SERVICES_DIR": services_dir,
        "KAFKA_PORT": str(base),
        "KAFKA_CONTROLLER_PORT": str(base + 1),
        "KAFKA_TLS_PORT": str(base + 2),
        "KAFKA_SASL_SSL_PORT": str(base + 3),
        "KAFKA_SASL_USER": SASL_USER,
        "KAFKA_SASL_PASSWORD": SASL_PASSWORD,
    }
    with _running(env, "kafka", "TLS Kafka"):
        kafka = SecureKafka(
            f"127.0.0.1:{base}",
            f"127.0.0.1:{base + 2}",
            f"127.0.0.1:{base + 3}",
            Path(services_dir) / "kafka" / "tls" / "ca.pem",
            Path(services_dir) / "kafka" / "kafka.log",
            Path(services_dir) / "topics.log",
        )
        create_topics_over_scram(kafka)
        yield kafka


def kafka_security_env(kafka: SecureKafka, mechanism: str, password: str) -> dict[str, str]:
    """Settings of a platform process that reaches ``kafka`` over SASL_SSL."""
    return {
        "XLAPULSE_KAFKA_BOOTSTRAP": kafka.sasl_ssl,
        "XLAPULSE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "XLAPULSE_KAFKA_SASL_MECHANISM": mechanism,
        "XLAPULSE_KAFKA_SASL_USERNAME": SASL_USER,
        "XLAPULSE_KAFKA_SASL_PASSWORD": password,
        "XLAPULSE_KAFKA_SSL_CA_FILE": str(kafka.ca_file),
        "XLAPULSE_TOPIC_PARTITIONS": str(TOPIC_PARTITIONS),
    }


def create_topics_over_scram(kafka: SecureKafka) -> None:
    """``xlapulse topics`` over SASL_SSL with SCRAM-SHA-512, before any test writes (a
    topic that a producer's first record creates gets the broker's 6 partitions)."""
    result = subprocess.run(
        [sys.executable, "-m", "xlapulse.collectors.cli", "topics"],
        env={**os.environ, **kafka_security_env(kafka, "SCRAM-SHA-512", SASL_PASSWORD)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    kafka.topics_log.write_text(result.stdout + result.stderr)
    if result.returncode != 0 or "created: xlapulse.telemetry.v1" not in result.stdout:
        pytest.fail(f"xlapulse topics over SASL_SSL failed:\n{result.stdout}{result.stderr}")


@pytest.fixture(scope="session")
def secure_influx() -> Iterator[SecureInflux]:
    port = int(os.environ.get("INFLUX_PORT", "18086")) + PORT_OFFSET
    services_dir = _services_dir("auth")
    env = {
        **os.environ,
        "XLAPULSE_SERVICES_DIR": services_dir,
        "INFLUX_PORT": str(port),
        "INFLUX_RPC_PORT": str(port + 2),
        "INFLUX_ADMIN_USER": INFLUX_USER,
        "INFLUX_ADMIN_PASSWORD": INFLUX_PASSWORD,
    }
    with _running(env, "influxdb", "InfluxDB with authentication"):
        yield SecureInflux(
            f"http://127.0.0.1:{port}",
            INFLUX_USER,
            INFLUX_PASSWORD,
            Path(services_dir) / "influxdb" / "influxd.log",
        )
