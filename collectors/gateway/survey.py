"""Survey answers in, ``survey_answer`` events out; ``survey_invitation`` events after a resolution.

Reads :class:`SurveyAnswerRequest` (POST /v1/surveys/answers). Writes contract events:
the user becomes a pseudonym (or arrives as one, from an invitation), the comment is
scrubbed of e-mail addresses, phone numbers and the words of the user's identity, and
capped (``scrub.scrub_comment``). Other people's names in a comment are not detected.

Event ids are deterministic: one answer per invitation (the first answer wins), else one
per user, ticket or journey moment and answer time.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from xlapulse.collectors.contract.events import (
    USER_PSEUDONYM_PATTERN,
    SurveyAnswerEvent,
    SurveyInvitationEvent,
    TicketEvent,
)
from xlapulse.collectors.gateway.adapters.lifecycle import GATEWAY_NAMESPACE
from xlapulse.collectors.gateway.scrub import scrub_comment
from xlapulse.collectors.privacy import Pseudonymizer

Text = Annotated[str, Field(min_length=1, max_length=200)]


class SurveyAnswerRequest(BaseModel):
    """One answer to a short survey: a 0-10 score, linked to a ticket or a journey moment."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    user: Text | None = Field(
        default=None, description="The answering user (UPN or e-mail); pseudonymized on arrival."
    )
    user_id: Annotated[str, Field(pattern=USER_PSEUDONYM_PATTERN)] | None = Field(
        default=None, description="The user's pseudonym, as the invitation carried it."
    )
    score: Annotated[int, Field(ge=0, le=10)]
    comment: Annotated[str, Field(max_length=10_000)] | None = Field(
        default=None,
        description="Free text; e-mail addresses and phone numbers are removed, "
        "then it is capped at 1000 characters.",
    )
    self_reported_lost_minutes: Annotated[int, Field(ge=0, le=10_000)] | None = None
    ticket_id: Text | None = None
    journey_moment: Text | None = None
    invitation_id: uuid.UUID | None = None
    answered_at: AwareDatetime

    @model_validator(mode="after")
    def _one_user_and_a_link(self) -> SurveyAnswerRequest:
        if (self.user is None) == (self.user_id is None):
            raise ValueError("give exactly one of 'user' and 'user_id'")
        if not (self.ticket_id or self.journey_moment):
            raise ValueError("link the answer to a 'ticket_id' or a 'journey_moment'")
        return self


def answer_event(request: SurveyAnswerRequest, pseudonymizer: Pseudonymizer) -> SurveyAnswerEvent:
    """The contract event of one answer (identity pseudonymized, comment scrubbed)."""
    user_id = request.user_id or pseudonymizer.user(request.user or "")
    if request.invitation_id:
        key = f"survey|invitation|{request.invitation_id}"
    else:
        moment = f"{request.ticket_id}|{request.journey_moment}|{request.answered_at.isoformat()}"
        key = f"survey|{user_id}|{moment}"
    comment = scrub_comment(request.comment, request.user) if request.comment else None
    return SurveyAnswerEvent(
        event_id=uuid.uuid5(GATEWAY_NAMESPACE, key),
        event_time=request.answered_at,
        user_id=user_id,
        score=request.score,
        comment=comment or None,
        self_reported_lost_minutes=request.self_reported_lost_minutes,
        ticket_id=request.ticket_id,
        journey_moment=request.journey_moment,
        invitation_id=request.invitation_id,
    )


def resolution_invitations(tickets: list[TicketEvent], survey: str) -> list[SurveyInvitationEvent]:
    """One ``ticket_resolved`` invitation per resolved ticket event (same dedup as the event)."""
    return [
        SurveyInvitationEvent(
            event_id=uuid.uuid5(GATEWAY_NAMESPACE, f"invitation|{ticket.event_id}"),
            event_time=ticket.event_time,
            user_id=ticket.user_id,
            device_id=ticket.device_id,
            trigger="ticket_resolved",
            survey=survey,
            ticket_id=ticket.ticket_id,
        )
        for ticket in tickets
        if ticket.action == "resolved"
    ]
