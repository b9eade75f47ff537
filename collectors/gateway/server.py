"""Run the gateway: wire settings, key, producer and app, then serve until SIGTERM/SIGINT.

Reads :class:`GatewaySettings`; writes to Kafka through one :class:`GatewayProducer`.
The event loop is uvloop's. The gateway serves from the start, also while Kafka is
unreachable: the producer is built in the background (``connect.connect_when_reachable``)
and until then every POST answers 503 with ``Retry-After`` and ``/ready`` answers 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from functools import partial

from aiohttp import web

from xlapulse.collectors.delivery.kafka_security import login_refusal, security_settings
from xlapulse.collectors.gateway.app import Gateway, build_app
from xlapulse.collectors.gateway.connect import connect_when_reachable
from xlapulse.collectors.gateway.dedup import RecentIds
from xlapulse.collectors.gateway.delivery import AsyncDelivery
from xlapulse.collectors.gateway.metrics import GatewayMetrics
from xlapulse.collectors.gateway.producer import GatewayProducer, producer_settings
from xlapulse.collectors.gateway.settings import GatewaySettings
from xlapulse.collectors.privacy import Pseudonymizer

log = logging.getLogger(__name__)
CONNECT_PAUSE_S = 1.0
CLOSE_TIMEOUT_S = 10.0


def create_gateway(settings: GatewaySettings, producer: GatewayProducer | None = None) -> Gateway:
    """A gateway with the settings' key, limits and timeouts; without ``producer`` it answers
    503 until one is attached (``gateway.delivery.attach``)."""
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
    gateway = create_gateway(settings)  # fails on a missing key before serving anything
    refusal = login_refusal(settings)
    if refusal is not None:
        raise SystemExit(f"xlapulse gateway: {refusal}")
    app = build_app(gateway)
    connect = partial(
        GatewayProducer,
        producer_settings(
            settings.kafka_bootstrap, settings.gateway_kafka_linger_ms, security_settings(settings)
        ),
    )
    app.cleanup_ctx.append(partial(kafka_connection, gateway.delivery, connect, settings))
    log.info(
        "gateway on http://%s:%d, Kafka %s",
        settings.gateway_host,
        settings.gateway_port,
        settings.kafka_bootstrap,
    )
    loop = _event_loop()
    # What exists now (modules, schemas, the app, the loop) lives as long as the process:
    # move it out of the collector's reach, so a full collection walks only what serving
    # creates (before, each one took about 45 ms under load; README, Benchmark). Start-up
    # garbage is collected first, not frozen with it.
    gc.collect()
    gc.freeze()
    web.run_app(
        app,
        host=settings.gateway_host,
        port=settings.gateway_port,
        access_log=None,
        print=None,
        loop=loop,
    )


def _event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop (the gateway extra installs it everywhere but on Windows)."""
    try:
        import uvloop
    except ImportError:
        log.warning("uvloop is not installed: serving on the slower standard asyncio loop")
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


async def kafka_connection(
    delivery: AsyncDelivery,
    connect: partial[GatewayProducer],
    settings: GatewaySettings,
    _app: web.Application,
) -> AsyncIterator[None]:
    """aiohttp cleanup context: connect in the background; flush and close on shutdown."""
    connector = asyncio.create_task(
        connect_when_reachable(delivery, connect, settings.kafka_bootstrap, CONNECT_PAUSE_S)
    )
    connector.add_done_callback(_log_connect_failure)
    yield
    connector.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await connector
    if delivery.producer is not None:
        delivery.producer.close(timeout_s=CLOSE_TIMEOUT_S)


def _log_connect_failure(connector: asyncio.Task[None]) -> None:
    """A producer that cannot be built for a reason other than Kafka being unreachable
    (e.g. a bad setting) leaves the gateway answering 503: say why, loudly."""
    if not connector.cancelled() and connector.exception() is not None:
        log.error(
            "cannot build the Kafka producer; the gateway answers 503",
            exc_info=connector.exception(),
        )
