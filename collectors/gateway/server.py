"""Run the gateway: wire settings, key, producer and app, then serve until SIGTERM/SIGINT.

Reads :class:`GatewaySettings`; writes to Kafka through one :class:`GatewayProducer`.
"""

from __future__ import annotations

import logging

from aiohttp import web

from xlapulse.collectors.gateway.app import Gateway, build_app
from xlapulse.collectors.gateway.dedup import RecentIds
from xlapulse.collectors.gateway.delivery import AsyncDelivery, GatewayProducer, producer_settings
from xlapulse.collectors.gateway.metrics import GatewayMetrics
from xlapulse.collectors.gateway.settings import GatewaySettings
from xlapulse.collectors.privacy import Pseudonymizer

log = logging.getLogger(__name__)


def create_gateway(settings: GatewaySettings, producer: GatewayProducer) -> Gateway:
    """A gateway around ``producer`` with the settings' key, limits and timeouts."""
    metrics = GatewayMetrics()
    delivery = AsyncDelivery(
        producer,
        metrics,
        RecentIds(settings.gateway_dedup_capacity),
        ack_timeout_s=settings.gateway_ack_timeout_s,
        retry_after_s=settings.gateway_retry_after_s,
    )
    pseudonymizer = Pseudonymizer(settings.pseudonym_key.get_secret_value().encode())
    return Gateway(settings, pseudonymizer, delivery, metrics)


def run_gateway(settings: GatewaySettings) -> None:
    """Serve on ``gateway_host:gateway_port`` until interrupted; flush Kafka on the way out."""
    Pseudonymizer(settings.pseudonym_key.get_secret_value().encode())  # fail before connecting
    producer = GatewayProducer(
        producer_settings(settings.kafka_bootstrap, settings.gateway_kafka_linger_ms)
    )
    app = build_app(create_gateway(settings, producer))

    async def close_producer(_app: web.Application) -> None:
        producer.close(timeout_s=10)

    app.on_cleanup.append(close_producer)
    log.info(
        "gateway on http://%s:%d, Kafka %s",
        settings.gateway_host,
        settings.gateway_port,
        settings.kafka_bootstrap,
    )
    web.run_app(
        app,
        host=settings.gateway_host,
        port=settings.gateway_port,
        access_log=None,
        print=None,
    )
