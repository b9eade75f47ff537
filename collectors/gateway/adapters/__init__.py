"""Webhook adapters by source name: each maps one vendor payload to ticket changes.

Each entry maps a parsed JSON document to ``(source_system, changes)`` or raises
:class:`~xlapulse.collectors.gateway.adapters.lifecycle.PayloadError`. The CSAT adapters
(:data:`CSAT_ADAPTERS`, ``csat.py``) map a vendor's own satisfaction answer to one
``survey_answer`` instead; each authenticates as its vendor's ticket webhook.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from xlapulse.collectors.gateway.adapters import (
    generic,
    helpscout_csat,
    jira,
    jsm_csat,
    servicenow,
    servicenow_survey,
    topdesk,
    zendesk,
    zendesk_csat,
)
from xlapulse.collectors.gateway.adapters.csat import CsatAdapter
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


CSAT_ADAPTERS: dict[str, CsatAdapter] = {
    adapter.source: adapter
    for adapter in (
        CsatAdapter(
            "zendesk-csat",
            zendesk_csat.answer,
            "zendesk",
            "Zendesk satisfaction rating (legacy CSAT): {satisfaction_rating: {...}} as the API "
            "returns it, or the bare object. See README.md.",
        ),
        CsatAdapter(
            "jira-csat",
            jsm_csat.answer,
            "jira",
            "Jira Service Management CSAT: {issue, feedback (the request feedback resource), "
            "timestamp} from an automation rule. See README.md.",
        ),
        CsatAdapter(
            "servicenow-survey",
            servicenow_survey.answer,
            "servicenow",
            "ServiceNow survey answer: {record (asmt_assessment_instance_question, Table API "
            "form), metric, instance} from a business rule. See README.md.",
        ),
        CsatAdapter(
            "helpscout-csat",
            helpscout_csat.answer,
            "helpscout",
            "Help Scout satisfaction.ratings webhook (the Rating object).",
        ),
    )
}


def secret_source(source: str) -> str:
    """Whose secret and scheme authenticate a POST from ``source``: a CSAT endpoint's are
    its vendor's ticket webhook's (``zendesk-csat`` signs as ``zendesk``)."""
    adapter = CSAT_ADAPTERS.get(source)
    return adapter.auth_source if adapter is not None else source
