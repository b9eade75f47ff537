"""The gateway on the real Kafka: a webhook becomes the right contract event on its topic,
retries are de-duplicated, malformed payloads are dead-lettered, and with Kafka down the
gateway answers 503 and acknowledges nothing that was not stored; a gateway started while
Kafka is down serves 503 and becomes ready by itself once Kafka is back.

The gateway runs as ``xlapulse gateway`` in a subprocess, as in production.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer

from tests.shared_helpers import free_port, wait_until
from xlapulse.collectors.contract.codec import parse_event
from xlapulse.collectors.contract.topics import (
    DEAD_LETTER_TOPIC,
    HEADER_DEAD_LETTER_REASON,
    HEADER_DEAD_LETTER_SOURCE,
    SURVEY_INVITATIONS_TOPIC,
    SURVEYS_TOPIC,
    TICKETS_TOPIC,
)
from xlapulse.collectors.delivery.topics_admin import ensure_topics
from xlapulse.collectors.gateway.auth import sign_hex
from xlapulse.collectors.privacy import Pseudonymizer

from .conftest import Services
from .gateway_process import GatewayProcess

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[1] / "data" / "itsm"
KEY = "integration-test-pseudonym-key-0123"
SECRET = "jira-webhook-secret-for-integration"
TOKEN = "bearer-token-for-integration"
PARTITIONS = 3


def start_gateway(services: Services, log_dir: Path) -> GatewayProcess:
    port = free_port()
    return GatewayProcess(
        {
            "XLAPULSE_KAFKA_BOOTSTRAP": services.kafka_bootstrap,
            "XLAPULSE_PSEUDONYM_KEY": KEY,
            "XLAPULSE_GATEWAY_PORT": str(port),
            "XLAPULSE_GATEWAY_JIRA_SECRET": SECRET,
            "XLAPULSE_GATEWAY_SURVEY_TOKEN": TOKEN,
            "XLAPULSE_GATEWAY_ACK_TIMEOUT_S": "3",
            "XLAPULSE_GATEWAY_RETRY_AFTER_S": "2",
        },
        log_dir / f"gateway-{port}.log",
        port,
    )


@pytest.fixture(scope="module")
def gateway(
    services: Services, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    ensure_topics(services.kafka_bootstrap, PARTITIONS)
    process = start_gateway(services, tmp_path_factory.mktemp("gateway"))
    try:
        wait_until(lambda: process.status("/ready") == 200, 60, "the gateway to be ready")
        yield process
    finally:
        process.stop()


def jira_resolved(issue_key: str) -> bytes:
    document = json.loads((DATA / "jira_issue_updated_resolved.json").read_text())
    document["issue"]["key"] = issue_key
    return json.dumps(document).encode()


def jira_headers(body: bytes) -> dict[str, str]:
    return {"X-Hub-Signature": sign_hex(SECRET, body)}


def read_topic(bootstrap: str, topic: str, wanted: set[str], timeout_s: float = 30) -> list[Any]:
    """Records of ``topic`` whose event id (or dead-letter ticket key) is in ``wanted``."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=2000,
    )
    found: list[Any] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for record in consumer:
                if any(key.encode() in record.value for key in wanted):
                    found.append(record)
            if {key for key in wanted if any(key.encode() in r.value for r in found)} == wanted:
                break
    finally:
        consumer.close()
    return found


def test_webhook_becomes_a_ticket_event_and_an_invitation(
    gateway: GatewayProcess, services: Services
) -> None:
    issue_key = f"IT-{uuid.uuid4().hex[:8]}"
    body = jira_resolved(issue_key)
    status, _headers, result = gateway.post("/v1/webhooks/jira", body, jira_headers(body))
    assert status == 200 and result["stored"] == 2
    ticket_id, invitation_id = result["event_ids"]

    (record,) = read_topic(services.kafka_bootstrap, TICKETS_TOPIC, {ticket_id})
    event = parse_event(record.value)
    assert event.event_type == "ticket"
    assert (event.ticket_id, event.action, event.source_system) == (issue_key, "resolved", "jira")
    assert event.user_id == Pseudonymizer(KEY.encode()).user("sanne.devries@example.com")
    assert record.key == event.user_id.encode()
    assert b"sanne" not in record.value.lower()

    (invite,) = read_topic(services.kafka_bootstrap, SURVEY_INVITATIONS_TOPIC, {invitation_id})
    invitation = parse_event(invite.value)
    assert (invitation.trigger, invitation.ticket_id) == ("ticket_resolved", issue_key)


def test_retried_delivery_is_stored_once(gateway: GatewayProcess, services: Services) -> None:
    body = jira_resolved(f"IT-{uuid.uuid4().hex[:8]}")
    first = gateway.post("/v1/webhooks/jira", body, jira_headers(body))
    again = gateway.post("/v1/webhooks/jira", body, jira_headers(body))
    assert (first[0], again[0]) == (200, 200)
    assert again[2]["duplicates"] == 2 and again[2]["stored"] == 0
    ticket_id = first[2]["event_ids"][0]
    records = read_topic(services.kafka_bootstrap, TICKETS_TOPIC, {ticket_id}, timeout_s=10)
    assert len(records) == 1


