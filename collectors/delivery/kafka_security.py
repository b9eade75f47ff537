"""TLS and SASL for the platform's Kafka clients, and a login check before they start.

Reads: the ``XLAPULSE_KAFKA_*`` security settings (:class:`XlapulseSettings`) and, for
:func:`login_refusal`, one connection to the brokers. Writes: nothing.

The gateway and ``xlapulse topics`` (kafka-python) take :func:`security_settings`; the
engine worker (Faust, aiokafka) takes ``streams/kafka_auth.py``'s credentials, built
from the same settings.

Why a check before start: a broker that refuses the certificate or the login looks to
both client libraries like a broker that is down. kafka-python and aiokafka log the
reason and retry (the gateway would answer 503 for ever, the worker would reconnect in a
loop) instead of saying it once. :func:`login_refusal` connects once, with the real
client, and turns a refusal into one line with the broker's reason; the process then
exits with it. A broker that does not answer at all is not a refusal: the process starts
and waits for it, as it does without TLS.
"""

from __future__ import annotations

import logging
import socket

from kafka.errors import KafkaError
from kafka.producer import KafkaProducer

from xlapulse.collectors.delivery.kafka_producer import ProducerSettings
from xlapulse.collectors.settings import XlapulseSettings

log = logging.getLogger(__name__)

#: how long the one login attempt may take (TCP, TLS handshake, SASL exchange, metadata)
LOGIN_TIMEOUT_S = 5.0
PROBE_TIMEOUT_S = 1.0
CHECK_SASL = "check XLAPULSE_KAFKA_SASL_USERNAME, _PASSWORD and _MECHANISM"


def security_settings(settings: XlapulseSettings) -> dict[str, object]:
    """Keyword arguments of :class:`ProducerSettings` for the settings' TLS and SASL."""
    return {
        "security_protocol": settings.kafka_security_protocol,
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_username": settings.kafka_sasl_username or None,
        "sasl_password": settings.kafka_sasl_password.get_secret_value(),
        "ssl_cafile": settings.kafka_ssl_ca_file or None,
    }


def kafka_python_security(settings: XlapulseSettings) -> dict[str, object]:
    """kafka-python client keyword arguments (admin client, consumer) for TLS and SASL:
    the producer's own (:meth:`ProducerSettings.security_options`)."""
    return ProducerSettings(**security_settings(settings)).security_options()


class _ClientLog(logging.Handler):
    """kafka-python's warning and error lines during the login attempt."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def first(self, *words: str) -> str | None:
        return next((m for m in self.messages if any(w in m for w in words)), None)


def login_refusal(settings: XlapulseSettings, timeout_s: float = LOGIN_TIMEOUT_S) -> str | None:
    """Why the brokers refuse this client's TLS or SASL, in one line; None when they
    accept it, when the protocol is PLAINTEXT (nothing to check), or when no broker
    accepts a TCP connection (Kafka down: the caller waits for it as usual).

    One connection attempt (the reconnect backoff is longer than the attempt), so a wrong
    password costs the broker one failed login, not a storm of them.
    """
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    if not any(_accepts_tcp(server) for server in settings.kafka_bootstrap.split(",")):
        return None
    client_log = _ClientLog()
    kafka_log = logging.getLogger("kafka")
    saved = kafka_log.level, kafka_log.propagate
    kafka_log.setLevel(logging.WARNING)
    kafka_log.propagate = False  # the verdict is one line; the client's lines are not repeated
    kafka_log.addHandler(client_log)
    try:
        producer = KafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap.split(","),
            client_id="xlapulse-login-check",
            bootstrap_timeout_ms=int(timeout_s * 1000),
            reconnect_backoff_ms=int(timeout_s * 2000),
            reconnect_backoff_max_ms=int(timeout_s * 2000),
            **kafka_python_security(settings),
        )
    except KafkaError as error:
        return _verdict(settings, client_log, error)
    finally:
        kafka_log.removeHandler(client_log)
        kafka_log.setLevel(saved[0])
        kafka_log.propagate = saved[1]
    producer.close(timeout=5)
    return None


def _verdict(settings: XlapulseSettings, client_log: _ClientLog, error: KafkaError) -> str:
    where = f"Kafka at {settings.kafka_bootstrap} ({settings.kafka_security_protocol}"
    who = ""
    if settings.kafka_security_protocol.startswith("SASL_"):
        where += f", {settings.kafka_sasl_mechanism}"
        who = f" as {settings.kafka_sasl_username!r}"
    where += ")"
    sasl = client_log.first("SaslAuthenticationFailedError: ")
    if sasl is not None:
        reason = sasl.rsplit("SaslAuthenticationFailedError: ", 1)[-1].split(" (backoff")[0]
        reason = reason.removesuffix(")") if "Abort (" in sasl else reason
        return f"{where} refused the login{who}: {reason[:300]} ({CHECK_SASL})"
    tls = client_log.first("Handshake failed: ")
    if tls is not None:
        reason = tls.split("Handshake failed: ", 1)[1].split(" (_ssl.c")[0]
        return (
            f"{where}: the TLS handshake failed: {reason[:300]} (check "
            "XLAPULSE_KAFKA_SSL_CA_FILE, and that this listener speaks TLS)"
        )
    if settings.kafka_security_protocol.startswith("SASL_") and client_log.first("disconnected"):
        # kafka-python 3.0.12 often reads the broker's close before its SASL answer
        return (
            f"{where} closed the connection during the login{who}: most likely a wrong "
            f"user name or password ({CHECK_SASL})"
        )
    last = client_log.messages[-1] if client_log.messages else repr(error)
    return f"{where} accepts connections but did not answer this client: {last[:300]}"


def _accepts_tcp(server: str) -> bool:
    host, _, port = server.strip().rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=PROBE_TIMEOUT_S):
            return True
    except (OSError, ValueError):
        return False
