"""Jira Service Management webhooks (``jira:issue_created``, ``jira:issue_updated``) to changes.

Reads the webhook body Jira sends: ``timestamp`` (epoch ms), ``webhookEvent``,
``issue_event_type_name``, ``issue`` (key and fields) and, on updates, ``changelog``
(``id`` and ``items`` with ``field``/``fromString``/``toString``) or ``comment``.
The changelog id is the dedup version of an update.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlapulse.collectors.contract.events import TicketAction
from xlapulse.collectors.gateway.adapters.lifecycle import (
    PayloadError,
    TicketChange,
    as_mapping,
    assignment_action,
    parse_time,
    require_text,
)

SOURCE = "jira"

CLOSED_STATUSES = frozenset({"closed", "canceled", "cancelled", "declined"})
RESOLVED_STATUSES = frozenset({"resolved", "done", "completed"})
GROUP_FIELDS = frozenset({"assignment group", "team", "group"})
PRIORITIES = {"highest": 1, "high": 2, "medium": 3, "low": 4, "lowest": 5}
REQUEST_TYPE_FIELD = "customfield_10010"  # JSM "Customer Request Type" on Jira Cloud


def changes(document: Mapping[str, Any]) -> list[TicketChange]:
    """Lifecycle steps in one webhook delivery (none for events that are not lifecycle)."""
    event = document.get("webhookEvent")
    issue = as_mapping(document.get("issue"), "issue")
    fields = as_mapping(issue.get("fields"), "issue.fields")
    if event == "jira:issue_created":
        steps = _created_steps(fields)
        version = ""
    elif event == "jira:issue_updated":
        changelog = as_mapping(document.get("changelog") or {"items": []}, "changelog")
        steps = _changelog_steps(changelog.get("items") or [])
        steps += _comment_steps(document, fields)
        version = str(changelog.get("id") or document.get("timestamp") or "")
    else:
        raise PayloadError(f"unsupported webhookEvent {event!r}")
    occurred_at = parse_time(document.get("timestamp"), "timestamp")
    return [
        _change(action, group, document, issue, fields, occurred_at, version)
        for action, group in steps
    ]


def _created_steps(fields: Mapping[str, Any]) -> list[tuple[TicketAction, str | None]]:
    steps: list[tuple[TicketAction, str | None]] = [("created", None)]
    if fields.get("assignee"):
        steps.append(("assigned", None))
    return steps


def _changelog_steps(items: list[Any]) -> list[tuple[TicketAction, str | None]]:
    steps: list[tuple[TicketAction, str | None]] = []
    for raw_item in items:
        item = as_mapping(raw_item, "changelog.items[]")
        field = str(item.get("field") or "").casefold()
        before, after = item.get("fromString") or None, item.get("toString") or None
        if field == "assignee" or field in GROUP_FIELDS:
            action = assignment_action(before, after)
            if action:
                steps.append((action, after if field in GROUP_FIELDS else None))
        elif field == "resolution":
            if after and not before:
                steps.append(("resolved", None))
            elif before and not after:
                steps.append(("reopened", None))
        elif field == "status":
            steps.extend(_status_steps(before, after))
    return _unique(steps)


def _status_steps(before: str | None, after: str | None) -> list[tuple[TicketAction, str | None]]:
    before_key, after_key = (before or "").casefold(), (after or "").casefold()
    if after_key in CLOSED_STATUSES:
        return [("closed", None)]
    if after_key in RESOLVED_STATUSES:
        return [("resolved", None)]
    if before_key in RESOLVED_STATUSES | CLOSED_STATUSES and after_key:
        return [("reopened", None)]
    return []


def _comment_steps(
    document: Mapping[str, Any], fields: Mapping[str, Any]
) -> list[tuple[TicketAction, str | None]]:
    """A public reply by someone other than the reporter (JSM ``jsdPublic``)."""
    comment = document.get("comment")
    if document.get("issue_event_type_name") != "issue_commented" or not isinstance(
        comment, Mapping
    ):
        return []
    author = comment.get("author") or {}
    reporter = fields.get("reporter") or {}
    by_reporter = author.get("accountId") and author.get("accountId") == reporter.get("accountId")
    if comment.get("jsdPublic") is True and not by_reporter:
        return [("first_contact", None)]
    return []


def _unique(
    steps: list[tuple[TicketAction, str | None]],
) -> list[tuple[TicketAction, str | None]]:
    """One step per action (a resolution and a status change both say 'resolved')."""
    seen: dict[str, tuple[TicketAction, str | None]] = {}
    for action, group in steps:
        if action not in seen or group:
            seen[action] = (action, group)
    return list(seen.values())


def _change(
    action: TicketAction,
    group: str | None,
    document: Mapping[str, Any],
    issue: Mapping[str, Any],
    fields: Mapping[str, Any],
    occurred_at: Any,
    version: str,
) -> TicketChange:
    return TicketChange(
        action=action,
        ticket_id=require_text(issue, "key", "issue"),
        user_identity=_reporter_identity(fields),
        occurred_at=occurred_at,
        version=version,
        channel="portal" if fields.get(REQUEST_TYPE_FIELD) else "other",
        category=_category(fields),
        assignment_group=group,
        priority=PRIORITIES.get(str((fields.get("priority") or {}).get("name", "")).casefold()),
        sla_breached=_sla_breached(fields),
        vendor_status=(fields.get("status") or {}).get("name"),
    )


def _reporter_identity(fields: Mapping[str, Any]) -> str:
    reporter = fields.get("reporter")
    if isinstance(reporter, Mapping):
        for key in ("emailAddress", "accountId", "name"):
            if isinstance(reporter.get(key), str) and reporter[key].strip():
                return reporter[key]
    raise PayloadError("issue.fields.reporter has no emailAddress, accountId or name")


def _category(fields: Mapping[str, Any]) -> str:
    request = fields.get(REQUEST_TYPE_FIELD)
    if isinstance(request, Mapping):
        name = (request.get("requestType") or {}).get("name")
        if name:
            return str(name)
    return str((fields.get("issuetype") or {}).get("name") or "")


def _sla_breached(fields: Mapping[str, Any]) -> bool | None:
    """Any JSM SLA field (``ongoingCycle``/``completedCycles``) that says ``breached``."""
    verdicts: list[bool] = []
    for value in fields.values():
        if not isinstance(value, Mapping):
            continue
        cycles = [*value.get("completedCycles", []), value.get("ongoingCycle")]
        verdicts += [c["breached"] for c in cycles if isinstance(c, Mapping) and "breached" in c]
    return any(verdicts) if verdicts else None
