"""The gateway's HTTP behaviour against an in-memory producer (the real Kafka path is in
tests/integration/test_gateway_kafka.py): auth, limits, 2xx only after the ack, 503 on a
failed ack, dedup, dead letters (wrong-typed payloads, no personal data), ignored events,
metrics, readiness, OpenAPI route coverage."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from kafka.errors import KafkaTimeoutError
from kafka.future import Future

from xlapulse.collectors.contract.codec import parse_event
from xlapulse.collectors.contract.events import EventBase
from xlapulse.collectors.contract.topics import topic_for
from xlapulse.collectors.gateway.adapters.lifecycle import GATEWAY_NAMESPACE
from xlapulse.collectors.gateway.app import build_app
from xlapulse.collectors.gateway.auth import sign_hex, sign_zendesk
from xlapulse.collectors.gateway.connect import connect_when_reachable
from xlapulse.collectors.gateway.routes import ROUTES
from xlapulse.collectors.gateway.server import create_gateway
from xlapulse.collectors.gateway.settings import GatewaySettings
from xlapulse.collectors.privacy import Pseudonymizer

DATA = Path(__file__).resolve().parents[1] / "data" / "itsm"
KEY = "gateway-unit-test-key-0123456789"
TOKEN = "servicenow-token-for-tests"
SECRET = "shared-webhook-secret-for-tests"


class MemoryProducer:
    """Acknowledges (or fails) every send at once and keeps what it stored."""

    def __init__(self) -> None:
        self.stored: list[tuple[str, bytes]] = []
        self.dead_letter_reasons: list[str] = []  # the reason header
        self.failing = False

    def send(self, event: EventBase) -> Future:
        return self._complete(topic_for(event), event.model_dump_json().encode())

    def send_dead_letter(self, source: str, reason: str, value: bytes) -> Future:
        self.dead_letter_reasons.append(reason)
        return self._complete("xlapulse.deadletter.v1", value)

    def _complete(self, topic: str, value: bytes) -> Future:
        future = Future()
        if self.failing:
            return future.failure(KafkaTimeoutError("no broker"))
        self.stored.append((topic, value))
        return future.success(None)

    def topics(self) -> list[str]:
        return [topic for topic, _value in self.stored]


def settings(**overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "pseudonym_key": KEY,
        "gateway_servicenow_token": TOKEN,
        "gateway_topdesk_token": TOKEN,
        "gateway_jira_secret": SECRET,
        "gateway_zendesk_secret": SECRET,
        "gateway_generic_secret": SECRET,
        "gateway_survey_token": TOKEN,
        "kafka_bootstrap": "127.0.0.1:1",
        **overrides,
    }
    return GatewaySettings(**values)


@pytest.fixture
def producer() -> MemoryProducer:
    return MemoryProducer()


async def start(producer: MemoryProducer, **overrides: Any) -> TestClient:
    gateway = create_gateway(settings(**overrides), producer)  # type: ignore[arg-type]
    client = TestClient(TestServer(build_app(gateway)))
    await client.start_server()
    return client


@pytest.fixture
async def client(producer: MemoryProducer) -> AsyncIterator[TestClient]:
    client = await start(producer)
    yield client
    await client.close()


def body(name: str) -> bytes:
    return (DATA / name).read_bytes()


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def authenticated(source: str, payload: bytes) -> dict[str, str]:
    """Headers that authenticate ``payload`` for ``source``, each by its own scheme."""
    json_type = {"Content-Type": "application/json"}
    if source == "jira":
        return {**json_type, "X-Hub-Signature": sign_hex(SECRET, payload)}
    if source == "zendesk":
        timestamp = "2026-11-20T11:47:31Z"
        return {
            **json_type,
            "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
            "X-Zendesk-Webhook-Signature": sign_zendesk(SECRET, timestamp, payload),
        }
    if source == "generic":
        return {**json_type, "X-Xlapulse-Signature": sign_hex(SECRET, payload)}
    return bearer()


async def post_servicenow(client: TestClient, sample: str) -> ClientResponse:
    """POST the ServiceNow sample ``sample`` (tests/data/itsm) with the right bearer token."""
    return await client.post("/v1/webhooks/servicenow", data=body(sample), headers=bearer())


def endpoint(source: str) -> str:
    return "/v1/surveys/answers" if source == "survey" else f"/v1/webhooks/{source}"


def with_value(name: str, path: tuple[Any, ...], value: Any) -> bytes:
    """The sample ``name`` with the value at ``path`` replaced."""
    document = json.loads(body(name))
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return json.dumps(document).encode()


def appears(value: str, document: Any) -> bool:
    """Whether ``value`` occurs in a string of the parsed JSON ``document`` as a whole word,
    ignoring case."""
    pattern = re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.IGNORECASE)
    return any(pattern.search(text) for text in strings(document))


def strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [text for key, value in node.items() for text in [key, *strings(value)]]
    if isinstance(node, list):
        return [text for item in node for text in strings(item)]
    return [str(node)]


async def metric(client: TestClient, name: str, **labels: str) -> float:
    page = await (await client.get("/metrics")).text()
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in page.splitlines():
        if line.startswith(f"{name}{{{wanted}}} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_servicenow_webhook_is_stored_before_200(
    client: TestClient, producer: MemoryProducer
) -> None:
    response = await post_servicenow(client, "servicenow_update_reassigned_resolved.json")
    assert response.status == 200
    result = await response.json()
    assert result["stored"] == 4  # reassigned, first_contact, resolved + the invitation
    assert producer.topics() == [
        "xlapulse.tickets.v1",
        "xlapulse.tickets.v1",
        "xlapulse.tickets.v1",
        "xlapulse.survey-invitations.v1",
    ]
    invitation = parse_event(producer.stored[-1][1])
    assert invitation.event_type == "survey_invitation"
    assert (invitation.trigger, invitation.ticket_id) == ("ticket_resolved", "INC0010042")
    assert (
        await metric(
            client, "xlapulse_gateway_requests_total", outcome="accepted", source="servicenow"
        )
        == 1
    )


async def test_duplicate_delivery_is_answered_without_a_second_write(
    client: TestClient, producer: MemoryProducer
) -> None:
    for _attempt in range(2):
        response = await post_servicenow(client, "servicenow_insert_assigned.json")
        assert response.status == 200
    assert len(producer.stored) == 2
    assert (await response.json())["duplicates"] == 2
    assert (
        await metric(
            client, "xlapulse_gateway_requests_total", outcome="duplicate", source="servicenow"
        )
        == 1
    )


async def test_kafka_failure_gives_503_with_retry_after_and_opens_the_circuit(
    client: TestClient, producer: MemoryProducer
) -> None:
    producer.failing = True
    first = await post_servicenow(client, "servicenow_insert_assigned.json")
    assert first.status == 503 and int(first.headers["Retry-After"]) >= 1
    producer.failing = False  # Kafka back, but the circuit stays open for retry_after_s
    second = await post_servicenow(client, "servicenow_insert_assigned.json")
    assert second.status == 503
    assert producer.stored == []
    assert (await client.get("/ready")).status == 503
    assert (
        await metric(
            client, "xlapulse_gateway_kafka_send_errors_total", topic="xlapulse.tickets.v1"
        )
        == 2  # created and assigned, one each
    )


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Content-Type": "application/json"}, "missing bearer token"),
        (bearer("wrong-token"), "wrong bearer token"),
    ],
)
async def test_unauthenticated_requests_get_401_and_are_counted(
    client: TestClient, producer: MemoryProducer, headers: dict[str, str], reason: str
) -> None:
    response = await client.post(
        "/v1/webhooks/servicenow", data=body("servicenow_insert_assigned.json"), headers=headers
    )
    assert response.status == 401
    assert await response.json() == {"error": reason}
    assert producer.stored == []
    assert (
        await metric(
            client, "xlapulse_gateway_requests_total", outcome="unauthorized", source="servicenow"
        )
        == 1
    )


async def test_unconfigured_source_fails_closed(producer: MemoryProducer) -> None:
    client = await start(producer, gateway_topdesk_token="")
    try:
        response = await client.post(
            "/v1/webhooks/topdesk", data=body("topdesk_created.json"), headers=bearer()
        )
        assert response.status == 401
    finally:
        await client.close()


async def test_topdesk_bearer_token(client: TestClient, producer: MemoryProducer) -> None:
    response = await client.post(
        "/v1/webhooks/topdesk", data=body("topdesk_created.json"), headers=bearer()
    )
    assert response.status == 200 and (await response.json())["stored"] == 2
    assert [parse_event(value).action for _topic, value in producer.stored] == [
        "created",
        "assigned",
    ]
    assert (
        await metric(
            client, "xlapulse_gateway_requests_total", outcome="accepted", source="topdesk"
        )
        == 1
    )


async def test_zendesk_signature(client: TestClient, producer: MemoryProducer) -> None:
    payload = body("zendesk_status_changed_solved.json")
    timestamp = "2026-11-20T11:47:31Z"
    headers = {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
        "X-Zendesk-Webhook-Signature": sign_zendesk(SECRET, timestamp, payload),
    }
    assert (await client.post("/v1/webhooks/zendesk", data=payload, headers=headers)).status == 200
    headers["X-Zendesk-Webhook-Signature"] = sign_zendesk(SECRET, timestamp, payload + b" ")
    assert (await client.post("/v1/webhooks/zendesk", data=payload, headers=headers)).status == 401
    assert producer.topics() == ["xlapulse.tickets.v1", "xlapulse.survey-invitations.v1"]


async def test_jira_hub_signature(client: TestClient) -> None:
    payload = body("jira_issue_created.json")
    headers = {"Content-Type": "application/json", "X-Hub-Signature": sign_hex(SECRET, payload)}
    assert (await client.post("/v1/webhooks/jira", data=payload, headers=headers)).status == 200
    headers["X-Hub-Signature"] = sign_hex("another-secret", payload)
    assert (await client.post("/v1/webhooks/jira", data=payload, headers=headers)).status == 401


async def test_malformed_payload_gets_400_and_a_redacted_dead_letter(
    client: TestClient, producer: MemoryProducer
) -> None:
    document = json.loads(body("servicenow_insert_assigned.json"))
    document["operation"] = "merge"
    response = await client.post(
        "/v1/webhooks/servicenow", data=json.dumps(document), headers=bearer()
    )
    assert response.status == 400
    assert "operation must be" in (await response.json())["error"]
    ((topic, value),) = producer.stored
    assert topic == "xlapulse.deadletter.v1"
    dead = json.loads(value)
    assert dead["reason"].startswith("operation must be") and dead["source"] == "servicenow"
    assert b"abel.tuter" not in value and b"Abel Tuter" not in value and b"12345678" not in value
    caller = dead["document"]["record"]["caller_id.email"]["value"]
    assert caller == Pseudonymizer(KEY.encode()).user("abel.tuter@example.com")


async def test_not_json_gets_400(client: TestClient, producer: MemoryProducer) -> None:
    response = await client.post("/v1/webhooks/servicenow", data=b"{not json", headers=bearer())
    assert response.status == 400
    assert json.loads(producer.stored[0][1])["document"] is None


async def test_limits_content_type_size_and_rate(producer: MemoryProducer) -> None:
    client = await start(
        producer,
        gateway_max_body_bytes=2048,
        gateway_rate_burst=1,
        gateway_rate_per_source_per_s=0.01,
    )
    try:
        plain = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/plain"}
        response = await client.post("/v1/webhooks/servicenow", data=b"{}", headers=plain)
        assert response.status == 415
        big = await client.post("/v1/webhooks/servicenow", data=b" " * 4096, headers=bearer())
        assert big.status == 413
        first = await post_servicenow(client, "servicenow_update_reopened.json")
        assert first.status == 200
        second = await post_servicenow(client, "servicenow_update_reopened.json")
        assert second.status == 429 and int(second.headers["Retry-After"]) >= 1
        counted = {
            outcome: await metric(
                client, "xlapulse_gateway_requests_total", source="servicenow", outcome=outcome
            )
            for outcome in ("unsupported_media_type", "too_large", "rate_limited")
        }
        assert counted == {"unsupported_media_type": 1, "too_large": 1, "rate_limited": 1}
    finally:
        await client.close()


async def test_survey_answer_is_pseudonymized_and_scrubbed(
    client: TestClient, producer: MemoryProducer
) -> None:
    response = await client.post(
        "/v1/surveys/answers", data=body("survey_answer.json"), headers=bearer()
    )
    assert response.status == 200
    ((topic, value),) = producer.stored
    assert topic == "xlapulse.surveys.v1"
    answer = parse_event(value)
    assert answer.event_type == "survey_answer"
    assert (answer.score, answer.self_reported_lost_minutes) == (4, 90)
    assert answer.comment == "Took two days. Call me at [phone] or mail [email] if you need more."
    assert answer.user_id == Pseudonymizer(KEY.encode()).user("CORP\\pjanssen")


async def test_survey_without_link_is_rejected(client: TestClient) -> None:
    document = json.loads(body("survey_answer.json"))
    del document["ticket_id"]
    response = await client.post("/v1/surveys/answers", data=json.dumps(document), headers=bearer())
    assert response.status == 400
    assert "ticket_id" in (await response.json())["error"]


async def test_health_openapi_and_every_route_served(client: TestClient) -> None:
    assert (await client.get("/health")).status == 200
    served = {(r.method, r.resource.canonical) for r in client.app.router.routes()}
    assert {(route.method, route.path) for route in ROUTES} <= served
    spec = await (await client.get("/openapi.json")).json()
    assert set(spec["paths"]) == {route.path for route in ROUTES}


async def test_secrets_never_in_logs(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    await client.post("/v1/webhooks/servicenow", data=b"{}", headers=bearer("guess-" + TOKEN))
    await post_servicenow(client, "servicenow_insert_assigned.json")
    assert TOKEN not in caplog.text and "abel.tuter" not in caplog.text
    assert "wrong bearer token" in caplog.text


async def test_without_kafka_it_answers_503_until_a_producer_is_attached(
    producer: MemoryProducer,
) -> None:
    gateway = create_gateway(settings(gateway_retry_after_s=7))
    client = TestClient(TestServer(build_app(gateway)))
    await client.start_server()
    try:
        payload = body("servicenow_insert_assigned.json")
        refused = await client.post("/v1/webhooks/servicenow", data=payload, headers=bearer())
        assert refused.status == 503 and refused.headers["Retry-After"] == "7"
        ready = await client.get("/ready")
        assert ready.status == 503
        assert (await ready.json())["reason"] == "not connected to Kafka yet"
        gateway.delivery.attach(producer)  # type: ignore[arg-type]
        accepted = await client.post("/v1/webhooks/servicenow", data=payload, headers=bearer())
        assert accepted.status == 200 and len(producer.stored) == 2
        assert (
            await metric(
                client,
                "xlapulse_gateway_requests_total",
                outcome="kafka_unavailable",
                source="servicenow",
            )
            == 1
        )
    finally:
        await client.close()


async def test_the_producer_is_built_again_until_kafka_answers(
    producer: MemoryProducer, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = create_gateway(settings())
    attempts: list[int] = []

    def connect() -> MemoryProducer:
        attempts.append(len(attempts))
        if len(attempts) < 3:
            raise KafkaTimeoutError("Unable to bootstrap from [...]")  # kafka-python 3
        return producer

    port_owner = await asyncio.start_server(lambda _r, writer: writer.close(), "127.0.0.1", 0)
    bootstrap = f"127.0.0.1:{port_owner.sockets[0].getsockname()[1]}"
    try:
        await connect_when_reachable(gateway.delivery, connect, bootstrap, pause_s=0.0)  # type: ignore[arg-type]
    finally:
        port_owner.close()
    assert len(attempts) == 3 and gateway.delivery.producer is producer
    assert caplog.text.count("did not bootstrap (KafkaTimeoutError)") == 2


async def test_no_producer_is_built_while_the_bootstrap_port_is_closed(
    producer: MemoryProducer, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = create_gateway(settings())
    attempts: list[int] = []
    connector = asyncio.ensure_future(
        connect_when_reachable(
            gateway.delivery, lambda: attempts.append(1) or producer, "127.0.0.1:1", pause_s=0.01
        )
    )
    await asyncio.sleep(0.2)
    connector.cancel()
    assert attempts == [] and gateway.delivery.producer is None
    assert caplog.text.count("not reachable; answering 503") == 1  # said once, not per probe


class ThreadedProducer(MemoryProducer):
    """Holds the futures; ``release`` completes them all on another thread, as kafka-python's
    sender thread completes a batch."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[Future] = []

    def _complete(self, topic: str, value: bytes) -> Future:
        future = Future()
        self.stored.append((topic, value))
        self.held.append(future)
        return future

    def release(self) -> None:
        self._settle_held(lambda future: future.success(None))

    def fail(self) -> None:
        self._settle_held(lambda future: future.failure(KafkaTimeoutError()))

    def _settle_held(self, settle: Callable[[Future], object]) -> None:
        held, self.held = self.held, []
        thread = threading.Thread(target=lambda: [settle(future) for future in held])
        thread.start()
        thread.join()


