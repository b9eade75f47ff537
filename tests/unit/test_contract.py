"""The event contract: valid events round-trip, every defect is a clear ContractViolation."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from xlapulse.collectors.contract import (
    AppResponsivenessEvent,
    BootEvent,
    CallQualityEvent,
    ContractViolation,
    DirectoryAssignmentEvent,
    LogonEvent,
    PrintJobEvent,
    SurveyAnswerEvent,
    TicketEvent,
    VpnSessionEvent,
    encode_event,
    parse_event,
)
from xlapulse.collectors.contract.topics import (
    DIRECTORY_TOPIC,
    TELEMETRY_TOPIC,
    TICKETS_TOPIC,
    key_for,
    topic_for,
)

USER = "u_" + "a" * 32
DEVICE = "d_" + "b" * 32
WHEN = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
COMMON = {"event_time": WHEN, "user_id": USER}

ONE_OF_EACH = [
    BootEvent(**COMMON, device_id=DEVICE, boot_duration_ms=95_000, antivirus_scan_share_ratio=0.4),
    LogonEvent(**COMMON, device_id=DEVICE, logon_duration_ms=31_000, group_policy_duration_ms=9000),
    VpnSessionEvent(**COMMON, device_id=DEVICE, state="dropped", reason="peer unreachable"),
    AppResponsivenessEvent(**COMMON, device_id=DEVICE, kind="hang", app_name="OUTLOOK.EXE"),
    CallQualityEvent(
        **COMMON,
        device_id=DEVICE,
        call_id="c1",
        media="audio",
        direction="inbound",
        jitter_ms=35.0,
        packet_loss_ratio=0.02,
        round_trip_ms=120.0,
        dropped_segment=True,
    ),
    PrintJobEvent(**COMMON, device_id=DEVICE, outcome="failed", printer="PRN-2F", error_code=5),
    TicketEvent(
        **COMMON,
        ticket_id="INC0012345",
        action="reassigned",
        channel="phone",
        category="network",
        assignment_group="Network L2",
        source_system="servicenow",
    ),
    SurveyAnswerEvent(**COMMON, score=9, ticket_id="INC0012345", self_reported_lost_minutes=30),
    DirectoryAssignmentEvent(**COMMON, persona="field_worker", site="rotterdam", department="ops"),
]


@pytest.mark.parametrize("event", ONE_OF_EACH, ids=lambda e: e.event_type)
def test_every_event_type_round_trips(event) -> None:
    assert parse_event(encode_event(event)) == event


def test_topics_and_keys_keep_a_user_on_one_partition_key() -> None:
    topics = {event.event_type: topic_for(event) for event in ONE_OF_EACH}
    assert topics["logon"] == topics["print_job"] == TELEMETRY_TOPIC
    assert topics["ticket"] == TICKETS_TOPIC
    assert topics["directory_assignment"] == DIRECTORY_TOPIC
    assert {key_for(event) for event in ONE_OF_EACH} == {USER.encode()}


def _logon_document(**changes) -> bytes:
    document = json.loads(encode_event(ONE_OF_EACH[1]))
    document.update(changes)
    return json.dumps({k: v for k, v in document.items() if v is not None}).encode()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (_logon_document(schema_version=None), "schema_version missing"),
        (_logon_document(schema_version="2.0"), "2.0 is not supported"),
        (_logon_document(user_id="CORP\\jdoe"), "user_id: String should match pattern"),
        (_logon_document(device_id="LAPTOP-042"), "device_id: String should match pattern"),
        (
            _logon_document(event_time="2026-11-23T08:00:00"),
            "event_time: Input should have timezone",
        ),
        (_logon_document(logon_duration_ms=-1), "logon_duration_ms: Input should be greater"),
        (_logon_document(surprise="field"), "surprise: Extra inputs are not permitted"),
        (_logon_document(event_type="teleport"), "does not match any of the expected tags"),
        (b"{" + b" " * 70_000 + b"}", "above the 65536 limit"),
    ],
)
def test_defects_are_rejected_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(ContractViolation) as raised:
        parse_event(raw)
    assert reason in raised.value.reason


def test_minor_versions_of_the_same_major_are_read() -> None:
    assert parse_event(_logon_document(schema_version="1.7")).schema_version == "1.7"
