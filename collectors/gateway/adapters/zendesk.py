"""Zendesk ticket event webhooks (``zen:event-type:ticket.*``) to ticket changes.

Reads the event schema of Zendesk webhooks: ``type``, ``id`` (unique per event, the dedup
version), ``time``, ``subject``, ``detail`` (the ticket: ``id``, ``status``, ``priority``,
``type``, ``group_id``, ``requester_id``, ``via.channel``) and ``event`` (``current`` and
``previous``, or ``comment`` for ``comment_added``). Events outside ``ticket.*`` (user,
organization ...) are ignored, not malformed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlapulse.collectors.contract.events import TicketAction, TicketChannel
from xlapulse.collectors.gateway.adapters.lifecycle import (
    IgnoredEvent,
    PayloadError,
    TicketChange,
    as_mapping,
    assignment_action,
    channel_from,
    json_type,
    optional_bool,
    optional_text,
    parse_time,
    require_text,
)

SOURCE = "zendesk"
EVENT_PREFIX = "zen:event-type:ticket."

CHANNELS: dict[str, TicketChannel] = {
    "web": "portal",
    "web_form": "portal",
    "help_center": "portal",
    "email": "email",
    "mail": "email",
    "voice": "phone",
    "phone": "phone",
    "chat": "chat",
    "native_messaging": "chat",
    "messaging": "chat",
    "api": "other",
}
PRIORITIES = {"urgent": 1, "high": 2, "normal": 3, "low": 4}
RESOLVED, CLOSED = "solved", "closed"


def changes(document: Mapping[str, Any]) -> list[TicketChange]:
    """Lifecycle steps in one event delivery (none for other ticket events).

    Raises :class:`IgnoredEvent` for events that are not about a ticket.
    """
    event_type = document.get("type")
    if not isinstance(event_type, str):
        raise PayloadError(f"type must be a string, got {json_type(event_type)}")
    if not event_type.startswith(EVENT_PREFIX):
        raise IgnoredEvent(f"Zendesk event type {event_type[:80]!r} is no ticket event")
    detail = as_mapping(document.get("detail"), "detail")
    event = as_mapping(document.get("event"), "event", optional=True)
    actions = _actions(event_type.removeprefix(EVENT_PREFIX), event, detail)
    return [_change(action, group, document, detail) for action, group in actions]


def _actions(
    kind: str, event: Mapping[str, Any], detail: Mapping[str, Any]
) -> list[tuple[TicketAction, str | None]]:
    if kind == "created":
        group = _group_label(optional_text(detail.get("group_id"), "detail.group_id"))
        return [("created", None), *([("assigned", group)] if group else [])]
    if kind == "group_assignment_changed":
        group = _group(event.get("current"), "event.current")
        action = assignment_action(_group(event.get("previous"), "event.previous"), group)
        return [(action, group)] if action else []
    if kind == "status_changed":
        return [(action, None) for action in _status_actions(event)]
    if kind == "comment_added":
        comment = as_mapping(event.get("comment"), "event.comment", optional=True)
        author = as_mapping(comment.get("author"), "event.comment.author", optional=True)
        public = optional_bool(comment.get("is_public"), "event.comment.is_public")
        if public and optional_bool(author.get("is_staff"), "event.comment.author.is_staff"):
            return [("first_contact", None)]
    return []


def _status_actions(event: Mapping[str, Any]) -> list[TicketAction]:
    before = (optional_text(event.get("previous"), "event.previous") or "").casefold()
    now = (optional_text(event.get("current"), "event.current") or "").casefold()
    if now == RESOLVED:
        return ["resolved"]
    if now == CLOSED:
        return ["closed"]
    if before in (RESOLVED, CLOSED) and now:
        return ["reopened"]
    return []


def _change(
    action: TicketAction, group: str | None, document: Mapping[str, Any], detail: Mapping[str, Any]
) -> TicketChange:
    requester = optional_text(detail.get("requester_id"), "detail.requester_id")
    if not requester:
        raise PayloadError("detail.requester_id is missing")
    via = as_mapping(detail.get("via"), "detail.via", optional=True)
    priority = optional_text(detail.get("priority"), "detail.priority") or ""
    group_id = optional_text(detail.get("group_id"), "detail.group_id")
    return TicketChange(
        action=action,
        ticket_id=require_text(detail, "id", "detail"),
        user_identity=f"zendesk:{requester}",
        occurred_at=parse_time(document.get("time"), "time"),
        version=require_text(document, "id", "event"),
        channel=channel_from(optional_text(via.get("channel"), "detail.via.channel"), CHANNELS),
        category=optional_text(detail.get("type"), "detail.type") or "",
        assignment_group=group or _group_label(group_id),
        priority=PRIORITIES.get(priority.casefold()),
        vendor_status=optional_text(detail.get("status"), "detail.status"),
    )


def _group(value: Any, what: str) -> str | None:
    """A group as ``event.current``/``previous`` carry it: an id, or an object with a name."""
    if isinstance(value, Mapping):
        name = optional_text(value.get("name"), f"{what}.name")
        return name or _group_label(optional_text(value.get("id"), f"{what}.id"))
    return _group_label(optional_text(value, what))


def _group_label(group_id: str | None) -> str | None:
    return f"group {group_id}" if group_id and group_id != "0" else None