async def test_acks_from_the_sender_thread_answer_the_request() -> None:
    producer = ThreadedProducer()
    client = await start(producer)
    try:
        payload = body("servicenow_update_reassigned_resolved.json")
        request = asyncio.ensure_future(
            client.post("/v1/webhooks/servicenow", data=payload, headers=bearer())
        )
        await wait_for_held(producer, 4)
        assert not request.done()  # no answer before Kafka's acknowledgement
        producer.release()
        response = await request
        assert response.status == 200 and (await response.json())["stored"] == 4
    finally:
        await client.close()


async def test_a_retry_that_overtakes_the_first_delivery_waits_and_writes_nothing() -> None:
    producer = ThreadedProducer()
    client = await start(producer)
    try:
        payload = body("servicenow_update_reassigned_resolved.json")
        first = asyncio.ensure_future(
            client.post("/v1/webhooks/servicenow", data=payload, headers=bearer())
        )
        await wait_for_held(producer, 4)
        retry = asyncio.ensure_future(
            client.post("/v1/webhooks/servicenow", data=payload, headers=bearer())
        )
        await asyncio.sleep(0.2)
        assert not retry.done()  # no 200 before the first delivery is stored
        assert len(producer.stored) == 4  # and nothing written twice
        producer.release()
        first_answer, retry_answer = await first, await retry
        assert first_answer.status == 200 and (await first_answer.json())["stored"] == 4
        assert retry_answer.status == 200 and (await retry_answer.json())["duplicates"] == 4
        assert len(producer.stored) == 4
    finally:
        await client.close()


