"""Survey answers from the service desks' own CSAT features, as ``survey_answer`` events.

Reads one vendor CSAT document (Zendesk satisfaction rating, Jira Service Management
feedback, ServiceNow survey answer, Help Scout rating; one module each) through its
adapter, which returns a :class:`CsatAnswer` with the vendor's scale already mapped to
the contract's 0-10 score. Writes nothing itself: :func:`survey_answer_events` builds
the contract events through ``survey.answer_event`` (the identity pseudonymized as the
same vendor's tickets are, so an answer joins its ticket and its user; the comment
scrubbed), and a payload the adapter cannot map is a :class:`PayloadError` (400 and a
redacted dead letter, as for the ticket webhooks). Each source authenticates as its
vendor's ticket webhook does (``auth_source``: the same secret and scheme).

Scales (the contract's score is 0-10, as HappySignals asks it): a binary good/bad 10 / 0;
Help Scout's Great/Okay/Bad 10 / 5 / 0; a 1-5 rating and any min..max scale linearly onto
0-10, halves rounded up (1-5 stars: 0, 3, 5, 8, 10).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from xlapulse.collectors.contract.events import SurveyAnswerEvent
from xlapulse.collectors.gateway.adapters.lifecycle import SHAPE_ERRORS, PayloadError, short
from xlapulse.collectors.gateway.survey import SurveyAnswerRequest, answer_event
from xlapulse.collectors.privacy import Pseudonymizer

MAX_COMMENT_CHARS = 10_000


@dataclass(frozen=True, slots=True)
class CsatAnswer:
    """One CSAT answer as the vendor gave it, its score mapped to 0-10, before
    pseudonymization."""

    ticket_id: str
    user_identity: str
    score: int
    answered_at: datetime
    comment: str | None = None


MapCsat = Callable[[Mapping[str, Any]], CsatAnswer]


@dataclass(frozen=True)
class CsatAdapter:
    """One CSAT endpoint: its name, mapper, the ticket source it authenticates as, and
    the vendor shape it reads."""

    source: str
    map_payload: MapCsat
    auth_source: str
    payload_doc: str


def scaled(value: float, low: float, high: float, what: str) -> int:
    """``value`` on the vendor's ``low..high`` scale as 0-10 (halves rounded up)."""
    if not high > low or not low <= value <= high:
        raise PayloadError(f"{what} {value:g} is not on the scale {low:g}..{high:g}")
    return math.floor((value - low) / (high - low) * 10 + 0.5)


def survey_answer_events(
    adapter: CsatAdapter, document: Mapping[str, Any], pseudonymizer: Pseudonymizer
) -> list[SurveyAnswerEvent]:
    """The contract event of one CSAT ``document``, mapped by ``adapter``.

    As for the ticket webhooks, whatever an adapter did not foresee becomes a
    :class:`PayloadError` naming the source (not quoting the payload).
    """
    try:
        answer = adapter.map_payload(document)
    except (PayloadError, ValidationError):
        raise
    except SHAPE_ERRORS as error:
        raise PayloadError(
            f"{adapter.source} payload has an unexpected shape "
            f"({type(error).__name__} in its adapter)"
        ) from None
    request = SurveyAnswerRequest(
        user=short(answer.user_identity),
        score=answer.score,
        comment=(answer.comment or "")[:MAX_COMMENT_CHARS] or None,
        ticket_id=short(answer.ticket_id),
        answered_at=answer.answered_at,
    )
    try:
        return [answer_event(request, pseudonymizer)]
    except ValueError as error:  # an identity the pseudonymizer refuses
        raise PayloadError(str(error)) from None
