"""Asynchronous InfluxDB writer: transient errors are retried, permanent ones rejected.

Writes: points to ``<database>/<retention policy>`` through ``/api/v2/write``, which
InfluxDB 1.8 serves for influxdb-client (2.x and 3.x serve it natively); deletes the
points a cell no longer publishes (``points.delete_statement``) with InfluxQL ``DELETE``
on 1.x's ``/query``, or 2.x's ``/api/v2/delete`` when a token is set (not run against a
real 2.x here; 3.x cannot delete single points). What an answer means:

* **transient** (no connection, 5xx, 408, 429): retried with capped exponential backoff,
  at least ``Retry-After`` when the server sends one, *until it succeeds*; the calling
  agent waits, so its offsets are not committed and nothing is dropped while InfluxDB is
  down (backpressure);
* **a rejected point** (400, e.g. a field type conflict; 413, too large; 422, outside
  the retention period on 2.x): the batch is
  split until the points InfluxDB refuses are isolated; the others are written, each
  refused point is counted in ``xlapulse_sink_rejected_points_total``, logged, and handed
  to ``on_rejected`` (the engine sends it to the dead-letter topic), so one bad point
  never stalls a partition;
* **refused credentials or permissions** (401, 403): :class:`SinkRefused` is raised; the
  agent crashes and the worker exits 1 with that reason, instead of retrying forever;
* **database not found** (404): created, then retried.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import aiohttp
from influxdb_client import Point
from influxdb_client.client.influxdb_client_async import InfluxDBClientAsync
from influxdb_client.rest import ApiException
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_exponential

from xlapulse.streams import metrics
from xlapulse.streams.scoring.published import Record
from xlapulse.streams.settings import EngineSettings
from xlapulse.streams.sink.points import delete_predicate, delete_statement

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 30.0
#: answers that mean the points themselves are refused: retrying cannot help
REJECTED_STATUSES = frozenset({400, 413, 422})
REFUSED_STATUSES = frozenset({401, 403})

#: what the engine does with a point InfluxDB refused: (line protocol, reason)
RejectedHandler = Callable[[str, str], Awaitable[None]]


class SinkRefused(RuntimeError):
    """InfluxDB refused the credentials or the permission to write: a configuration error."""


class InfluxSink:
    """Writes batches of points; ``start`` creates the database if it is missing."""

    def __init__(self, settings: EngineSettings) -> None:
        self._settings = settings
        self._bucket = f"{settings.influx_database}/{settings.influx_retention_policy}"
        password = settings.influx_password.get_secret_value()
        token = f"{settings.influx_username}:{password}" if settings.influx_username else ""
        token = settings.influx_token.get_secret_value() or token  # InfluxDB 2.x
        self._client: InfluxDBClientAsync | None = None
        #: for InfluxQL on 1.x (CREATE DATABASE, DELETE), opened once like the client's
        self._query_session: aiohttp.ClientSession | None = None
        self._token = token
        #: set by the engine: where a refused point goes (else it is only logged)
        self.on_rejected: RejectedHandler | None = None

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
        if self._query_session is not None:
            await self._query_session.close()
            self._query_session = None

    async def write(self, points: Sequence[Point]) -> None:
        """Write the batch: retried until InfluxDB answered, refused points set aside."""
        if not points:
            return
        if self._client is None:
            await self.start()
        written = await self._write_isolating(list(points))
        metrics.SINK_POINTS.inc(written)

    async def delete(self, records: Sequence[Record]) -> None:
        """Delete each record's point (its series at its time), retried like a write
        until InfluxDB answered: InfluxQL ``DELETE`` on 1.x, the delete API on 2.x."""
        if not records:
            return
        if self._client is None:
            await self.start()
        if self._settings.influx_token.get_secret_value():
            for record in records:
                await self._retry(self._delete_v2, record)
        else:
            statements = "; ".join(delete_statement(record) for record in records)
            await self._retry(self._influxql, statements, "DELETE")
        metrics.SINK_DELETED.inc(len(records))

    async def _delete_v2(self, record: Record) -> None:
        assert self._client is not None
        at = datetime.fromtimestamp(record.time_ns / 1e9, UTC)
        try:
            await self._client.delete_api().delete(
                start=at, stop=at, predicate=delete_predicate(record), bucket=self._bucket
            )
        except ApiException as error:
            if error.status in REFUSED_STATUSES:
                raise self._refused("delete from", error.status, _message(error)) from None
            raise

    async def _write_isolating(self, points: list[Point]) -> int:
        """Write ``points``; on a rejection, write each half the same way. Returns how
        many were written."""
        try:
            await self._retry(self._write_once, points)
            return len(points)
        except ApiException as error:
            if error.status not in REJECTED_STATUSES:
                raise
            if len(points) > 1:
                half = len(points) // 2
                return await self._write_isolating(points[:half]) + await self._write_isolating(
                    points[half:]
                )
            await self._reject(points[0], f"InfluxDB answered {error.status}: {_message(error)}")
            return 0

    async def _reject(self, point: Point, reason: str) -> None:
        line = point.to_line_protocol()
        metrics.SINK_REJECTED.inc()
        log.error("InfluxDB refused a point, set aside: %s: %s", reason, line[:300])
        if self.on_rejected is not None:
            await self.on_rejected(line, reason)

    async def _write_once(self, points: Sequence[Point]) -> None:
        assert self._client is not None
        try:
            # Each point carries its own (nanosecond) precision, which the client uses.
            await self._client.write_api().write(bucket=self._bucket, record=list(points))
        except ApiException as error:
            if error.status in REFUSED_STATUSES:
                raise self._refused("write to", error.status, _message(error)) from None
            if error.status == 404:
                await self._create_database()
            raise

    def _refused(self, action: str, status: int, message: str) -> SinkRefused:
        return SinkRefused(
            f"InfluxDB at {self._settings.influx_url} refused to let "
            f"{self._settings.influx_username or 'an anonymous client'} {action} "
            f"{self._bucket}: {status} {message} (check "
            "XLAPULSE_INFLUX_USERNAME and _PASSWORD, or _TOKEN, and the permissions)"
        )

    async def _create_database(self) -> None:
        if self._settings.influx_token.get_secret_value():
            return  # InfluxDB 2.x: no CREATE DATABASE; the bucket is made beforehand
        query = f'CREATE DATABASE "{self._settings.influx_database}"'
        await self._influxql(query, "CREATE DATABASE")

    def _session(self) -> aiohttp.ClientSession:
        """The InfluxQL session, opened at first use, with the 1.x user's basic auth."""
        if self._query_session is None or self._query_session.closed:
            headers = {}
            if self._settings.influx_username:
                credentials = (
                    f"{self._settings.influx_username}:"
                    f"{self._settings.influx_password.get_secret_value()}"
                ).encode()
                headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
            self._query_session = aiohttp.ClientSession(headers=headers)
        return self._query_session

    async def _influxql(self, statements: str, what: str) -> None:
        """Run InfluxQL ``statements`` (``what`` they do, for errors) on 1.x's /query in
        the engine's database; an error of any statement raises, a refusal as
        :class:`SinkRefused`."""
        async with self._session().post(
            f"{self._settings.influx_url}/query",
            params={"db": self._settings.influx_database},
            data={"q": statements},
        ) as response:
            text = await response.text()
            if response.status in REFUSED_STATUSES:
                raise SinkRefused(
                    f"InfluxDB at {self._settings.influx_url} refused {what}: "
                    f"{response.status} (check XLAPULSE_INFLUX_USERNAME and _PASSWORD, "
                    "and the permissions)"
                )
            errors = [] if response.status != 200 else _statement_errors(text)
            if response.status != 200 or errors:
                raise RuntimeError(
                    f"{what} failed: {response.status} {'; '.join(errors) or text[:300]}"
                )

    async def _retry(self, operation: Callable[..., Awaitable[None]], *args: Any) -> None:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(_transient),
            wait=_wait,
            before_sleep=self._log_retry,
            reraise=True,
        ):
            with attempt:
                await operation(*args)

    @staticmethod
    def _log_retry(state: RetryCallState) -> None:
        metrics.SINK_ERRORS.inc()
        log.warning(
            "InfluxDB write failed (attempt %d), retrying in %.1f s: %s",
            state.attempt_number,
            state.next_action.sleep if state.next_action else 0.0,
            state.outcome.exception() if state.outcome else "unknown error",
        )


def _transient(error: BaseException) -> bool:
    """Worth retrying: anything but a refused point and refused credentials."""
    if isinstance(error, SinkRefused):
        return False
    if isinstance(error, ApiException):
        return error.status not in REJECTED_STATUSES
    return True


_exponential = wait_exponential(multiplier=0.2, max=MAX_BACKOFF_S)


def _wait(state: RetryCallState) -> float:
    """Exponential backoff, but at least the server's ``Retry-After`` (in seconds)."""
    backoff = _exponential(state)
    error = state.outcome.exception() if state.outcome else None
    retry_after = getattr(error, "retry_after", None) if isinstance(error, ApiException) else None
    try:
        return max(backoff, min(float(retry_after), 300.0)) if retry_after else backoff
    except ValueError:  # an HTTP date instead of seconds
        return backoff


def _statement_errors(answer: str) -> list[str]:
    """The errors of the statements in a /query answer (it is 200 even when one failed)."""
    try:
        results = json.loads(answer).get("results", [])
    except ValueError:
        return [f"not JSON: {answer[:200]}"]
    return [str(result["error"]) for result in results if "error" in result]


def _message(error: ApiException) -> str:
    return str(getattr(error, "message", None) or error.reason or "")[:500]
