"""Zendesk satisfaction ratings (legacy CSAT) to survey answers.

Reads the satisfaction rating object of Zendesk's API (``GET
/api/v2/satisfaction_ratings/{id}``: ``{"satisfaction_rating": {...}}``, or the bare
object a trigger or an export job posts): ``id``, ``ticket_id``, ``requester_id``,
``score`` (``good`` / ``bad``; ``offered`` / ``unoffered`` mean no answer yet),
``comment``, ``created_at``, ``updated_at``. The requester is named ``zendesk:<id>`` as
the Zendesk ticket adapter names it, so the answer joins the requester's tickets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlapulse.collectors.gateway.adapters.csat import CsatAnswer
from xlapulse.collectors.gateway.adapters.lifecycle import (
    IgnoredEvent,
    PayloadError,
    as_mapping,
    optional_text,
    parse_time,
    require_text,
)

SCORES = {"good": 10, "bad": 0}
NOT_ANSWERED = frozenset({"offered", "unoffered"})


def answer(document: Mapping[str, Any]) -> CsatAnswer:
    """The answer in one satisfaction rating; :class:`IgnoredEvent` for one not given yet."""
    rating = as_mapping(document.get("satisfaction_rating", document), "satisfaction_rating")
    score = (optional_text(rating.get("score"), "satisfaction_rating.score") or "").casefold()
    if score in NOT_ANSWERED:
        raise IgnoredEvent(f"Zendesk satisfaction rating is {score}: not answered yet")
    if score not in SCORES:
        raise PayloadError(f"satisfaction_rating.score {score[:20]!r} is not good or bad")
    requester = require_text(rating, "requester_id", "satisfaction_rating")
    answered = rating.get("updated_at") or rating.get("created_at")
    return CsatAnswer(
        ticket_id=require_text(rating, "ticket_id", "satisfaction_rating"),
        user_identity=f"zendesk:{requester}",
        score=SCORES[score],
        answered_at=parse_time(answered, "satisfaction_rating.updated_at"),
        comment=optional_text(rating.get("comment"), "satisfaction_rating.comment"),
    )
