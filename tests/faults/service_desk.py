"""A service desk posting ticket steps to the gateway's generic webhook, as the fault
suite's gateway test does: the body from a simulated ticket, retries after Retry-After,
and the event ids that reached the tickets topic.

Reads the gateway's answers and the tickets topic; writes HTTP requests to the gateway."""

from __future__ import annotations

import json
import time

from kafka import KafkaConsumer, TopicPartition

from tests.integration.gateway_process import GatewayProcess
from tests.integration.helpers import end_offsets
from xlapulse.collectors.contract.codec import parse_event
from xlapulse.collectors.contract.events import TicketEvent
from xlapulse.collectors.gateway.auth import sign_hex

#: The generic webhook's HMAC secret in the gateway test.
GENERIC_SECRET = "faults-generic-webhook-secret"


def generic_webhook_body(ticket: TicketEvent, user: str, device: str | None) -> bytes:
    """The ticket step as a service desk posts it to the generic webhook: the clear
    identities, the step's own id as the delivery id that a retry repeats."""
    return json.dumps(
        {
            "source_system": "faults-desk",
            "ticket_id": ticket.ticket_id,
            "action": ticket.action,
            "occurred_at": ticket.event_time.isoformat(),
            "user": user,
            "device": device,
            "channel": ticket.channel,
            "category": ticket.category,
            "assignment_group": ticket.assignment_group,
            "priority": ticket.priority,
            "sla_breached": ticket.sla_breached,
            "status": ticket.vendor_status,
            "delivery_id": str(ticket.event_id),
        }
    ).encode()


def event_ids_since(bootstrap: str, topic: str, start: dict[int, int]) -> list[str]:
    """The event ids of ``topic``'s records from the offsets ``start`` to its end."""
    ends = end_offsets(bootstrap, topic)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, partition) for partition in ends]
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, start.get(tp.partition, 0))
        ids: list[str] = []
        deadline = time.monotonic() + 30
        while sum(consumer.position(tp) for tp in partitions) < sum(ends.values()):
            assert time.monotonic() < deadline, "the topic's records within 30 s"
            for records in consumer.poll(timeout_ms=1000).values():
                ids += [str(parse_event(record.value).event_id) for record in records]
        return ids
    finally:
        consumer.close()


def post_as_a_service_desk(gateway: GatewayProcess, body: bytes) -> tuple[str, int]:
    """Post until a 2xx, waiting Retry-After between refusals (what ServiceNow's and
    Jira's webhook retries do): the stored event's id and the refusals on the way."""
    headers = {"X-Xlapulse-Signature": sign_hex(GENERIC_SECRET, body)}
    deadline = time.monotonic() + 120
    refused = 0
    while True:
        status, answer_headers, answer = gateway.post("/v1/webhooks/generic", body, headers)
        if status == 200 or time.monotonic() > deadline:
            break
        assert status == 503, answer
        assert int(answer_headers["Retry-After"]) >= 1
        refused += 1
        time.sleep(int(answer_headers["Retry-After"]))
    assert status == 200, answer
    return str(answer["event_ids"][0]), refused
