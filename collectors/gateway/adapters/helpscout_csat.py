"""Help Scout satisfaction ratings (the ``satisfaction.ratings`` webhook) to survey answers.

Reads Help Scout's Rating object: ``id``, ``customer`` (``id``, ``emails[].value``),
``ticketId``, ``threadId``, ``rating`` (``Great`` / ``Okay`` / ``Bad``; the Mailbox API
spells the last ``not-good``), ``comments``, ``createdAt``, ``modifiedAt``. The customer
is named by the first e-mail address (the sign-in name at work, so the answer joins the
user's telemetry), else ``helpscout:<customer id>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlapulse.collectors.gateway.adapters.csat import CsatAnswer
from xlapulse.collectors.gateway.adapters.lifecycle import (
    PayloadError,
    as_list,
    as_mapping,
    optional_text,
    parse_time,
    require_text,
)

SCORES = {"great": 10, "okay": 5, "bad": 0, "not-good": 0}


def answer(document: Mapping[str, Any]) -> CsatAnswer:
    """The answer in one Rating object."""
    rating = (optional_text(document.get("rating"), "rating") or "").casefold()
    if rating not in SCORES:
        raise PayloadError(f"rating {rating[:20]!r} is not Great, Okay or Bad")
    answered = document.get("modifiedAt") or document.get("createdAt")
    return CsatAnswer(
        ticket_id=require_text(document, "ticketId", "rating"),
        user_identity=_customer(as_mapping(document.get("customer"), "customer")),
        score=SCORES[rating],
        answered_at=parse_time(answered, "modifiedAt"),
        comment=optional_text(document.get("comments"), "comments"),
    )


def _customer(customer: Mapping[str, Any]) -> str:
    for index, email in enumerate(
        as_list(customer.get("emails"), "customer.emails", optional=True)
    ):
        entry = as_mapping(email, f"customer.emails[{index}]")
        address = optional_text(entry.get("value"), f"customer.emails[{index}].value")
        if address:
            return address
    customer_id = optional_text(customer.get("id"), "customer.id")
    if not customer_id:
        raise PayloadError("customer has neither an e-mail address nor an id")
    return f"helpscout:{customer_id}"
