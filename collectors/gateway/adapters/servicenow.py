"""ServiceNow incident records (business-rule outbound REST) to ticket changes.

Reads the JSON a business rule on ``incident`` (after insert/update) posts: the record in
Table API form (``sysparm_display_value=all``: ``{"display_value", "value"}`` per field, or
plain values), the caller's dot-walked ``caller_id.email``, the ``previous`` values of
``state`` and ``assignment_group``, and ``public_reply`` when an agent wrote an
additional comment (customer-visible). The rule script is in README.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from xlapulse.collectors.contract.events import TicketAction, TicketChannel
from xlapulse.collectors.gateway.adapters.lifecycle import (
    PayloadError,
    TicketChange,
    as_mapping,
    assignment_action,
    channel_from,
    optional_text,
    unknown_caller,
)

SOURCE = "servicenow"

# incident.state choices of the base system.
STATE_RESOLVED, STATE_CLOSED, STATE_CANCELED = "6", "7", "8"
DONE_STATES = frozenset({STATE_RESOLVED, STATE_CLOSED, STATE_CANCELED})

CHANNELS: dict[str, TicketChannel] = {
    "phone": "phone",
    "email": "email",
    "self-service": "portal",
    "walk-in": "walk_in",
    "chat": "chat",
    "virtual_agent": "chat",
    "monitoring": "monitoring",
    "event": "monitoring",
    "alert": "monitoring",
}


def changes(document: Mapping[str, Any]) -> list[TicketChange]:
    """Lifecycle steps in one business-rule delivery (none when nothing relevant changed)."""
    record = as_mapping(document.get("record"), "record")
    previous = as_mapping(document.get("previous"), "previous", optional=True)
    operation = document.get("operation")
    if operation not in ("insert", "update"):
        raise PayloadError(f"operation must be 'insert' or 'update', got {operation!r}")
    actions = _actions(operation, record, previous, document.get("public_reply") is True)
    return [_change(action, record) for action in actions]


def _actions(
    operation: str, record: Mapping[str, Any], previous: Mapping[str, Any], public_reply: bool
) -> list[TicketAction]:
    actions: list[TicketAction] = ["created"] if operation == "insert" else []
    if operation == "insert" or "assignment_group" in previous:
        group_before = _plain(previous.get("assignment_group"), "previous.assignment_group")
        assignment = assignment_action(group_before, value(record, "assignment_group"))
        if assignment:
            actions.append(assignment)
    if public_reply:
        actions.append("first_contact")
    state_before = _plain(previous.get("state"), "previous.state")
    state_now = value(record, "state")
    if operation == "update" and state_before and state_now != state_before:
        actions.extend(_state_actions(state_before, state_now))
    return actions


def _state_actions(before: str, now: str | None) -> list[TicketAction]:
    if now == STATE_RESOLVED:
        return ["resolved"]
    if now in (STATE_CLOSED, STATE_CANCELED):
        return ["closed"]
    if before in DONE_STATES and now:
        return ["reopened"]
    return []


def _change(action: TicketAction, record: Mapping[str, Any]) -> TicketChange:
    number = value(record, "number") or value(record, "sys_id")
    if not number:
        raise PayloadError("record.number is missing")
    identity = _caller_identity(record)
    priority = value(record, "priority")
    return TicketChange(
        action=action,
        ticket_id=number,
        user_identity=identity,
        occurred_at=_updated_on(record),
        version=value(record, "sys_mod_count") or "",
        channel=channel_from(value(record, "contact_type"), CHANNELS),
        category=display(record, "category") or "",
        assignment_group=display(record, "assignment_group"),
        priority=int(priority) if priority in ("1", "2", "3", "4", "5") else None,
        sla_breached=_sla_breached(record),
        vendor_status=display(record, "state"),
    )


def _caller_identity(record: Mapping[str, Any]) -> str:
    """``caller_id.email`` or ``caller_id.user_name``; an incident with an empty caller
    (created by an integration, or the caller not in sys_user) is the unknown caller."""
    for key in ("caller_id.email", "caller_id.user_name"):
        identity = value(record, key)
        if identity:
            return identity
    return unknown_caller(SOURCE)


def _sla_breached(record: Mapping[str, Any]) -> bool | None:
    """``made_sla`` as the Table API sends it (``"true"``/``"false"``) or as a JSON boolean."""
    made_sla = record.get("made_sla")
    if isinstance(made_sla, Mapping):
        made_sla = made_sla.get("value")
    if isinstance(made_sla, bool):
        return not made_sla
    text = optional_text(made_sla, "record.made_sla")
    return None if text not in ("true", "false") else text == "false"


def _updated_on(record: Mapping[str, Any]) -> datetime:
    text = value(record, "sys_updated_on")
    if not text:
        raise PayloadError("record.sys_updated_on is missing")
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise PayloadError(
            f"record.sys_updated_on is not 'YYYY-MM-DD HH:MM:SS': {text[:40]!r}"
        ) from None


def value(record: Mapping[str, Any], key: str) -> str | None:
    """The stored value of a field, whatever the Table API form."""
    return _plain(record.get(key), f"record.{key}")


def display(record: Mapping[str, Any], key: str) -> str | None:
    """The display value of a field when the record carries one, else its stored value."""
    field = record.get(key)
    if isinstance(field, Mapping):
        shown = optional_text(field.get("display_value"), f"record.{key}.display_value")
        if shown:
            return shown
    return _plain(field, f"record.{key}")


def _plain(field: Any, what: str) -> str | None:
    """A plain value, or the ``value`` of a ``{"display_value", "value"}`` pair."""
    if isinstance(field, Mapping):
        return optional_text(field.get("value"), f"{what}.value")
    return optional_text(field, what)