async def test_a_retry_waiting_for_a_delivery_that_fails_gets_503() -> None:
    producer = ThreadedProducer()
    client = await start(producer, gateway_ack_timeout_s=0.3, gateway_retry_after_s=1)
    try:
        payload = body("servicenow_insert_assigned.json")
        first = asyncio.ensure_future(
            client.post("/v1/webhooks/servicenow", data=payload, headers=bearer())
        )
        await wait_for_held(producer, 2)
        retry = await client.post("/v1/webhooks/servicenow", data=payload, headers=bearer())
        assert (await first).status == 503  # never acknowledged within the timeout
        assert retry.status == 503 and "Retry-After" in retry.headers
        assert len(producer.stored) == 2
    finally:
        await client.close()


async def test_a_retry_learns_at_once_that_the_delivery_it_waits_for_failed() -> None:
    """The waiting retry is told by the first delivery when Kafka refuses its records, not
    after a timeout of its own."""
    producer = ThreadedProducer()
    client = await start(producer, gateway_ack_timeout_s=30, gateway_retry_after_s=1)
    try:
        payload = body("servicenow_insert_assigned.json")
        first = asyncio.ensure_future(
            client.post("/v1/webhooks/servicenow", data=payload, headers=bearer())
        )
        await wait_for_held(producer, 2)
        retry = asyncio.ensure_future(
            client.post("/v1/webhooks/servicenow", data=payload, headers=bearer())
        )
        await asyncio.sleep(0.2)
        assert not retry.done()
        producer.fail()
        answers = await asyncio.wait_for(asyncio.gather(first, retry), timeout=2)
        assert [answer.status for answer in answers] == [503, 503]
        assert len(producer.stored) == 2
    finally:
        await client.close()


