"""Jira Service Management webhooks (``jira:issue_created``, ``jira:issue_updated``) to changes.

Reads the webhook body Jira sends: ``timestamp`` (epoch ms), ``webhookEvent``,
``issue_event_type_name``, ``issue`` (key and fields) and, on updates, ``changelog``
(``id`` and ``items`` with ``field``/``fromString``/``toString``) or ``comment``.
The changelog id is the dedup version of an update. Other webhook events
(``comment_created``, ``jira:issue_deleted`` ...) are ignored, not malformed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlapulse.collectors.contract.events import TicketAction
from xlapulse.collectors.gateway.adapters.lifecycle import (
    IgnoredEvent,
    PayloadError,
    TicketChange,
    as_list,
    as_mapping,
    assignment_action,
    json_type,
    optional_bool,
    optional_text,
    parse_time,
    require_text,
)

SOURCE = "jira"

ISSUE_CREATED, ISSUE_UPDATED = "jira:issue_created", "jira:issue_updated"
CLOSED_STATUSES = frozenset({"closed", "canceled", "cancelled", "declined"})
RESOLVED_STATUSES = frozenset({"resolved", "done", "completed"})
GROUP_FIELDS = frozenset({"assignment group", "team", "group"})
# Jira Cloud's default scheme, then Jira Server / Data Center's (Blocker ... Trivial)
PRIORITIES = {
    **{"highest": 1, "high": 2, "medium": 3, "low": 4, "lowest": 5},
    **{"blocker": 1, "critical": 2, "major": 3, "minor": 4, "trivial": 5},
}
REQUEST_TYPE_FIELD = "customfield_10010"  # JSM "Customer Request Type" on Jira Cloud

Step = tuple[TicketAction, str | None]


def changes(document: Mapping[str, Any]) -> list[TicketChange]:
    """Lifecycle steps in one webhook delivery (none for an update that is no lifecycle step).

    Raises :class:`IgnoredEvent` for other webhook events (``comment_created``,
    ``jira:issue_deleted``, ``worklog_updated`` ...).
    """
    event = document.get("webhookEvent")
    if not isinstance(event, str):
        raise PayloadError(f"webhookEvent must be a string, got {json_type(event)}")
    if event not in (ISSUE_CREATED, ISSUE_UPDATED):
        raise IgnoredEvent(f"Jira webhookEvent {event[:80]!r} is no ticket lifecycle event")
    issue = as_mapping(document.get("issue"), "issue")
    fields = as_mapping(issue.get("fields"), "issue.fields")
    if event == ISSUE_CREATED:
        steps = _created_steps(fields)
        version = ""
    else:
        changelog = as_mapping(document.get("changelog"), "changelog", optional=True)
        steps = _changelog_steps(as_list(changelog.get("items"), "changelog.items", optional=True))
        steps += _comment_steps(document, fields)
        version = (
            optional_text(changelog.get("id"), "changelog.id")
            or optional_text(document.get("timestamp"), "timestamp")
            or ""
        )
    occurred_at = parse_time(document.get("timestamp"), "timestamp")
    return [_change(action, group, issue, fields, occurred_at, version) for action, group in steps]


def _created_steps(fields: Mapping[str, Any]) -> list[Step]:
    steps: list[Step] = [("created", None)]
    if as_mapping(fields.get("assignee"), "issue.fields.assignee", optional=True):
        steps.append(("assigned", None))
    return steps


def _changelog_steps(items: list[Any]) -> list[Step]:
    steps: list[Step] = []
    for index, raw_item in enumerate(items):
        where = f"changelog.items[{index}]"
        item = as_mapping(raw_item, where)
        field = (optional_text(item.get("field"), f"{where}.field") or "").casefold()
        before = optional_text(item.get("fromString"), f"{where}.fromString")
        after = optional_text(item.get("toString"), f"{where}.toString")
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


def _status_steps(before: str | None, after: str | None) -> list[Step]:
    before_key, after_key = (before or "").casefold(), (after or "").casefold()
    if after_key in CLOSED_STATUSES:
        return [("closed", None)]
    if after_key in RESOLVED_STATUSES:
        return [("resolved", None)]
    if before_key in RESOLVED_STATUSES | CLOSED_STATUSES and after_key:
        return [("reopened", None)]
    return []


def _comment_steps(document: Mapping[str, Any], fields: Mapping[str, Any]) -> list[Step]:
    """A public reply by someone other than the reporter (JSM ``jsdPublic``)."""
    if document.get("issue_event_type_name") != "issue_commented":
        return []
    comment = as_mapping(document.get("comment"), "comment", optional=True)
    author = as_mapping(comment.get("author"), "comment.author", optional=True)
    reporter = as_mapping(fields.get("reporter"), "issue.fields.reporter", optional=True)
    author_id = optional_text(author.get("accountId"), "comment.author.accountId")
    reporter_id = optional_text(reporter.get("accountId"), "issue.fields.reporter.accountId")
    public = optional_bool(comment.get("jsdPublic"), "comment.jsdPublic")
    if public and not (author_id and author_id == reporter_id):
        return [("first_contact", None)]
    return []


def _unique(steps: list[Step]) -> list[Step]:
    """One step per action (a resolution and a status change both say 'resolved')."""
    seen: dict[str, Step] = {}
    for action, group in steps:
        if action not in seen or group:
            seen[action] = (action, group)
    return list(seen.values())


def _change(
    action: TicketAction,
    group: str | None,
    issue: Mapping[str, Any],
    fields: Mapping[str, Any],
    occurred_at: Any,
    version: str,
) -> TicketChange:
    return TicketChange(
        action=action,
        ticket_id=require_text(issue, "key", "issue"),
        user_identity=reporter_identity(fields),
        occurred_at=occurred_at,
        version=version,
        channel="portal" if fields.get(REQUEST_TYPE_FIELD) else "other",
        category=_category(fields),
        assignment_group=group,
        priority=PRIORITIES.get((_field_name(fields, "priority") or "").casefold()),
        sla_breached=_sla_breached(fields),
        vendor_status=_field_name(fields, "status"),
    )


def reporter_identity(fields: Mapping[str, Any]) -> str:
    """The reporter of an issue as the adapters name it: e-mail, else account id, else name."""
    reporter = as_mapping(fields.get("reporter"), "issue.fields.reporter", optional=True)
    for key in ("emailAddress", "accountId", "name"):
        identity = optional_text(reporter.get(key), f"issue.fields.reporter.{key}")
        if identity:
            return identity
    raise PayloadError("issue.fields.reporter has no emailAddress, accountId or name")


def _field_name(fields: Mapping[str, Any], key: str) -> str | None:
    """``issue.fields.<key>.name`` (priority, status, issue type); None when the field is empty."""
    where = f"issue.fields.{key}"
    field = as_mapping(fields.get(key), where, optional=True)
    return optional_text(field.get("name"), f"{where}.name")


def _category(fields: Mapping[str, Any]) -> str:
    where = f"issue.fields.{REQUEST_TYPE_FIELD}"
    request = as_mapping(fields.get(REQUEST_TYPE_FIELD), where, optional=True)
    request_type = as_mapping(request.get("requestType"), f"{where}.requestType", optional=True)
    name = optional_text(request_type.get("name"), f"{where}.requestType.name")
    return name or _field_name(fields, "issuetype") or ""


def _sla_breached(fields: Mapping[str, Any]) -> bool | None:
    """Any JSM SLA field (``ongoingCycle``/``completedCycles``) that says ``breached``."""
    verdicts: list[bool] = []
    for key, value in fields.items():
        if not isinstance(value, Mapping) or not {"completedCycles", "ongoingCycle"} & value.keys():
            continue
        where = f"issue.fields.{key}"
        completed = as_list(value.get("completedCycles"), f"{where}.completedCycles", optional=True)
        cycles = [*completed, value.get("ongoingCycle")]
        for index, raw_cycle in enumerate(cycles):
            cycle = as_mapping(raw_cycle, f"{where} cycle {index}", optional=True)
            breached = optional_bool(cycle.get("breached"), f"{where} cycle {index}.breached")
            if breached is not None:
                verdicts.append(breached)
    return any(verdicts) if verdicts else None
