"""The engine's outward events: journey dips (``xlapulse.dips.v1``) and proactive
notices to the people a dip affects (``xlapulse.notices.v1``).

Written by the engine (``streams/dips/publish.py``), read by ``xlapulse notify`` and by
anyone who wants dips as a stream. Exported as JSON Schema next to the input events
(``schemas/dip.schema.json``, ``schemas/notice.schema.json``).

A dip event describes at least 5 people and never names them. A notice names the
affected pseudonyms (so a notifier holding the key can reach them) and is meant for
the notifier only: each person gets their own message, which never reveals who else
is affected.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, NonNegativeInt

from xlapulse.collectors.contract.events import (
    SCHEMA_MAJOR,
    SCHEMA_VERSION,
    ContractModel,
    ShortText,
    UserPseudonym,
)

DIPS_TOPIC = "xlapulse.dips.v1"
NOTICES_TOPIC = "xlapulse.notices.v1"
MIN_PEOPLE_PER_DIP = 5
#: Record header naming the engine (XLAPULSE_ENGINE_ID) that sent a dip or a notice, so a
#: consumer can tell two engines that share a Kafka apart.
HEADER_ENGINE_ID = "xlapulse-engine-id"

DipState = Literal["opened", "updated", "closed"]
Detector = Literal["burn_rate", "peer", "seasonal"]
Severity = Literal["warning", "critical"]
TouchPoint = Literal["boot", "logon", "vpn", "app", "call", "print", "probe", "service_desk"]
DipId = Annotated[str, Field(pattern=r"^dip_[0-9a-f]{20}$")]


class OutputBase(ContractModel):
    schema_version: Annotated[str, Field(pattern=rf"^{SCHEMA_MAJOR}\.[0-9]+$")] = SCHEMA_VERSION
    event_id: uuid.UUID
    event_time: AwareDatetime = Field(description="Event time of the transition.")


class DipEvent(OutputBase):
    """A journey dip opened, updated or closed for one touch point of a persona at a site."""

    event_type: Literal["dip"] = "dip"
    dip_id: DipId
    state: DipState
    persona: ShortText
    site: ShortText
    touch_point: TouchPoint
    detector: Detector
    severity: Severity
    onset_time: AwareDatetime = Field(description="First minute with a bad sample.")
    affected_people: Annotated[int, Field(ge=MIN_PEOPLE_PER_DIP)] = Field(
        description="Distinct people with a tolerating or frustrating sample since the onset."
    )
    time_lost_s: Annotated[float, Field(ge=0)]
    tickets: NonNegativeInt = Field(
        description="Tickets explained by this touch point since the onset."
    )
    likely_cause: ShortText | None = None
    summary: ShortText
    metric: ShortText = Field(description="What the detector compared, e.g. badness.")
    value: float
    reference: float


class NoticeEvent(OutputBase):
    """Tell the affected people: "we know, we are on it", and later "it is solved"."""

    event_type: Literal["notice"] = "notice"
    notice_id: Annotated[str, Field(pattern=r"^notice_[0-9a-f]{20}$")]
    dip_id: DipId
    kind: Literal["we_know", "resolved"]
    persona: ShortText
    site: ShortText
    touch_point: TouchPoint
    recipients: list[UserPseudonym] = Field(min_length=1, max_length=100_000)
    messages: dict[Literal["nl", "en"], ShortText]


OUTPUT_TYPES: dict[str, type[OutputBase]] = {"dip": DipEvent, "notice": NoticeEvent}