async def test_an_ack_after_the_timeout_still_counts_for_dedup() -> None:
    producer = ThreadedProducer()
    client = await start(producer, gateway_ack_timeout_s=0.2, gateway_retry_after_s=1)
    try:
        payload = body("servicenow_insert_assigned.json")
        late = await client.post("/v1/webhooks/servicenow", data=payload, headers=bearer())
        assert late.status == 503
        producer.release()  # Kafka stored them after all
        await asyncio.sleep(1.1)  # the circuit closes
        again = await client.post("/v1/webhooks/servicenow", data=payload, headers=bearer())
        assert again.status == 200 and (await again.json())["duplicates"] == 2
        assert len(producer.stored) == 2
    finally:
        await client.close()


async def wait_for_held(producer: ThreadedProducer, count: int) -> None:
    for _attempt in range(200):
        if len(producer.held) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {len(producer.held)} records sent")


# --- wrong-typed payloads: 400, dead letter, counted --------------------------------


@pytest.mark.parametrize(
    ("source", "name", "path", "wrong", "reason"),
    [
        (
            "jira",
            "jira_issue_created.json",
            ("issue", "fields", "priority"),
            "High",
            "issue.fields.priority must be a JSON object, got string",
        ),
        (
            "jira",
            "jira_issue_updated_resolved.json",
            ("issue", "fields", "customfield_10030", "completedCycles"),
            7,
            "issue.fields.customfield_10030.completedCycles must be a JSON array, got number",
        ),
        (
            "jira",
            "jira_issue_updated_resolved.json",
            ("timestamp",),
            10**20,
            "timestamp is not a timestamp: epoch ms out of range",
        ),
        (
            "zendesk",
            "zendesk_comment_added.json",
            ("event", "comment", "author"),
            "Kim Agent",
            "event.comment.author must be a JSON object, got string",
        ),
        (
            "zendesk",
            "zendesk_status_changed_solved.json",
            ("detail",),
            ["35436"],
            "detail must be a JSON object, got array",
        ),
        (
            "topdesk",
            "topdesk_changed_completed.json",
            ("incident", "completedDate"),
            1e300,
            "incident.completedDate is not a timestamp: epoch ms out of range",
        ),
        (
            "topdesk",
            "topdesk_created.json",
            ("incident", "caller"),
            "Jan Jansen",
            "incident.caller must be a JSON object, got string",
        ),
        (
            "servicenow",
            "servicenow_insert_assigned.json",
            ("record", "number"),
            {"value": {"id": 1}},
            "record.number.value must be a string, got object",
        ),
        ("generic", "generic_resolved.json", ("priority",), "high", "priority: Input should be"),
        ("survey", "survey_answer.json", ("score",), [4], "score: Input should be"),
    ],
)
async def test_wrong_typed_payload_gets_400_and_a_dead_letter(
    client: TestClient,
    producer: MemoryProducer,
    source: str,
    name: str,
    path: tuple[Any, ...],
    wrong: Any,
    reason: str,
) -> None:
    payload = with_value(name, path, wrong)
    response = await client.post(
        endpoint(source), data=payload, headers=authenticated(source, payload)
    )
    assert response.status == 400
    assert (await response.json())["error"].startswith(reason)
    ((topic, value),) = producer.stored
    assert topic == "xlapulse.deadletter.v1"
    assert json.loads(value)["reason"].startswith(reason)
    assert (
        await metric(client, "xlapulse_gateway_requests_total", outcome="malformed", source=source)
        == 1
    )


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"[" * 100_000, "JSON nested too deeply"),
        (b'{"operation": ' + b"1" * 5000 + b"}", "not UTF-8 JSON: Exceeds the limit"),
        (b'{"operation": "\xff"}', "not UTF-8 JSON"),
        (b"[1, 2]", "expected a JSON object, got array"),
    ],
)
async def test_bodies_the_parser_refuses_get_400(
    client: TestClient, producer: MemoryProducer, payload: bytes, reason: str
) -> None:
    response = await client.post("/v1/webhooks/servicenow", data=payload, headers=bearer())
    assert response.status == 400
    assert (await response.json())["error"].startswith(reason)
    assert [topic for topic, _value in producer.stored] == ["xlapulse.deadletter.v1"]


