"""The xlapulse event contract: models, codec, topics and exported JSON Schemas.

The names below are loaded on first use (PEP 562), so that importing a pydantic-free
module of this package (``wire``, ``topics``), as the collector runtime does, does not
load pydantic and the models.
"""

from __future__ import annotations

import importlib

_CODEC_NAMES = ("ContractViolation", "encode_event", "parse_event")
_EVENT_NAMES = (
    "SCHEMA_VERSION",
    "AppResponsivenessEvent",
    "BootEvent",
    "CallQualityEvent",
    "DirectoryAssignmentEvent",
    "Event",
    "EventBase",
    "LogonEvent",
    "PrintJobEvent",
    "SessionEvent",
    "SurveyAnswerEvent",
    "TelemetryEvent",
    "TicketEvent",
    "VpnSessionEvent",
)
__all__ = [*_EVENT_NAMES, *_CODEC_NAMES]


def __getattr__(name: str) -> object:
    if name in _CODEC_NAMES or name in _EVENT_NAMES:
        module = "codec" if name in _CODEC_NAMES else "events"
        return getattr(importlib.import_module(f"{__name__}.{module}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
