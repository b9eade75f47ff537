"""The collector's Kafka connection over TLS and SASL_SSL (PLAIN, SCRAM) against a real broker.

The Kafka with TLS and SASL listeners is the session's ``secure_kafka``
(``secure_services.py``: ``deploy/local/services`` with the opt-in ``KAFKA_TLS_PORT`` and
``KAFKA_SASL_SSL_PORT`` listeners, a throw-away CA made with openssl, in its own data
directory on ports 200 above the suite's ``KAFKA_PORT``).
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kafka import KafkaConsumer

from tests.integration.secure_services import SASL_PASSWORD, SASL_USER
from tests.shared_helpers import run_collector
from xlapulse.collectors.contract.events import LogonEvent
from xlapulse.collectors.contract.topics import TELEMETRY_TOPIC
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings
from xlapulse.collectors.privacy import Pseudonymizer

pytestmark = pytest.mark.integration

KEY = "integration-test-key-0123456789"


def logon(number: int) -> LogonEvent:
    pseudonyms = Pseudonymizer(KEY.encode())
    return LogonEvent(
        event_time=datetime(2026, 11, 20, 8, number, tzinfo=UTC),
        user_id=pseudonyms.user(f"user-{number}"),
        device_id=pseudonyms.device("pc-1"),
        logon_duration_ms=20_000 + number,
    )


@pytest.mark.parametrize(
    ("protocol", "mechanism"),
    [
        ("SSL", None),
        ("SASL_SSL", "PLAIN"),
        ("SASL_SSL", "SCRAM-SHA-256"),
        ("SASL_SSL", "SCRAM-SHA-512"),
    ],
)
def test_events_delivered_over_tls_and_sasl(secure_kafka, protocol, mechanism):
    settings = ProducerSettings(
        bootstrap_servers=secure_kafka.tls if protocol == "SSL" else secure_kafka.sasl_ssl,
        security_protocol=protocol,
        sasl_mechanism=mechanism,
        sasl_username=SASL_USER,
        sasl_password=SASL_PASSWORD,
        ssl_cafile=str(secure_kafka.ca_file),
    )
    marker = {"SSL": 1, "PLAIN": 2, "SCRAM-SHA-256": 3, "SCRAM-SHA-512": 4}[mechanism or protocol]
    producer = EventProducer(settings)
    try:
        assert producer.send_all([logon(marker)]) == 1
    finally:
        producer.close()
    consumer = KafkaConsumer(
        TELEMETRY_TOPIC,
        bootstrap_servers=secure_kafka.plaintext,
        auto_offset_reset="earliest",
        group_id=None,
        consumer_timeout_ms=5000,
    )
    durations = {json.loads(m.value)["logon_duration_ms"] for m in consumer}
    consumer.close()
    assert 20_000 + marker in durations


def run_check(tmp_path: Path, kafka_table: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "collector.toml"
    disabled = "\n".join(
        f"[sources.{name}]\nenabled = false"
        for name in ("systemd_boot", "journald", "cups_error_log", "synthetic_probe")
    )
    config.write_text(f'[kafka]\n{kafka_table}\n[spool]\ndirectory = "{tmp_path}"\n{disabled}\n')
    return run_collector("check", "--config", str(config), pseudonym_key=KEY, timeout_s=120)


def test_check_passes_with_scram_over_tls(secure_kafka, tmp_path):
    result = run_check(
        tmp_path,
        f'bootstrap_servers = "{secure_kafka.sasl_ssl}"\nsecurity_protocol = "SASL_SSL"\n'
        f'sasl_mechanism = "SCRAM-SHA-512"\nsasl_username = "{SASL_USER}"\n'
        f'sasl_password = "{SASL_PASSWORD}"\nssl_ca_file = "{secure_kafka.ca_file}"',
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"kafka {secure_kafka.sasl_ssl}: ok" in result.stdout


def test_check_names_a_wrong_password_and_hides_it(secure_kafka, tmp_path):
    result = run_check(
        tmp_path,
        f'bootstrap_servers = "{secure_kafka.sasl_ssl}"\nsecurity_protocol = "SASL_SSL"\n'
        f'sasl_mechanism = "SCRAM-SHA-512"\nsasl_username = "{SASL_USER}"\n'
        f'sasl_password = "not-the-password"\nssl_ca_file = "{secure_kafka.ca_file}"',
    )
    assert result.returncode == 69
    assert "FAILED" in result.stdout
    # kafka-python reads the broker's refusal, or (a race, seen in CI) only the disconnect
    # that follows it; either way the answer must name the likely cause
    assert (
        "Authentication failed" in result.stdout
        or "a wrong user name or password also ends in a disconnect" in result.stdout
    ), result.stdout
    assert "not-the-password" not in result.stdout + result.stderr