async def test_dead_letter_of_deep_or_huge_values_is_still_stored(
    client: TestClient, producer: MemoryProducer
) -> None:
    """orjson parses 500 levels and the standard library 10**400, but neither can be written
    back as they are: the dead letter cuts the nesting and names the number."""
    payload = b'{"operation": "merge", "deep": ' + b"[" * 500 + b"]" * 500
    payload += b', "big": ' + str(10**400).encode() + b"}"
    response = await client.post("/v1/webhooks/servicenow", data=payload, headers=bearer())
    assert response.status == 400
    document = json.loads(producer.stored[0][1])["document"]
    assert document["big"] == "[integer beyond 64 bits]"
    assert "[nested too deep]" in json.dumps(document["deep"])


# --- dead letters keep no personal data ------------------------------------------------


@pytest.mark.parametrize(
    ("source", "name", "path", "wrong", "personal"),
    [
        (
            "servicenow",
            "servicenow_update_reassigned_resolved.json",
            ("operation",),
            "merge",
            ["Abel", "Tuter", "abel.tuter@example.com", "Beth Anglin", "Anglin",
             "62826bf03710200044e0bfc8bcbe5df1", "46d44a23a9fe19810012d100cca80666"],
        ),
        (
            "topdesk",
            "topdesk_changed_closed.json",
            ("trigger",),
            "edited",
            ["Jan", "Jansen", "jan.jansen@example.nl", "Kees", "Vries", "Petra",
             "+31 20 123 4567", "+31 6 1234 5678", "2c9d5e9f-21a3-4b7c-9a1e-2f1f0e3d4c5b"],
        ),
        (
            "jira",
            "jira_issue_updated_reassigned.json",
            ("issue", "fields", "priority"),
            "High",
            ["Sanne", "Vries", "sanne.devries@example.com", "Mia", "Krystof", "Daan", "Bakker",
             "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077", "5b10ac8d82e05b22cc7d4ef5",
             "712020:0b7e61a4-4c6e-4f0c-a3b1-2d9f8e7c6b5a", "06 87654321"],
        ),
        (
            "jira",
            "jira_issue_updated_commented.json",  # "Hi Sanne, ..." in the comment body
            ("issue", "fields", "status"),
            "Waiting",
            ["Sanne", "Mia Krystof", "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077",
             "5b10ac8d82e05b22cc7d4ef5"],
        ),
        (
            "zendesk",
            "zendesk_comment_added.json",  # "Hi Lotte, ..." in the comment body
            ("time",),
            "yesterday",
            ["20978392", "375162829", "Kim Agent", "Kim", "lotte@example.org", "Lotte"],
        ),
        (
            "generic",
            "generic_resolved.json",
            ("priority",),
            "high",
            ["CORP\\pjanssen", "pjanssen", "LT-AMS-0042"],
        ),
        (
            "survey",
            "survey_answer.json",
            ("score",),
            11,
            ["CORP\\pjanssen", "p.janssen@corp.example", "janssen", "06-11223344"],
        ),
    ],
)  # fmt: skip
async def test_dead_letter_keeps_no_personal_data(
    client: TestClient,
    producer: MemoryProducer,
    source: str,
    name: str,
    path: tuple[Any, ...],
    wrong: Any,
    personal: list[str],
) -> None:
    payload = with_value(name, path, wrong)
    assert all(appears(value, json.loads(payload)) for value in personal)  # the premise
    response = await client.post(
        endpoint(source), data=payload, headers=authenticated(source, payload)
    )
    assert response.status == 400
    ((_topic, value),) = producer.stored
    stored = json.loads(value)
    assert [clear for clear in personal if appears(clear, stored)] == []
    assert stored["document"]  # redacted, not dropped


