"""Each vendor adapter on samples in the vendor's documented shape (tests/data/itsm), and on
every wrong-typed variant of them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from xlapulse.collectors.contract.codec import encode_event, parse_event
from xlapulse.collectors.contract.events import TicketEvent
from xlapulse.collectors.gateway.adapters import ADAPTERS
from xlapulse.collectors.gateway.adapters.lifecycle import (
    IgnoredEvent,
    PayloadError,
    TicketChange,
    ticket_events,
    unknown_caller,
    vendor_ticket_events,
)
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
        "generic:homegrown-desk",
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
        for clear in (
            b"@example",
            b"tuter",
            b"jansen",
            b"sanne",
            b"06-1234",
            b"lotte",
            b"janssen",
            b"krystof",
            b"bakker",
            b"kees",
        ):
            assert clear not in wire.lower()


def test_retried_delivery_has_the_same_event_ids() -> None:
    first = [e.event_id for e in mapped("jira", "jira_issue_updated_resolved.json")]
    assert first == [e.event_id for e in mapped("jira", "jira_issue_updated_resolved.json")]


@pytest.mark.parametrize(
    ("source", "document", "reason"),
    [
        ("servicenow", {"operation": "delete", "record": {}}, "operation must be"),
        ("servicenow", {"operation": "insert", "record": {"number": "INC1"}}, "sys_updated_on"),
        ("topdesk", {"trigger": "changed"}, "incident must be a JSON object"),
        ("jira", {"webhookEvent": 7}, "webhookEvent must be a string, got number"),
        ("zendesk", {"detail": {}}, "type must be a string, got null"),
        ("generic", {"ticket_id": "1"}, "source_system"),
    ],
)
def test_malformed_payloads_say_why(source: str, document: dict[str, Any], reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        ADAPTERS[source].map_payload(document)


# --- close, reopen and hand-off on every vendor ------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("servicenow_update_closed.json", [("closed", "Network", "phone")]),
        (
            "topdesk_changed_closed.json",  # flags still set repeat their earlier ids
            [
                ("first_contact", "Software", "phone"),
                ("resolved", "Software", "phone"),
                ("closed", "Software", "phone"),
            ],
        ),
        (
            "topdesk_changed_reopened.json",
            [("first_contact", "Software", "phone"), ("reopened", "Software", "phone")],
        ),
        ("jira_issue_updated_closed.json", [("closed", "Report a printer problem", "portal")]),
        ("jira_issue_updated_reopened.json", [("reopened", "Report a printer problem", "portal")]),
        (
            "jira_issue_updated_reassigned.json",
            [("reassigned", "Report a printer problem", "portal")],
        ),
        ("zendesk_status_changed_closed.json", [("closed", "INCIDENT", "portal")]),
        ("generic_closed.json", [("closed", "network", "phone")]),
    ],
)
def test_close_reopen_and_hand_off(name: str, expected: list[tuple[str, str, str]]) -> None:
    events = mapped(name.split("_")[0], name)
    assert [(event.action, event.category, event.channel) for event in events] == expected


def test_close_and_reopen_details() -> None:
    (closed,) = mapped("servicenow", "servicenow_update_closed.json")
    assert (closed.vendor_status, closed.assignment_group) == ("Closed", "Workplace Second Line")
    assert closed.event_time.isoformat() == "2026-11-23T14:40:12+00:00"
    (handed_off,) = mapped("jira", "jira_issue_updated_reassigned.json")
    assert handed_off.assignment_group == "Network Support"  # the team, not the agent
    (jira_closed,) = mapped("jira", "jira_issue_updated_closed.json")
    assert (jira_closed.vendor_status, jira_closed.sla_breached) == ("Closed", True)
    reopened = mapped("topdesk", "topdesk_changed_reopened.json")[-1]
    assert reopened.event_time.isoformat() == "2026-11-22T08:27:51+00:00"
    assert reopened.vendor_status == "In progress"


def test_topdesk_close_repeats_the_ids_of_earlier_steps() -> None:
    """The closed delivery still carries responded/completed: same ids, dropped as duplicates."""
    earlier = {e.action: e.event_id for e in mapped("topdesk", "topdesk_changed_completed.json")}
    closed = {e.action: e.event_id for e in mapped("topdesk", "topdesk_changed_closed.json")}
    assert closed["first_contact"] == earlier["first_contact"]
    assert closed["resolved"] == earlier["resolved"]
    assert closed["closed"] not in earlier.values()


# --- events that are no lifecycle step -------------------------------------------


@pytest.mark.parametrize(
    ("source", "document", "reason"),
    [
        ("jira", {"webhookEvent": "comment_created", "comment": {}}, "'comment_created' is no"),
        ("jira", {"webhookEvent": "jira:issue_deleted", "issue": {}}, "'jira:issue_deleted' is"),
        ("zendesk", {"type": "zen:event-type:user.created"}, "'zen:event-type:user.created'"),
    ],
)
def test_other_webhook_events_are_ignored(
    source: str, document: dict[str, Any], reason: str
) -> None:
    with pytest.raises(IgnoredEvent, match=reason):
        ADAPTERS[source].map_payload(document)


# --- the generic format cannot speak for another source ------------------------------


def test_generic_source_system_is_namespaced() -> None:
    """A generic sender naming itself 'servicenow' gets neither the name nor its event ids."""
    servicenow_created = mapped("servicenow", "servicenow_insert_assigned.json")[0]
    document = {
        "source_system": "servicenow",
        "ticket_id": servicenow_created.ticket_id,
        "action": "created",
        "occurred_at": "2026-11-20T09:02:11+00:00",
        "user": "abel.tuter@example.com",
    }
    source, changes = ADAPTERS["generic"].map_payload(document)
    (impostor,) = ticket_events(source, changes, PSEUDONYMS)
    assert impostor.source_system == "generic:servicenow"
    assert impostor.event_id != servicenow_created.event_id


# --- wrong-typed payloads are PayloadErrors, never crashes ---------------------------

WRONG_VALUES: tuple[Any, ...] = ("x", "", 7, -1, 10**20, 1e308, True, None, [], ["x"], {}, {"x": 1})
VENDOR_SAMPLES = [name for name in TICKET_SAMPLES if name.split("_")[0] != "generic"]


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every value inside ``node`` (object keys and array indexes)."""
    children = node.items() if isinstance(node, dict) else enumerate(node)
    for key, child in children:
        yield (*prefix, key)
        if isinstance(child, dict | list):
            yield from paths(child, (*prefix, key))


