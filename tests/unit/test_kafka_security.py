"""The platform's Kafka TLS and SASL settings: validation, what each client library gets,
and the one-line verdict of a refused login.

The real brokers are in tests/integration/test_secure_platform.py; the verdict tests here
feed :func:`_verdict` kafka-python 3.0.12's own log lines, captured from
``login_refusal`` against deploy/local/services' SASL_SSL and SSL listeners (Kafka 4.1.1)
on 2026-12-06, with the connection ports shortened.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from faust.auth import SASLCredentials, SSLCredentials
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from kafka.errors import KafkaTimeoutError
from pydantic import ValidationError

from tests.shared_helpers import free_port
from xlapulse.collectors.delivery.kafka_producer import ProducerSettings
from xlapulse.collectors.delivery.kafka_security import (
    _ClientLog,
    _verdict,
    kafka_python_security,
    login_refusal,
    security_settings,
)
from xlapulse.collectors.gateway.producer import producer_settings
from xlapulse.collectors.settings import XlapulseSettings
from xlapulse.streams.kafka_auth import broker_credentials

SECRET = "not-in-any-repr-0451"


def sasl_settings(tmp_path: Path, **overrides: object) -> XlapulseSettings:
    ca = tmp_path / "ca.pem"
    ca.write_text("")
    values: dict[str, object] = {
        "kafka_bootstrap": "127.0.0.1:1",
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_mechanism": "SCRAM-SHA-256",
        "kafka_sasl_username": "engine",
        "kafka_sasl_password": SECRET,
        "kafka_ssl_ca_file": str(ca),
    }
    return XlapulseSettings(**{**values, **overrides})  # type: ignore[arg-type]


def test_the_environment_names_the_settings(monkeypatch, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("")
    monkeypatch.setenv("XLAPULSE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("XLAPULSE_KAFKA_SASL_MECHANISM", "PLAIN")
    monkeypatch.setenv("XLAPULSE_KAFKA_SASL_USERNAME", "engine")
    monkeypatch.setenv("XLAPULSE_KAFKA_SASL_PASSWORD", SECRET)
    monkeypatch.setenv("XLAPULSE_KAFKA_SSL_CA_FILE", str(ca))
    settings = XlapulseSettings()
    assert settings.kafka_sasl_mechanism == "PLAIN"
    assert settings.kafka_sasl_password.get_secret_value() == SECRET
    assert SECRET not in repr(settings)


def test_sasl_without_a_password_is_refused_at_start(tmp_path):
    with pytest.raises(ValidationError, match="needs XLAPULSE_KAFKA_SASL_USERNAME"):
        sasl_settings(tmp_path, kafka_sasl_password="")


def test_an_unreadable_ca_file_is_refused_with_its_name(tmp_path):
    missing = tmp_path / "nowhere" / "ca.pem"
    with pytest.raises(ValidationError, match=f"cannot read {missing}: No such file"):
        sasl_settings(tmp_path, kafka_ssl_ca_file=str(missing))


def test_an_unknown_mechanism_is_refused(tmp_path):
    with pytest.raises(ValidationError, match="kafka_sasl_mechanism"):
        sasl_settings(tmp_path, kafka_sasl_mechanism="GSSAPI")


def test_plaintext_gives_faust_no_credentials():
    assert broker_credentials(XlapulseSettings()) is None


def test_sasl_ssl_gives_faust_sasl_over_a_verifying_tls_context(tmp_path):
    settings = sasl_settings(tmp_path, kafka_ssl_ca_file="")
    credentials = broker_credentials(settings)
    assert isinstance(credentials, SASLCredentials)
    assert SECRET not in repr(credentials)
    options = credentials_to_aiokafka_auth(credentials)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-256"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("engine", SECRET)
    context = options["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_sasl_plaintext_gives_faust_sasl_without_tls(tmp_path):
    settings = sasl_settings(tmp_path, kafka_security_protocol="SASL_PLAINTEXT")
    options = credentials_to_aiokafka_auth(broker_credentials(settings))
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert options["ssl_context"] is None


def test_ssl_gives_faust_tls_only():
    credentials = broker_credentials(XlapulseSettings(kafka_security_protocol="SSL"))
    assert isinstance(credentials, SSLCredentials)
    assert credentials_to_aiokafka_auth(credentials)["security_protocol"] == "SSL"


def test_the_gateway_producer_gets_the_same_security(tmp_path):
    settings = sasl_settings(tmp_path)
    producer = producer_settings("127.0.0.1:1", 5, security_settings(settings))
    assert producer.security_options() == {
        "security_protocol": "SASL_SSL",
        "ssl_cafile": str(tmp_path / "ca.pem"),
        "ssl_certfile": None,
        "ssl_keyfile": None,
        "ssl_check_hostname": True,
        "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": "engine",
        "sasl_plain_password": SECRET,
    }
    assert SECRET not in repr(producer)
    assert ProducerSettings().security_options() == {"security_protocol": "PLAINTEXT"}


def test_the_admin_client_gets_the_same_security(tmp_path):
    options = kafka_python_security(sasl_settings(tmp_path))
    assert options["sasl_plain_password"] == SECRET
    assert options["ssl_cafile"] == str(tmp_path / "ca.pem")
    assert kafka_python_security(XlapulseSettings()) == {"security_protocol": "PLAINTEXT"}


def test_plaintext_and_an_unreachable_broker_are_no_refusal(tmp_path):
    assert login_refusal(XlapulseSettings(kafka_bootstrap=f"127.0.0.1:{free_port()}")) is None
    closed = sasl_settings(tmp_path, kafka_bootstrap=f"127.0.0.1:{free_port()}")
    assert login_refusal(closed) is None  # Kafka down: the process starts and waits


def verdict(settings: XlapulseSettings, *lines: str) -> str:
    client_log = _ClientLog()
    client_log.messages.extend(lines)
    return _verdict(settings, client_log, KafkaTimeoutError("Unable to bootstrap"))


def test_a_refused_login_names_the_brokers_reason(tmp_path):
    line = verdict(
        sasl_settings(tmp_path, kafka_sasl_mechanism="PLAIN"),
        "<KafkaSSLTransport [127.0.0.1:1<-2]>: Abort ([Error 58] SaslAuthenticationFailedError: "
        "SaslAuthenticationFailedError: Authentication failed: Invalid username or password)",
    )
    assert line == (
        "Kafka at 127.0.0.1:1 (SASL_SSL, PLAIN) refused the login as 'engine': Authentication "
        "failed: Invalid username or password (check XLAPULSE_KAFKA_SASL_USERNAME, _PASSWORD "
        "and _MECHANISM)"
    )


def test_a_disconnect_during_the_login_says_the_likely_cause(tmp_path):
    line = verdict(
        sasl_settings(tmp_path),
        "<KafkaSSLTransport [127.0.0.1:1<-2]>: socket disconnected",
        "Bootstrap connection to bootstrap-0 failed: KafkaConnectionError: socket disconnected "
        "(backoff 5.19 secs)",
    )
    assert "closed the connection during the login as 'engine'" in line
    assert "most likely a wrong user name or password" in line


def test_an_untrusted_certificate_names_the_ca_setting():
    line = verdict(
        XlapulseSettings(kafka_bootstrap="127.0.0.1:1", kafka_security_protocol="SSL"),
        "Connection failed: KafkaConnectionError: Handshake failed: [SSL: "
        "CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in "
        "certificate chain (_ssl.c:1006)",
    )
    assert line == (
        "Kafka at 127.0.0.1:1 (SSL): the TLS handshake failed: [SSL: CERTIFICATE_VERIFY_FAILED] "
        "certificate verify failed: self-signed certificate in certificate chain (check "
        "XLAPULSE_KAFKA_SSL_CA_FILE, and that this listener speaks TLS)"
    )