async def test_dead_letter_reason_does_not_echo_personal_data(
    client: TestClient, producer: MemoryProducer, caplog: pytest.LogCaptureFixture
) -> None:
    """The reason quotes the payload; the client gets it, the header and the log do not."""
    caplog.set_level("INFO")
    payload = with_value("topdesk_created.json", ("trigger",), "Jan Jansen <jan@example.nl>")
    response = await client.post("/v1/webhooks/topdesk", data=payload, headers=bearer())
    assert "Jan Jansen" in (await response.json())["error"]
    (header,) = producer.dead_letter_reasons
    assert header == "trigger must be 'created' or 'changed', got '[person] [person] <[email]>'"
    assert json.loads(producer.stored[0][1])["reason"] == header
    assert "Jansen" not in caplog.text and header in caplog.text


async def test_jira_changelog_and_user_urls_are_redacted(
    client: TestClient, producer: MemoryProducer
) -> None:
    payload = with_value("jira_issue_updated_reassigned.json", ("issue", "fields", "priority"), "1")
    await client.post("/v1/webhooks/jira", data=payload, headers=authenticated("jira", payload))
    document = json.loads(producer.stored[0][1])["document"]
    assignee_change, team_change = document["changelog"]["items"]
    pseudonyms = Pseudonymizer(KEY.encode())
    assert assignee_change["toString"] == pseudonyms.user("Daan Bakker")
    assert assignee_change["to"] == pseudonyms.user("712020:0b7e61a4-4c6e-4f0c-a3b1-2d9f8e7c6b5a")
    assert team_change["toString"] == "Network Support"  # a team is no person
    assert document["issue"]["self"] == "https://example.atlassian.net/rest/api/2/10231"
    link = document["issue"]["fields"]["customfield_10010"]["requestType"]["_links"]["self"]
    assert link.endswith("/servicedesk/2/requesttype/17")