def container(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        document = document[key]
    return document


def wrong_value_crashes(document: Any, mapping: Callable[[Any], object]) -> list[str]:
    """``mapping`` run on ``document`` with each value replaced in turn by each wrong-typed
    value; what it raised other than PayloadError, ValidationError or IgnoredEvent."""
    crashes = []
    for path in list(paths(document)):
        parent = container(document, path)
        original = parent[path[-1]]
        for wrong in WRONG_VALUES:
            parent[path[-1]] = wrong
            try:
                mapping(document)
            except (PayloadError, ValidationError, IgnoredEvent):
                pass
            except Exception as error:  # every other error is the finding
                crashes.append(f"{path} = {wrong!r}: {type(error).__name__}: {error}")
        parent[path[-1]] = original
    return crashes


@pytest.mark.parametrize("name", VENDOR_SAMPLES)
def test_every_wrong_typed_value_is_a_payload_error(name: str) -> None:
    """Each value of the sample, replaced in turn by each wrong-typed value, maps or raises
    PayloadError (or a contract ValidationError, or IgnoredEvent for another webhookEvent):
    the adapter's own readers catch it, without the net of vendor_ticket_events."""
    adapter = ADAPTERS[name.split("_")[0]]
    crashes = wrong_value_crashes(
        sample(name), lambda document: ticket_events(*adapter.map_payload(document), PSEUDONYMS)
    )
    assert not crashes, "\n".join(crashes[:20])


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
            "jira_issue_created.json",
            ("issue", "fields", "priority", "name"),
            ["High"],
            "issue.fields.priority.name must be a string, got array",
        ),
        (
            "jira",
            "jira_issue_updated_commented.json",
            ("comment", "author"),
            "Mia Krystof",
            "comment.author must be a JSON object, got string",
        ),
        (
            "jira",
            "jira_issue_updated_resolved.json",
            ("issue", "fields", "customfield_10030", "completedCycles"),
            "none",
            "issue.fields.customfield_10030.completedCycles must be a JSON array, got string",
        ),
        (
            "jira",
            "jira_issue_updated_resolved.json",
            ("timestamp",),
            10**20,
            "timestamp is not a timestamp: epoch ms out of range",
        ),
        (
            "jira",
            "jira_issue_updated_reassigned.json",
            ("changelog", "items", 1, "toString"),
            {"name": "Network Support"},
            "changelog.items[1].toString must be a string, got object",
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
            "zendesk_ticket_created.json",
            ("detail", "via", "channel"),
            ["web"],
            "detail.via.channel must be a string, got array",
        ),
        (
            "topdesk",
            "topdesk_changed_completed.json",
            ("incident", "operatorGroup"),
            "Werkplekbeheer",
            "incident.operatorGroup must be a JSON object, got string",
        ),
        (
            "servicenow",
            "servicenow_update_reassigned_resolved.json",
            ("record", "state"),
            {"value": ["6"]},
            "record.state.value must be a string, got array",
        ),
    ],
)
def test_wrong_types_are_named_by_path(
    source: str, name: str, path: tuple[Any, ...], wrong: Any, reason: str
) -> None:
    document = sample(name)
    container(document, path)[path[-1]] = wrong
    with pytest.raises(PayloadError) as raised:
        ADAPTERS[source].map_payload(document)
    assert raised.value.reason == reason


