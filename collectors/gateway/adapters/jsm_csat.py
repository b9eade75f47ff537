"""Jira Service Management CSAT (request feedback) to survey answers.

Reads what a Jira automation rule ("Send web request", after the customer rated the
request) posts: ``issue`` as Jira webhooks carry it (``key``, ``fields.reporter`` with
``emailAddress`` / ``accountId`` / ``name``), ``feedback``: the request feedback resource
of the JSM REST API (``GET /rest/servicedeskapi/request/{key}/feedback``: ``type``
``csat``, ``rating`` 1-5, ``comment.body``), and ``timestamp`` (epoch ms or ISO 8601).
The rule's body is in the gateway README. The reporter is named as the Jira ticket
adapter names it (e-mail, else account id), so the answer joins the reporter's tickets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlapulse.collectors.gateway.adapters.csat import CsatAnswer, scaled
from xlapulse.collectors.gateway.adapters.jira import reporter_identity
from xlapulse.collectors.gateway.adapters.lifecycle import (
    PayloadError,
    as_mapping,
    json_type,
    optional_text,
    parse_time,
    require_text,
)

FEEDBACK_TYPE = "csat"
LOWEST, HIGHEST = 1, 5


def answer(document: Mapping[str, Any]) -> CsatAnswer:
    """The answer in one automation delivery."""
    issue = as_mapping(document.get("issue"), "issue")
    feedback = as_mapping(document.get("feedback"), "feedback")
    kind = optional_text(feedback.get("type"), "feedback.type") or FEEDBACK_TYPE
    if kind.casefold() != FEEDBACK_TYPE:
        raise PayloadError(f"feedback.type {kind[:20]!r} is not csat")
    rating = feedback.get("rating")
    if isinstance(rating, bool) or not isinstance(rating, int):
        raise PayloadError(f"feedback.rating must be a whole number, got {json_type(rating)}")
    comment = as_mapping(feedback.get("comment"), "feedback.comment", optional=True)
    return CsatAnswer(
        ticket_id=require_text(issue, "key", "issue"),
        user_identity=reporter_identity(as_mapping(issue.get("fields"), "issue.fields")),
        score=scaled(rating, LOWEST, HIGHEST, "feedback.rating"),
        answered_at=parse_time(document.get("timestamp"), "timestamp"),
        comment=optional_text(comment.get("body"), "feedback.comment.body"),
    )
