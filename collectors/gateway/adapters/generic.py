"""The generic JSON format: any service desk that can post one lifecycle step per request.

Reads :class:`GenericTicketChange` (documented in README.md and in the OpenAPI file).
The sender names the action itself, so no previous values are needed. The sender's
``source_system`` is namespaced (``generic:<name>``): a sender cannot pass its events off
as another adapter's, nor collide with their event ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from xlapulse.collectors.contract.codec import describe_validation_error
from xlapulse.collectors.contract.events import TicketAction, TicketChannel
from xlapulse.collectors.gateway.adapters.lifecycle import PayloadError, TicketChange

SOURCE = "generic"
SOURCE_PREFIX = f"{SOURCE}:"

Text = Annotated[str, Field(min_length=1, max_length=200)]


class GenericTicketChange(BaseModel):
    """One ticket lifecycle step in the generic format."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source_system: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,40}$")] = Field(
        description="Name of the sending system, e.g. 'homegrown-desk'; events carry it as "
        "'generic:homegrown-desk'."
    )
    ticket_id: Text
    action: TicketAction
    occurred_at: AwareDatetime = Field(description="When the step happened, RFC 3339 with offset.")
    user: Text = Field(description="The affected user (UPN or e-mail); pseudonymized on arrival.")
    device: Text | None = Field(default=None, description="Host name; pseudonymized on arrival.")
    channel: TicketChannel = "other"
    category: Text = "uncategorized"
    assignment_group: Text | None = None
    priority: Annotated[int, Field(ge=1, le=5)] | None = None
    sla_breached: bool | None = None
    status: Text | None = Field(default=None, description="The status as the sender names it.")
    delivery_id: Text | None = Field(
        default=None,
        description="Stable id of this step at the sender (e.g. an audit row id); a retry "
        "must repeat it. Default: the occurred_at timestamp.",
    )


def changes(document: Mapping[str, Any]) -> tuple[str, list[TicketChange]]:
    """The sender's namespaced ``source_system`` and the one step the document carries."""
    try:
        step = GenericTicketChange.model_validate(document)
    except ValidationError as error:
        raise PayloadError(describe_validation_error(error)) from None
    change = TicketChange(
        action=step.action,
        ticket_id=step.ticket_id,
        user_identity=step.user,
        occurred_at=step.occurred_at,
        version=step.delivery_id or step.occurred_at.isoformat(),
        channel=step.channel,
        category=step.category,
        assignment_group=step.assignment_group,
        priority=step.priority,
        sla_breached=step.sla_breached,
        vendor_status=step.status,
        device_name=step.device,
    )
    return SOURCE_PREFIX + step.source_system, [change]