def test_an_absent_list_or_object_is_empty_not_malformed() -> None:
    document = sample("jira_issue_updated_resolved.json")
    document["issue"]["fields"]["customfield_10030"]["completedCycles"] = None
    document["issue"]["fields"]["priority"] = None
    source, changes = ADAPTERS["jira"].map_payload(document)
    (event,) = ticket_events(source, changes, PSEUDONYMS)
    assert (event.action, event.priority, event.sla_breached) == ("resolved", None, None)


def test_unexpected_shape_names_the_adapter_not_the_payload() -> None:
    """The net under the typed readers: the original message (it may quote input) is gone."""
    payload: dict[str, Any] = {"priority": "Jan Jansen"}

    def trips_over_the_shape(document: Mapping[str, Any]) -> tuple[str, list[TicketChange]]:
        return document["priority"].get("name")

    def refuses(_document: Mapping[str, Any]) -> tuple[str, list[TicketChange]]:
        raise PayloadError("issue.key is missing or empty")

    with pytest.raises(PayloadError) as raised:
        vendor_ticket_events("jira", trips_over_the_shape, payload, PSEUDONYMS)
    assert (
        raised.value.reason
        == "jira payload has an unexpected shape (AttributeError in its adapter)"
    )
    with pytest.raises(PayloadError) as raised:
        vendor_ticket_events("jira", refuses, payload, PSEUDONYMS)
    assert raised.value.reason == "issue.key is missing or empty"  # kept, not wrapped


# --- callers the service desk does not know, and Jira Server's priorities ----------


def test_topdesk_unregistered_caller_is_the_unknown_caller_not_a_rejection() -> None:
    document = sample("topdesk_created.json")  # the documented incident, caller unregistered
    document["incident"]["caller"] = {"id": None, "dynamicName": "Jansen, Jan", "email": ""}
    source_system, changes = ADAPTERS["topdesk"].map_payload(document)
    (created, *_) = ticket_events(source_system, changes, PSEUDONYMS)
    assert created.action == "created"
    assert created.user_id == PSEUDONYMS.user(unknown_caller("topdesk"))
    assert created.user_id != PSEUDONYMS.user("Jansen, Jan")  # the name is not an identity


def test_servicenow_empty_caller_is_the_unknown_caller() -> None:
    document = sample("servicenow_insert_assigned.json")
    record = document["record"]
    record["caller_id"] = {"display_value": "", "link": "", "value": ""}
    record["caller_id.email"] = {"display_value": "", "value": ""}
    events = ticket_events(*ADAPTERS["servicenow"].map_payload(document), PSEUDONYMS)
    assert summary(events) == [("created", "Network"), ("assigned", "Network")]
    assert {e.user_id for e in events} == {PSEUDONYMS.user(unknown_caller("servicenow"))}
    assert unknown_caller("servicenow") != unknown_caller("topdesk")  # one per source


@pytest.mark.parametrize(
    ("name", "priority"),
    [("Blocker", 1), ("Critical", 2), ("Major", 3), ("Minor", 4), ("Trivial", 5), ("High", 2)],
)
def test_jira_server_priority_scheme(name: str, priority: int) -> None:
    document = sample("jira_issue_created.json")
    document["issue"]["fields"]["priority"] = {"name": name, "id": "3"}
    source_system, changes = ADAPTERS["jira"].map_payload(document)
    assert {e.priority for e in ticket_events(source_system, changes, PSEUDONYMS)} == {priority}
