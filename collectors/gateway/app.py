"""The gateway's aiohttp application: admit, authenticate, map, store, answer.

Reads HTTP requests on the routes of ``routes.py``. Writes contract events through
``delivery.AsyncDelivery`` and answers 2xx only after Kafka acknowledged all of them;
503 with ``Retry-After`` when it did not. Malformed payloads get 400 and a redacted copy
on the dead-letter topic. Logs carry the source, the outcome and a reason, never a body,
a header value or a secret.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError

from xlapulse.collectors.contract.codec import describe_validation_error
from xlapulse.collectors.contract.events import EventBase
from xlapulse.collectors.gateway.adapters import ADAPTERS, CSAT_ADAPTERS, secret_source
from xlapulse.collectors.gateway.adapters.csat import survey_answer_events
from xlapulse.collectors.gateway.adapters.lifecycle import (
    IgnoredEvent,
    PayloadError,
    json_type,
    vendor_ticket_events,
)
from xlapulse.collectors.gateway.auth import Unauthorized, authenticate
from xlapulse.collectors.gateway.connect import bootstrap_reachable
from xlapulse.collectors.gateway.delivery import AsyncDelivery
from xlapulse.collectors.gateway.metrics import GatewayMetrics
from xlapulse.collectors.gateway.openapi import OPENAPI_PATH
from xlapulse.collectors.gateway.producer import KafkaUnavailable
from xlapulse.collectors.gateway.ratelimit import TokenBucket
from xlapulse.collectors.gateway.routes import ROUTES, RouteSpec
from xlapulse.collectors.gateway.scrub import DeadLetterRedactor
from xlapulse.collectors.gateway.settings import GatewaySettings
from xlapulse.collectors.gateway.survey import (
    SurveyAnswerRequest,
    answer_event,
    resolution_invitations,
)
from xlapulse.collectors.privacy import Pseudonymizer

log = logging.getLogger(__name__)
JSON_CONTENT_TYPE = "application/json"
READY_CONNECT_TIMEOUT_S = 1.0
MAX_REASON_CHARS = 1000  # the redacted reason; its header is capped in bytes (producer.py)
NOTHING_STORED = {"stored": 0, "duplicates": 0, "event_ids": []}

Process = Callable[[Any], list[EventBase]]


class Rejected(Exception):
    """A request answered with an error status; ``outcome`` labels the metric.

    ``reason`` goes to the client, ``log_reason`` (default: the same) to the log: the reason
    for a malformed payload may quote it, so its log line gets the redacted one.
    """

    def __init__(
        self,
        status: int,
        outcome: str,
        reason: str,
        headers: dict[str, str] | None = None,
        log_reason: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.status, self.outcome, self.reason = status, outcome, reason
        self.headers = headers or {}
        self.log_reason = reason if log_reason is None else log_reason


@dataclass
class Gateway:
    """Request handling around one producer, one pseudonymization key and one set of limits."""

    settings: GatewaySettings
    pseudonymizer: Pseudonymizer
    delivery: AsyncDelivery
    metrics: GatewayMetrics

    def __post_init__(self) -> None:
        self._buckets = {
            route.source: TokenBucket(
                self.settings.gateway_rate_per_source_per_s, self.settings.gateway_rate_burst
            )
            for route in ROUTES
            if route.source
        }

    # --- POST endpoints ---------------------------------------------------------

    def webhook_handler(self, source: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        adapter = ADAPTERS[source]

        def process(document: Any) -> list[EventBase]:
            if not isinstance(document, dict):
                raise PayloadError(f"expected a JSON object, got {json_type(document)}")
            tickets = vendor_ticket_events(
                source, adapter.map_payload, document, self.pseudonymizer
            )
            invitations = resolution_invitations(tickets, self.settings.gateway_resolution_survey)
            return [*tickets, *invitations]

        async def handle(request: web.Request) -> web.Response:
            return await self._handle(request, source, process)

        return handle

    def csat_handler(self, source: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        adapter = CSAT_ADAPTERS[source]

        def process(document: Any) -> list[EventBase]:
            if not isinstance(document, dict):
                raise PayloadError(f"expected a JSON object, got {json_type(document)}")
            return list(survey_answer_events(adapter, document, self.pseudonymizer))

        async def handle(request: web.Request) -> web.Response:
            return await self._handle(request, source, process)

        return handle

    async def survey(self, request: web.Request) -> web.Response:
        def process(document: Any) -> list[EventBase]:
            answer = SurveyAnswerRequest.model_validate(document)
            return [answer_event(answer, self.pseudonymizer)]

        return await self._handle(request, "survey", process)

    async def _handle(self, request: web.Request, source: str, process: Process) -> web.Response:
        started = time.perf_counter()
        try:
            response, outcome = await self._store(request, source, process)
        except Rejected as rejected:
            if rejected.status != 503:
                log.info(
                    "%s request rejected (%d): %s", source, rejected.status, rejected.log_reason
                )
            response = _json_response({"error": rejected.reason}, rejected.status, rejected.headers)
            outcome = rejected.outcome
        self.metrics.observe_request(source, outcome, time.perf_counter() - started)
        return response

    async def _store(
        self, request: web.Request, source: str, process: Process
    ) -> tuple[web.Response, str]:
        body = await self._admit(request, source)
        document = None  # stays None when the body is not JSON
        try:
            document = _parse_json(body)
            events = process(document)
        except IgnoredEvent as ignored:
            return _json_response({**NOTHING_STORED, "ignored": ignored.reason}), "ignored"
        except (PayloadError, ValidationError) as error:
            reason = _reason(error)
            redacted_reason = await self._dead_letter(source, reason, body, document)
            raise Rejected(400, "malformed", reason, log_reason=redacted_reason) from None
        try:
            delivered = await self.delivery.deliver(events)
        except KafkaUnavailable as error:
            raise _unavailable(error) from None
        outcome = "accepted" if delivered.stored else "duplicate" if events else "ignored"
        result = {
            "stored": len(delivered.stored),
            "duplicates": delivered.duplicates,
            "event_ids": [str(event.event_id) for event in events],
        }
        return _json_response(result), outcome

    async def _admit(self, request: web.Request, source: str) -> bytes:
        """Content type, size, authentication and rate, in that order; the raw body."""
        if request.content_type != JSON_CONTENT_TYPE:
            raise Rejected(415, "unsupported_media_type", f"send {JSON_CONTENT_TYPE}")
        limit = self.settings.gateway_max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise Rejected(413, "too_large", f"body above {limit} bytes")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise Rejected(413, "too_large", f"body above {limit} bytes") from None
        auth = secret_source(source)
        try:
            authenticate(auth, self.settings.source_secret(auth), request.headers, body)
        except Unauthorized as error:
            raise Rejected(401, "unauthorized", error.reason) from None
        wait_s = self._buckets[source].take()
        if wait_s:
            raise Rejected(429, "rate_limited", "rate limit", {"Retry-After": f"{wait_s:.0f}"})
        return body

    async def _dead_letter(self, source: str, reason: str, body: bytes, document: Any) -> str:
        """Store a redacted copy of a rejected body (``document``: the parsed body, None when
        it is not JSON); return the redacted reason (the header's)."""
        redactor = DeadLetterRedactor(document, self.pseudonymizer)
        redacted_reason = redactor.text(reason, MAX_REASON_CHARS)
        record = {
            "source": source,
            "reason": redacted_reason,
            "received_at": datetime.now(UTC).isoformat(),
            "body_bytes": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "document": redactor.redacted(),  # None: not JSON, size and hash only
        }
        try:
            value = orjson.dumps(record)
            await self.delivery.deliver_dead_letter(source, redacted_reason, value)
        except KafkaUnavailable as error:
            raise _unavailable(error) from None
        return redacted_reason

    # --- GET endpoints ----------------------------------------------------------

    async def health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def ready(self, _request: web.Request) -> web.Response:
        problem = await self._readiness_problem()
        if problem:
            return web.json_response({"status": "not ready", "reason": problem}, status=503)
        return web.json_response({"status": "ready"})

    async def _readiness_problem(self) -> str | None:
        if not self.delivery.connected:
            return "not connected to Kafka yet"
        if self.delivery.circuit_open:
            return "recent Kafka send failed"
        if not await bootstrap_reachable(self.settings.kafka_bootstrap, READY_CONNECT_TIMEOUT_S):
            return "Kafka bootstrap server not reachable"
        return None

    async def metrics_page(self, _request: web.Request) -> web.Response:
        page = generate_latest(self.metrics.registry)
        return web.Response(body=page, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def openapi(self, _request: web.Request) -> web.Response:
        return web.Response(text=OPENAPI_PATH.read_text(), content_type=JSON_CONTENT_TYPE)


def build_app(gateway: Gateway) -> web.Application:
    """The aiohttp application with every route of ``routes.ROUTES``."""
    app = web.Application(client_max_size=gateway.settings.gateway_max_body_bytes)
    for route in ROUTES:
        app.router.add_route(route.method, route.path, _handler(gateway, route))
    return app


def _handler(gateway: Gateway, route: RouteSpec) -> Callable[[web.Request], Awaitable[Any]]:
    if route.handler == "webhook":
        return gateway.webhook_handler(route.source or "")
    if route.handler == "csat":
        return gateway.csat_handler(route.source or "")
    return {
        "survey": gateway.survey,
        "health": gateway.health,
        "ready": gateway.ready,
        "metrics": gateway.metrics_page,
        "openapi": gateway.openapi,
    }[route.handler]


def _parse_json(body: bytes) -> Any:
    """orjson first (fast); the standard library for what orjson refuses but JSON allows,
    such as integers beyond 64 bits. Not what the standard library reads beyond JSON
    and Unicode: ``NaN``/``Infinity``, and ``\\ud800`` escapes of lone surrogates, which
    no UTF-8 encoder (the pseudonymizer's, Kafka's) can write: each is a 400 with its
    body dead-lettered as size and hash."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        document = json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        raise PayloadError("JSON nested too deeply") from None
    except ValueError as error:  # also UnicodeDecodeError, and integers of 4300+ digits
        raise PayloadError(f"not UTF-8 JSON: {error}") from None
    try:
        json.dumps(document, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise PayloadError("not valid Unicode: a \\u escape of a lone surrogate") from None
    except RecursionError:
        raise PayloadError("JSON nested too deeply") from None
    return document


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _json_response(
    document: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=orjson.dumps(document), status=status, headers=headers, content_type=JSON_CONTENT_TYPE
    )


def _reason(error: PayloadError | ValidationError) -> str:
    if isinstance(error, ValidationError):
        return describe_validation_error(error)
    return error.reason


def _unavailable(error: KafkaUnavailable) -> Rejected:
    return Rejected(
        503,
        "kafka_unavailable",
        "Kafka did not acknowledge; retry later",
        {"Retry-After": str(error.retry_after_s)},
    )
