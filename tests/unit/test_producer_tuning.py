"""The collector's producer is configured for no loss: acks=all, idempotent, compressed, batched.

Reads nothing: kafka-python's KafkaProducer is replaced by a recorder of its keyword
arguments, so the test checks what the real producer would be built with.
"""

from __future__ import annotations

import pytest

from xlapulse.collectors.delivery import kafka_producer
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings


@pytest.fixture
def built(monkeypatch) -> list[dict]:
    """The keyword arguments of every KafkaProducer built while the test runs."""
    recorded: list[dict] = []
    monkeypatch.setattr(kafka_producer, "KafkaProducer", lambda **options: recorded.append(options))
    return recorded


def test_durable_and_batched_by_default(built) -> None:
    EventProducer(ProducerSettings(bootstrap_servers="127.0.0.1:1,127.0.0.1:2"))
    (options,) = built
    assert options["acks"] == "all"
    assert options["enable_idempotence"] is True
    assert options["compression_type"] in ("lz4", "zstd")
    assert options["linger_ms"] > 0
    assert options["batch_size"] == 64 * 1024
    assert options["bootstrap_servers"] == ["127.0.0.1:1", "127.0.0.1:2"]
    assert options["security_protocol"] == "PLAINTEXT"
    assert "sasl_plain_password" not in options


def test_sasl_over_tls_with_mutual_tls_options(built) -> None:
    settings = ProducerSettings(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-256",
        sasl_username="collector",
        sasl_password="s3cret",
        ssl_cafile="/etc/xlapulse/ca.pem",
        ssl_certfile="/etc/xlapulse/client.pem",
        ssl_keyfile="/etc/xlapulse/client.key",
    )
    EventProducer(settings)
    (options,) = built
    assert options["sasl_mechanism"] == "SCRAM-SHA-256"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "collector",
        "s3cret",
    )
    assert (options["ssl_cafile"], options["ssl_certfile"], options["ssl_keyfile"]) == (
        "/etc/xlapulse/ca.pem",
        "/etc/xlapulse/client.pem",
        "/etc/xlapulse/client.key",
    )
    assert options["acks"] == "all" and options["enable_idempotence"] is True
    assert "s3cret" not in repr(settings)
