"""Asynchronous InfluxDB writer with retry and backpressure (influxdb-client).

Writes: points to ``<database>/<retention policy>`` through ``/api/v2/write``,
which InfluxDB 1.8 serves for influxdb-client. A failed write is retried with
capped exponential backoff *until it succeeds*; the calling agent waits, so the
source offsets are not committed and nothing is dropped while InfluxDB is down.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import aiohttp
from influxdb_client import Point
from influxdb_client.client.influxdb_client_async import InfluxDBClientAsync
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from xlapulse.collectors.settings import XlapulseSettings
from xlapulse.streams import metrics

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 30.0


class InfluxSink:
    """Writes batches of points; ``start`` creates the database if it is missing."""

    def __init__(self, settings: XlapulseSettings) -> None:
        self._settings = settings
        self._bucket = f"{settings.influx_database}/{settings.influx_retention_policy}"
        password = settings.influx_password.get_secret_value()
        token = f"{settings.influx_username}:{password}" if settings.influx_username else ""
        self._client: InfluxDBClientAsync | None = None
        self._token = token

    async def start(self) -> None:
        """Create the database (retrying until InfluxDB answers) and open the client."""
        await self._retry(self._create_database)
        self._client = InfluxDBClientAsync(
            url=self._settings.influx_url, token=self._token, org="-"
        )

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def write(self, points: Sequence[Point]) -> None:
        """Write the batch, retrying until InfluxDB accepted it."""
        if not points:
            return
        if self._client is None:
            await self.start()
        await self._retry(self._write_once, points)
        metrics.SINK_POINTS.inc(len(points))

    async def _write_once(self, points: Sequence[Point]) -> None:
        assert self._client is not None
        # Each point carries its own (nanosecond) precision, which the client uses.
        await self._client.write_api().write(bucket=self._bucket, record=list(points))

    async def _create_database(self) -> None:
        auth = None
        if self._settings.influx_username:
            auth = aiohttp.BasicAuth(
                self._settings.influx_username,
                self._settings.influx_password.get_secret_value(),
            )
        query = f'CREATE DATABASE "{self._settings.influx_database}"'
        async with (
            aiohttp.ClientSession(auth=auth) as session,
            session.post(f"{self._settings.influx_url}/query", data={"q": query}) as response,
        ):
            if response.status != 200:
                raise RuntimeError(
                    f"CREATE DATABASE failed: {response.status} {await response.text()}"
                )

    async def _retry(self, operation, *args) -> None:  # type: ignore[no-untyped-def]
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(Exception),
            wait=wait_exponential(multiplier=0.2, max=MAX_BACKOFF_S),
            before_sleep=self._log_retry,
            reraise=True,
        ):
            with attempt:
                await operation(*args)

    @staticmethod
    def _log_retry(state) -> None:  # type: ignore[no-untyped-def]
        metrics.SINK_ERRORS.inc()
        log.warning(
            "InfluxDB write failed (attempt %d), retrying in %.1f s: %s",
            state.attempt_number,
            state.next_action.sleep if state.next_action else 0.0,
            state.outcome.exception() if state.outcome else "unknown error",
        )
