"""Each vendor adapter on samples in the vendor's documented shape (tests/data/itsm)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from xlapulse.collectors.contract.codec import encode_event, parse_event
from xlapulse.collectors.contract.events import TicketEvent
from xlapulse.collectors.gateway.adapters import ADAPTERS
from xlapulse.collectors.gateway.adapters.lifecycle import PayloadError, ticket_events
from xlapulse.collectors.privacy import Pseudonymizer

DATA = Path(__file__).resolve().parents[1] / "data" / "itsm"
KEY = b"gateway-unit-test-key-0123456789"
PSEUDONYMS = Pseudonymizer(KEY)


def sample(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


def mapped(source: str, name: str) -> list[TicketEvent]:
    source_system, changes = ADAPTERS[source].map_payload(sample(name))
    return ticket_events(source_system, changes, PSEUDONYMS)


def summary(events: list[TicketEvent]) -> list[tuple[str, str | None]]:
    return [(event.action, event.assignment_group) for event in events]


def test_servicenow_insert_is_created_and_assigned() -> None:
    events = mapped("servicenow", "servicenow_insert_assigned.json")
    assert summary(events) == [("created", "Network"), ("assigned", "Network")]
    first = events[0]
    assert first.ticket_id == "INC0010042"
    assert first.user_id == PSEUDONYMS.user("abel.tuter@example.com")
    assert (first.channel, first.category, first.priority) == ("phone", "Network", 2)
    assert first.sla_breached is False and first.vendor_status == "New"
    assert first.event_time.isoformat() == "2026-11-20T09:02:11+00:00"  # value, UTC


def test_servicenow_update_reassigned_replied_and_resolved() -> None:
    events = mapped("servicenow", "servicenow_update_reassigned_resolved.json")
    assert summary(events) == [
        ("reassigned", "Workplace Second Line"),
        ("first_contact", "Workplace Second Line"),
        ("resolved", "Workplace Second Line"),
    ]
    assert all(event.sla_breached is True for event in events)  # made_sla=false


def test_servicenow_reopen_in_plain_value_form() -> None:
    events = mapped("servicenow", "servicenow_update_reopened.json")
    assert [event.action for event in events] == ["reopened"]
    assert events[0].channel == "portal"
    assert events[0].assignment_group == "8a4dde73c6112278017a6a4baf547aa7"  # no display value


def test_topdesk_created_from_phone() -> None:
    events = mapped("topdesk", "topdesk_created.json")
    assert summary(events) == [("created", "Servicedesk"), ("assigned", "Servicedesk")]
    assert events[0].ticket_id == "I 2611 042"
    assert (events[0].channel, events[0].category, events[0].priority) == ("phone", "Software", 2)
    assert events[0].user_id == PSEUDONYMS.user("jan.jansen@example.nl")


def test_topdesk_completed_hand_off_reply_and_resolution() -> None:
    events = mapped("topdesk", "topdesk_changed_completed.json")
    assert summary(events) == [
        ("reassigned", "Werkplekbeheer"),
        ("first_contact", "Werkplekbeheer"),
        ("resolved", "Werkplekbeheer"),
    ]
    resolved = events[2]
    assert resolved.event_time.isoformat() == "2026-11-21T11:02:45+00:00"
    assert resolved.sla_breached is True  # completed after targetDate
    assert resolved.vendor_status == "Completed"


def test_topdesk_redelivery_of_a_completed_incident_has_the_same_ids() -> None:
    document = sample("topdesk_changed_completed.json")
    document["previous"] = {}
    document["incident"]["modificationDate"] = "2026-11-22T08:00:00.000+0000"  # a later note
    source, changes = ADAPTERS["topdesk"].map_payload(document)
    again = {e.action: e.event_id for e in ticket_events(source, changes, PSEUDONYMS)}
    first = {e.action: e.event_id for e in mapped("topdesk", "topdesk_changed_completed.json")}
    assert again == {action: first[action] for action in ("first_contact", "resolved")}


def test_jira_created_with_request_type() -> None:
    (event,) = mapped("jira", "jira_issue_created.json")
    assert (event.action, event.ticket_id, event.channel) == ("created", "ITSD-231", "portal")
    assert event.category == "Report a printer problem"
    assert event.priority == 2 and event.sla_breached is False
    assert event.user_id == PSEUDONYMS.user("sanne.devries@example.com")
    assert event.event_time.isoformat() == "2026-11-20T09:21:33.470000+00:00"


def test_jira_assignee_and_team_change_is_one_assignment() -> None:
    events = mapped("jira", "jira_issue_updated_assigned.json")
    assert summary(events) == [("assigned", "Print and Scan")]


def test_jira_public_agent_comment_is_first_contact() -> None:
    assert summary(mapped("jira", "jira_issue_updated_commented.json")) == [("first_contact", None)]


def test_jira_reporter_comment_is_not_first_contact() -> None:
    document = sample("jira_issue_updated_commented.json")
    document["comment"]["author"] = document["issue"]["fields"]["reporter"]
    assert ADAPTERS["jira"].map_payload(document)[1] == []


def test_jira_resolution_and_status_give_one_resolved_with_breached_sla() -> None:
    (event,) = mapped("jira", "jira_issue_updated_resolved.json")
    assert (event.action, event.vendor_status, event.sla_breached) == ("resolved", "Resolved", True)


def test_zendesk_lifecycle() -> None:
    assert summary(mapped("zendesk", "zendesk_ticket_created.json")) == [
        ("created", "group 360009876543"),
        ("assigned", "group 360009876543"),
    ]
    assert summary(mapped("zendesk", "zendesk_group_assignment_changed.json")) == [
        ("reassigned", "group 360005550001")
    ]
    assert [e.action for e in mapped("zendesk", "zendesk_comment_added.json")] == ["first_contact"]
    (solved,) = mapped("zendesk", "zendesk_status_changed_solved.json")
    assert (solved.action, solved.channel, solved.priority, solved.category) == (
        "resolved",
        "portal",
        2,
        "INCIDENT",
    )
    assert [e.action for e in mapped("zendesk", "zendesk_status_changed_reopened.json")] == [
        "reopened"
    ]


def test_generic_format() -> None:
    (event,) = mapped("generic", "generic_resolved.json")
    assert (event.source_system, event.action, event.channel) == (
        "homegrown-desk",
        "resolved",
        "walk_in",
    )
    assert event.user_id == PSEUDONYMS.user("CORP\\pjanssen")
    assert event.device_id == PSEUDONYMS.device("LT-AMS-0042")


TICKET_SAMPLES = sorted(p.name for p in DATA.glob("*.json") if not p.name.startswith("survey"))


@pytest.mark.parametrize("name", TICKET_SAMPLES)
def test_no_personal_data_reaches_the_event(name: str) -> None:
    """Every mapped event is a valid contract event without the sample's names or addresses."""
    source = name.split("_")[0]
    events = mapped(source, name)
    assert events
    for event in events:
        wire = encode_event(event)
        assert parse_event(wire) == event
        for clear in (b"@example", b"tuter", b"jansen", b"sanne", b"06-1234", b"lotte", b"janssen"):
            assert clear not in wire.lower()


def test_retried_delivery_has_the_same_event_ids() -> None:
    first = [e.event_id for e in mapped("jira", "jira_issue_updated_resolved.json")]
    assert first == [e.event_id for e in mapped("jira", "jira_issue_updated_resolved.json")]


@pytest.mark.parametrize(
    ("source", "document", "reason"),
    [
        ("servicenow", {"operation": "delete", "record": {}}, "operation must be"),
        ("servicenow", {"operation": "insert", "record": {"number": "INC1"}}, "caller identity"),
        ("topdesk", {"trigger": "changed"}, "incident must be a JSON object"),
        ("jira", {"webhookEvent": "comment_created", "issue": {"fields": {}}}, "unsupported"),
        ("zendesk", {"type": "zen:event-type:user.created"}, "unsupported Zendesk event"),
        ("generic", {"ticket_id": "1"}, "source_system"),
    ],
)
def test_malformed_payloads_say_why(source: str, document: dict[str, Any], reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        ADAPTERS[source].map_payload(document)