def test_survey_answer_reaches_the_survey_topic(
    gateway: GatewayProcess, services: Services
) -> None:
    document = json.loads((DATA / "survey_answer.json").read_text())
    document["ticket_id"] = f"HD-{uuid.uuid4().hex[:8]}"
    status, _headers, result = gateway.post(
        "/v1/surveys/answers", json.dumps(document).encode(), {"Authorization": f"Bearer {TOKEN}"}
    )
    assert status == 200
    (record,) = read_topic(services.kafka_bootstrap, SURVEYS_TOPIC, set(result["event_ids"]))
    answer = parse_event(record.value)
    assert (answer.score, answer.ticket_id) == (4, document["ticket_id"])
    assert b"corp.example" not in record.value and b"11223344" not in record.value


def test_malformed_payload_is_dead_lettered(gateway: GatewayProcess, services: Services) -> None:
    marker = f"IT-{uuid.uuid4().hex[:8]}"
    body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"key": marker}}).encode()
    status, _headers, result = gateway.post("/v1/webhooks/jira", body, jira_headers(body))
    assert status == 400 and "issue.fields" in result["error"]
    (record,) = read_topic(services.kafka_bootstrap, DEAD_LETTER_TOPIC, {marker})
    headers = dict(record.headers)
    assert headers[HEADER_DEAD_LETTER_SOURCE] == b"gateway:jira"
    assert b"issue.fields" in headers[HEADER_DEAD_LETTER_REASON]


def test_wrong_typed_payload_is_dead_lettered_and_other_events_ignored(
    gateway: GatewayProcess, services: Services
) -> None:
    marker = f"IT-{uuid.uuid4().hex[:8]}"
    fields = {"reporter": {"emailAddress": "sanne.devries@example.com"}, "priority": "High"}
    document = {
        "timestamp": 1795167280020,
        "webhookEvent": "jira:issue_created",
        "issue": {"key": marker, "fields": fields},
    }
    body = json.dumps(document).encode()
    status, _headers, result = gateway.post("/v1/webhooks/jira", body, jira_headers(body))
    assert (status, result["error"]) == (
        400,
        "issue.fields.priority must be a JSON object, got string",
    )
    (record,) = read_topic(services.kafka_bootstrap, DEAD_LETTER_TOPIC, {marker})
    assert b"sanne" not in record.value.lower()
    ignored = json.dumps({"timestamp": 1795167280020, "webhookEvent": "comment_created"}).encode()
    status, _headers, result = gateway.post("/v1/webhooks/jira", ignored, jira_headers(ignored))
    assert status == 200 and result["stored"] == 0 and "comment_created" in result["ignored"]


def test_kafka_down_gives_503_and_nothing_unstored_is_acknowledged(
    gateway: GatewayProcess, services: Services, tmp_path: Path
) -> None:
    services.control("stop", "kafka")
    late_starter: GatewayProcess | None = None
    try:
        try:
            assert_refused_while_kafka_is_down(gateway)
            late_starter = start_gateway(services, tmp_path)  # starts while Kafka is down
            wait_until(lambda: late_starter.status("/health") == 200, 30, "the late starter")
            assert_refused_while_kafka_is_down(late_starter)
        finally:
            services.control("start", "kafka")
        wait_until(lambda: gateway.status("/ready") == 200, 60, "readiness after Kafka is back")
        wait_until(lambda: late_starter.status("/ready") == 200, 60, "late starter readiness")
        answered = {post_until_stored(process) for process in (gateway, late_starter, gateway)}
    finally:
        if late_starter is not None:
            late_starter.stop()
    stored = read_topic(services.kafka_bootstrap, TICKETS_TOPIC, answered)
    assert {str(parse_event(record.value).event_id) for record in stored} >= answered


def assert_refused_while_kafka_is_down(process: GatewayProcess) -> None:
    started = time.monotonic()
    for _attempt in range(3):
        body = jira_resolved(f"IT-{uuid.uuid4().hex[:8]}")
        status, headers, result = process.post("/v1/webhooks/jira", body, jira_headers(body))
        assert status == 503, result
        assert int(headers["Retry-After"]) >= 1
    assert time.monotonic() - started < 15  # the ack timeout bounds the wait
    assert process.status("/ready") == 503


def post_until_stored(process: GatewayProcess) -> str:
    """What a vendor does: retry after Retry-After until a 2xx; the ticket event's id."""
    body = jira_resolved(f"IT-{uuid.uuid4().hex[:8]}")
    deadline = time.monotonic() + 60
    while True:
        status, headers, result = process.post("/v1/webhooks/jira", body, jira_headers(body))
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(int(headers.get("Retry-After", "1")))
    assert status == 200, result
    return str(result["event_ids"][0])
