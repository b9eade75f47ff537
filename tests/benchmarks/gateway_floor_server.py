"""The floor under the gateway: aiohttp + uvloop + kafka-python and nothing else.

A stand-in for ``xlapulse gateway`` in ``gateway_load.py --server floor``: each POST's body
is written as one record, keyed by its user as the gateway keys its events, through the
gateway's own producer (``EventProducer`` with ``producer.producer_settings``: ``acks=all``,
idempotence, lz4, 64 KiB batches, 5 ms linger, the remembered-key partitioner, the C
CRC-32C) to a benchmark topic and answered ``{}`` once Kafka acknowledged it; no
authentication, parsing, contract event, de-duplication or metrics beyond the one counter
the benchmark reads. What the named libraries cost on this
machine, so the gateway's figures can be read against it.

Reads ``XLAPULSE_KAFKA_BOOTSTRAP`` and ``XLAPULSE_GATEWAY_PORT``; writes records to
``xlapulse.benchmark-floor.v1`` (created by the broker on first use) and serves
``/ready`` and ``/metrics`` (``xlapulse_gateway_events_total``).
"""

from __future__ import annotations

import argparse
import asyncio
import os

import uvloop
from aiohttp import web

from xlapulse.collectors.delivery.kafka_producer import EventProducer
from xlapulse.collectors.gateway.producer import producer_settings
from xlapulse.collectors.gateway.settings import GatewaySettings

TOPIC = "xlapulse.benchmark-floor.v1"
DEFAULT_LINGER_MS = GatewaySettings.model_fields["gateway_kafka_linger_ms"].default


def user_key(body: bytes) -> bytes:
    """The generator's ``"user"`` value, found without parsing: the gateway keys records by
    user, so the records spread over the partitions as the gateway's do."""
    start = body.find(b'"user":"') + len(b'"user":"')
    return body[start : body.find(b'"', start)]


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()  # settings: env
    bootstrap = os.environ["XLAPULSE_KAFKA_BOOTSTRAP"]
    producer = EventProducer(producer_settings(bootstrap, DEFAULT_LINGER_MS))
    producer.partitions_for(TOPIC)  # metadata before serving
    acknowledged = 0

    async def webhook(request: web.Request) -> web.Response:
        nonlocal acknowledged
        body = await request.read()
        loop = asyncio.get_running_loop()
        stored: asyncio.Future[None] = loop.create_future()
        future = producer.send_record(TOPIC, user_key(body), body, [])
        future.add_callback(lambda _metadata: loop.call_soon_threadsafe(stored.set_result, None))
        future.add_errback(lambda error: loop.call_soon_threadsafe(stored.set_exception, error))
        await stored
        acknowledged += 1
        return web.json_response({})

    async def ready(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ready"})

    async def metrics(_request: web.Request) -> web.Response:
        line = f'xlapulse_gateway_events_total{{topic="{TOPIC}"}} {acknowledged}\n'
        return web.Response(text=line)

    app = web.Application()
    app.router.add_post("/v1/webhooks/generic", webhook)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", metrics)
    port = int(os.environ["XLAPULSE_GATEWAY_PORT"])
    loop = uvloop.new_event_loop()
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, loop=loop)
    producer.close()


if __name__ == "__main__":
    main()
