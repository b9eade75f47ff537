"""The engine worker's Kafka credentials (Faust ``broker_credentials``) from its settings.

Reads: ``XLAPULSE_KAFKA_SECURITY_PROTOCOL``, ``_SASL_MECHANISM``, ``_SASL_USERNAME``,
``_SASL_PASSWORD`` and ``_SSL_CA_FILE`` (:class:`XlapulseSettings`, validated there).
Writes: nothing. Faust hands the credentials to every aiokafka client it makes: the
consumer, the producer and the topic creation of its internal topics and changelogs.
The password stays out of the credentials' repr (Faust's ``SASLCredentials`` shows the
user name only).
"""

from __future__ import annotations

import ssl

import faust
from faust.types.auth import CredentialsT

from xlapulse.collectors.settings import XlapulseSettings


def broker_credentials(settings: XlapulseSettings) -> CredentialsT | None:
    """TLS and SASL credentials for Faust; None for PLAINTEXT."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = tls_context(settings) if protocol in ("SSL", "SASL_SSL") else None
    if protocol == "SSL":
        return faust.SSLCredentials(context)
    return faust.SASLCredentials(
        username=settings.kafka_sasl_username,
        password=settings.kafka_sasl_password.get_secret_value(),
        mechanism=settings.kafka_sasl_mechanism,
        ssl_context=context,
    )


def tls_context(settings: XlapulseSettings) -> ssl.SSLContext:
    """A client context that checks the brokers' certificate and host name against the
    CA file (the system's CAs when none is set)."""
    return ssl.create_default_context(
        ssl.Purpose.SERVER_AUTH, cafile=settings.kafka_ssl_ca_file or None
    )