# --- events that are no lifecycle step ---------------------------------------------------


@pytest.mark.parametrize(
    ("source", "document", "reason"),
    [
        (
            "jira",
            {
                "timestamp": 1795167280020,
                "webhookEvent": "comment_created",
                "comment": {"id": "10877", "body": "Hi Sanne"},
            },
            "Jira webhookEvent 'comment_created' is no ticket lifecycle event",
        ),
        (
            "jira",
            {"timestamp": 1795167280020, "webhookEvent": "jira:issue_deleted", "issue": {}},
            "Jira webhookEvent 'jira:issue_deleted' is no ticket lifecycle event",
        ),
        (
            "zendesk",
            {
                "type": "zen:event-type:user.created",
                "id": "01JD1Z2B6N0V2X4Z6B8D0F2H4J",
                "detail": {"id": "20978392"},
            },
            "Zendesk event type 'zen:event-type:user.created' is no ticket event",
        ),
    ],
)
async def test_other_events_are_ignored_not_dead_lettered(
    client: TestClient,
    producer: MemoryProducer,
    source: str,
    document: dict[str, Any],
    reason: str,
) -> None:
    payload = json.dumps(document).encode()
    response = await client.post(
        endpoint(source), data=payload, headers=authenticated(source, payload)
    )
    assert response.status == 200
    assert await response.json() == {
        "stored": 0,
        "duplicates": 0,
        "event_ids": [],
        "ignored": reason,
    }
    assert producer.stored == []
    assert (
        await metric(client, "xlapulse_gateway_requests_total", outcome="ignored", source=source)
        == 1
    )
    assert (
        await metric(client, "xlapulse_gateway_requests_total", outcome="malformed", source=source)
        == 0
    )


