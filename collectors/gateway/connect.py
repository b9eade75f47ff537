"""Attach the gateway's producer once Kafka is reachable, and probe it for readiness.

Reads: whether a bootstrap server accepts a TCP connection (every ``pause_s`` until one
does). Writes: nothing to Kafka; builds the :class:`GatewayProducer` in a worker thread
and attaches it to the :class:`AsyncDelivery`, which answers 503 until then.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from kafka.errors import KafkaError

from xlapulse.collectors.gateway.delivery import AsyncDelivery
from xlapulse.collectors.gateway.producer import GatewayProducer

log = logging.getLogger(__name__)
PROBE_TIMEOUT_S = 1.0  # a TCP connection to a bootstrap server, before building a producer


async def connect_when_reachable(
    delivery: AsyncDelivery,
    connect: Callable[[], GatewayProducer],
    bootstrap: str,
    pause_s: float,
) -> None:
    """Build the producer (in a worker thread) once Kafka answers, then attach it.

    A TCP connection to a bootstrap server is tried every ``pause_s`` first: kafka-python's
    constructor would otherwise wait up to 30 s per attempt, with back-off growing to
    tens of seconds, which delays both recovery and shutdown.
    """
    loop = asyncio.get_running_loop()
    said_unreachable = False
    while True:
        if await bootstrap_reachable(bootstrap, PROBE_TIMEOUT_S):
            try:
                producer = await loop.run_in_executor(None, connect)
            except KafkaError as error:
                log.warning("Kafka at %s did not bootstrap (%s)", bootstrap, type(error).__name__)
            else:
                delivery.attach(producer)
                log.info("connected to Kafka at %s", bootstrap)
                return
        elif not said_unreachable:
            log.warning("Kafka at %s not reachable; answering 503 until it is", bootstrap)
            said_unreachable = True
        await asyncio.sleep(pause_s)


async def bootstrap_reachable(bootstrap: str, timeout_s: float) -> bool:
    """Whether one of the comma-separated ``host:port`` servers accepts a TCP connection."""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            _reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, int(port)), timeout_s
            )
        except (OSError, TimeoutError):
            continue
        writer.close()
        return True
    return False
