"""Zendesk ticket event webhooks (``zen:event-type:ticket.*``) to ticket changes.

Reads the event schema of Zendesk webhooks: ``type``, ``id`` (unique per event, the dedup
version), ``time``, ``subject``, ``detail`` (the ticket: ``id``, ``status``, ``priority``,
``type``, ``group_id``, ``requester_id``, ``via.channel``) and ``event`` (``current`` and
``previous``, or ``comment`` for ``comment_added``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlapulse.collectors.contract.events import TicketAction, TicketChannel
from xlapulse.collectors.gateway.adapters.lifecycle import (
    PayloadError,
    TicketChange,
    as_mapping,
    assignment_action,
    channel_from,
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
    """Lifecycle steps in one event delivery (none for other ticket events)."""
    event_type = document.get("type")
    if not isinstance(event_type, str) or not event_type.startswith(EVENT_PREFIX):
        raise PayloadError(f"unsupported Zendesk event type {event_type!r}")
    detail = as_mapping(document.get("detail"), "detail")
    event = as_mapping(document.get("event") or {}, "event")
    actions = _actions(event_type.removeprefix(EVENT_PREFIX), event, detail)
    return [_change(action, group, document, detail) for action, group in actions]


def _actions(
    kind: str, event: Mapping[str, Any], detail: Mapping[str, Any]
) -> list[tuple[TicketAction, str | None]]:
    if kind == "created":
        group = _group_label(_text(detail.get("group_id")))
        return [("created", None), *([("assigned", group)] if group else [])]
    if kind == "group_assignment_changed":
        group = _group(event.get("current"))
        action = assignment_action(_group(event.get("previous")), group)
        return [(action, group)] if action else []
    if kind == "status_changed":
        return [(action, None) for action in _status_actions(event)]
    if kind == "comment_added":
        comment = as_mapping(event.get("comment") or {}, "event.comment")
        author = comment.get("author") or {}
        if comment.get("is_public") is True and author.get("is_staff") is True:
            return [("first_contact", None)]
    return []


def _status_actions(event: Mapping[str, Any]) -> list[TicketAction]:
    before = str(event.get("previous") or "").casefold()
    now = str(event.get("current") or "").casefold()
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
    requester = _text(detail.get("requester_id"))
    if not requester:
        raise PayloadError("detail.requester_id is missing")
    via = detail.get("via") or {}
    return TicketChange(
        action=action,
        ticket_id=require_text(detail, "id", "detail"),
        user_identity=f"zendesk:{requester}",
        occurred_at=parse_time(document.get("time"), "time"),
        version=require_text(document, "id", "event"),
        channel=channel_from(via.get("channel") if isinstance(via, Mapping) else None, CHANNELS),
        category=_text(detail.get("type")) or "",
        assignment_group=group or _group_label(_text(detail.get("group_id"))),
        priority=PRIORITIES.get(str(detail.get("priority") or "").casefold()),
        vendor_status=_text(detail.get("status")),
    )


def _group(value: Any) -> str | None:
    """A group as ``event.current``/``previous`` carry it: an id, or an object with a name."""
    if isinstance(value, Mapping):
        return _text(value.get("name")) or _group_label(_text(value.get("id")))
    return _group_label(_text(value))


def _group_label(group_id: str | None) -> str | None:
    return f"group {group_id}" if group_id and group_id != "0" else None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None