# --- metrics, readiness, surveys --------------------------------------------------------


async def test_send_errors_are_counted_per_event_under_its_own_topic(
    client: TestClient, producer: MemoryProducer
) -> None:
    producer.failing = True
    response = await post_servicenow(client, "servicenow_update_reassigned_resolved.json")
    assert response.status == 503
    errors = "xlapulse_gateway_kafka_send_errors_total"
    assert await metric(client, errors, topic="xlapulse.tickets.v1") == 3
    assert await metric(client, errors, topic="xlapulse.survey-invitations.v1") == 1


async def test_a_failed_dead_letter_counts_on_the_dead_letter_topic(
    client: TestClient, producer: MemoryProducer
) -> None:
    producer.failing = True
    response = await client.post("/v1/webhooks/servicenow", data=b"{}", headers=bearer())
    assert response.status == 503
    errors = "xlapulse_gateway_kafka_send_errors_total"
    assert await metric(client, errors, topic="xlapulse.deadletter.v1") == 1


async def test_latency_histogram_per_source(client: TestClient) -> None:
    for name in ("servicenow_insert_assigned.json", "servicenow_update_reopened.json"):
        await post_servicenow(client, name)
    histogram = "xlapulse_gateway_request_duration_seconds"
    assert await metric(client, f"{histogram}_count", source="servicenow") == 2
    assert await metric(client, f"{histogram}_bucket", le="+Inf", source="servicenow") == 2
    assert 0 < await metric(client, f"{histogram}_sum", source="servicenow") < 5
    assert await metric(client, f"{histogram}_count", source="jira") == 0


async def test_ready_when_connected_and_kafka_answers(producer: MemoryProducer) -> None:
    listener = await asyncio.start_server(lambda _r, writer: writer.close(), "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    client = await start(producer, kafka_bootstrap=f"127.0.0.1:{port}")
    try:
        ready = await client.get("/ready")
        assert ready.status == 200 and await ready.json() == {"status": "ready"}
    finally:
        await client.close()
        listener.close()


async def test_survey_answer_to_an_invitation_about_a_journey_moment(
    client: TestClient, producer: MemoryProducer
) -> None:
    pseudonym = Pseudonymizer(KEY.encode()).user("CORP\\pjanssen")
    invitation = uuid.UUID("0b9c3f4e-52a1-5d7e-8f90-1a2b3c4d5e6f")
    answer = {
        "user_id": pseudonym,
        "score": 9,
        "journey_moment": "vpn_recovered",
        "invitation_id": str(invitation),
        "answered_at": "2026-11-20T17:02:10+01:00",
    }
    first = await client.post("/v1/surveys/answers", data=json.dumps(answer), headers=bearer())
    assert first.status == 200
    event = parse_event(producer.stored[0][1])
    assert (event.journey_moment, event.invitation_id, event.ticket_id) == (
        "vpn_recovered",
        invitation,
        None,
    )
    assert event.user_id == pseudonym  # arrives as a pseudonym, kept as it is
    assert event.event_id == uuid.uuid5(GATEWAY_NAMESPACE, f"survey|invitation|{invitation}")
    changed_mind = {**answer, "score": 3, "answered_at": "2026-11-20T17:05:00+01:00"}
    second = await client.post(
        "/v1/surveys/answers", data=json.dumps(changed_mind), headers=bearer()
    )
    assert (await second.json())["duplicates"] == 1  # one answer per invitation: the first
    assert len(producer.stored) == 1
