"""Webhook adapters by source name: each maps one vendor payload to ticket changes.

Each entry maps a parsed JSON document to ``(source_system, changes)`` or raises
:class:`~xlapulse.collectors.gateway.adapters.lifecycle.PayloadError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from xlapulse.collectors.gateway.adapters import generic, jira, servicenow, topdesk, zendesk
from xlapulse.collectors.gateway.adapters.lifecycle import MapPayload, TicketChange


@dataclass(frozen=True)
class Adapter:
    """One webhook source: its URL name, mapper and the vendor shape it reads."""

    source: str
    map_payload: MapPayload
    payload_doc: str


def _fixed_source(
    source: str, changes: Callable[[Mapping[str, Any]], list[TicketChange]]
) -> MapPayload:
    return lambda document: (source, changes(document))


ADAPTERS: dict[str, Adapter] = {
    adapter.source: adapter
    for adapter in (
        Adapter(
            "servicenow",
            _fixed_source(servicenow.SOURCE, servicenow.changes),
            "Business-rule outbound REST: {operation, record (Table API incident), previous, "
            "public_reply}. See README.md.",
        ),
        Adapter(
            "topdesk",
            _fixed_source(topdesk.SOURCE, topdesk.changes),
            "Action sequence: {trigger, incident (REST incident), previous}. See README.md.",
        ),
        Adapter(
            "jira",
            _fixed_source(jira.SOURCE, jira.changes),
            "Jira webhook body (jira:issue_created, jira:issue_updated with changelog or comment).",
        ),
        Adapter(
            "zendesk",
            _fixed_source(zendesk.SOURCE, zendesk.changes),
            "Zendesk event webhook (zen:event-type:ticket.*).",
        ),
        Adapter("generic", generic.changes, "The generic JSON format (GenericTicketChange)."),
    )
}
