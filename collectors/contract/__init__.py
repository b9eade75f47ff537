"""The xlapulse event contract: models, codec, topics and exported JSON Schemas."""

from xlapulse.collectors.contract.codec import ContractViolation, encode_event, parse_event
from xlapulse.collectors.contract.events import (
    SCHEMA_VERSION,
    AppResponsivenessEvent,
    BootEvent,
    CallQualityEvent,
    DirectoryAssignmentEvent,
    Event,
    EventBase,
    LogonEvent,
    PrintJobEvent,
    SurveyAnswerEvent,
    TelemetryEvent,
    TicketEvent,
    VpnSessionEvent,
)

__all__ = [
    "SCHEMA_VERSION",
    "AppResponsivenessEvent",
    "BootEvent",
    "CallQualityEvent",
    "ContractViolation",
    "DirectoryAssignmentEvent",
    "Event",
    "EventBase",
    "LogonEvent",
    "PrintJobEvent",
    "SurveyAnswerEvent",
    "TelemetryEvent",
    "TicketEvent",
    "VpnSessionEvent",
    "encode_event",
    "parse_event",
]
