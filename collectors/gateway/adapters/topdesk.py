"""TOPdesk incidents (action-sequence webhooks carrying the REST incident) to ticket changes.

Reads ``{"trigger": "created"|"changed", "incident": <GET /tas/api/incidents/id/{id}>,
"previous": {...}}``. The incident's own flags carry most of the lifecycle, each with its
date: ``responded``/``responseDate`` (first contact), ``completed``/``completedDate``
(resolved), ``closed``/``closedDate``. Those dates are the dedup versions, so a later
delivery of the same completed incident maps to the same event ids. A hand-off and a
reopen need the previous values: ``previous.operatorGroup`` and ``previous.completed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from xlapulse.collectors.contract.events import TicketAction, TicketChannel
from xlapulse.collectors.gateway.adapters.lifecycle import (
    PayloadError,
    TicketChange,
    as_mapping,
    assignment_action,
    channel_from,
    optional_text,
    parse_time,
    require_text,
    unknown_caller,
)

SOURCE = "topdesk"

# entryType names (English and Dutch defaults).
CHANNELS: dict[str, TicketChannel] = {
    "phone": "phone",
    "telephone": "phone",
    "telefoon": "phone",
    "telefonisch": "phone",
    "e-mail": "email",
    "email": "email",
    "mail": "email",
    "self service portal": "portal",
    "self-service portal": "portal",
    "selfservice": "portal",
    "portal": "portal",
    "chat": "chat",
    "walk-in": "walk_in",
    "balie": "walk_in",
    "desk": "walk_in",
    "automation": "monitoring",
    "monitoring": "monitoring",
    "event": "monitoring",
}


def changes(document: Mapping[str, Any]) -> list[TicketChange]:
    """Lifecycle steps in one action-sequence delivery."""
    incident = as_mapping(document.get("incident"), "incident")
    previous = as_mapping(document.get("previous"), "previous", optional=True)
    trigger = document.get("trigger")
    if trigger not in ("created", "changed"):
        raise PayloadError(f"trigger must be 'created' or 'changed', got {trigger!r}")
    modified_at = parse_time(incident.get("modificationDate"), "incident.modificationDate")
    steps: list[tuple[TicketAction, datetime, str]] = []
    if trigger == "created":
        steps.append(("created", _created_at(incident), ""))
    group_before = _name(previous, "operatorGroup", "previous") if trigger == "changed" else None
    if trigger == "created" or "operatorGroup" in previous:
        group = _name(incident, "operatorGroup", "incident")
        assignment = assignment_action(group_before, group)
        if assignment:
            steps.append((assignment, modified_at, str(incident["modificationDate"])))
    steps.extend(_flag_steps(incident, previous))
    return [_change(action, incident, at, version) for action, at, version in steps]


def _flag_steps(
    incident: Mapping[str, Any], previous: Mapping[str, Any]
) -> list[tuple[TicketAction, datetime, str]]:
    steps: list[tuple[TicketAction, datetime, str]] = []
    for flag, date_key, action in (
        ("responded", "responseDate", "first_contact"),
        ("completed", "completedDate", "resolved"),
        ("closed", "closedDate", "closed"),
    ):
        if incident.get(flag) is True:
            date_text = incident.get(date_key)
            steps.append((action, parse_time(date_text, f"incident.{date_key}"), str(date_text)))
    if previous.get("completed") is True and incident.get("completed") is False:
        modified = incident.get("modificationDate")
        steps.append(("reopened", parse_time(modified, "incident.modificationDate"), str(modified)))
    return steps


def _change(
    action: TicketAction, incident: Mapping[str, Any], at: datetime, version: str
) -> TicketChange:
    target, completed = incident.get("targetDate"), incident.get("completedDate")
    breached = None
    if target and completed:
        breached = parse_time(completed, "completedDate") > parse_time(target, "targetDate")
    return TicketChange(
        action=action,
        ticket_id=require_text(incident, "number", "incident"),
        user_identity=_caller_identity(incident),
        occurred_at=at,
        version=version,
        channel=channel_from(_name(incident, "entryType", "incident"), CHANNELS),
        category=_name(incident, "category", "incident") or "",
        assignment_group=_name(incident, "operatorGroup", "incident"),
        priority=_priority(_name(incident, "priority", "incident")),
        sla_breached=breached,
        vendor_status=_name(incident, "processingStatus", "incident"),
    )


def _created_at(incident: Mapping[str, Any]) -> datetime:
    return parse_time(incident.get("callDate") or incident.get("creationDate"), "incident.callDate")


def _caller_identity(incident: Mapping[str, Any]) -> str:
    """The caller's email or person id; an unregistered caller (a name only, TOPdesk's
    ``dynamicName``) or none at all is the source's unknown caller."""
    caller = as_mapping(incident.get("caller"), "incident.caller", optional=True)
    for key in ("email", "id"):
        identity = optional_text(caller.get(key), f"incident.caller.{key}")
        if identity:
            return identity
    return unknown_caller(SOURCE)


def _name(parent: Mapping[str, Any], key: str, what: str) -> str | None:
    """The ``name`` of a TOPdesk reference field (``{"id", "name"}``); None when it is null."""
    reference = as_mapping(parent.get(key), f"{what}.{key}", optional=True)
    return optional_text(reference.get("name"), f"{what}.{key}.name")


def _priority(name: str | None) -> int | None:
    """``P1``..``P5`` or a name starting with the digit (``1 - Critical``)."""
    digits = [char for char in (name or "") if char.isdigit()]
    return int(digits[0]) if digits and 1 <= int(digits[0]) <= 5 else None
