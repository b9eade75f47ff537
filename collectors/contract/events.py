"""The xlapulse event contract, version 1: every event that crosses Kafka.

Producers (workplace collectors, the ITSM/survey gateway, the fleet simulator)
build these models; processors (Faust agents, the embedded demo) parse them with
:func:`parse_event`. The JSON Schema files in ``schemas/`` are generated from
these models by ``xlapulse contract export --output collectors/contract/schemas`` and a
test fails when they drift.

Rules that hold for every event:

* ``event_id`` is a UUID chosen by the producer; consumers de-duplicate on it.
* ``event_time`` is when it happened on the endpoint, with a UTC offset.
* ``user_id`` and ``device_id`` are pseudonyms (keyed HMAC, see
  ``xlapulse.collectors.privacy``). The patterns below reject raw user names,
  so an identity can never reach Kafka in clear text by accident.
* ``schema_version`` is ``MAJOR.MINOR``; minor versions only add optional
  fields or new event types, and consumers are upgraded before producers (a
  consumer of an older minor version dead-letters an event type it does not know).
* Durations carry their unit in the name (``_ms``, ``_s``), ratios are 0..1.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    TypeAdapter,
)

SCHEMA_VERSION = "1.3"  # 1.1 added synthetic_probe, survey_invitation, ticket SLA fields;
# 1.2 added boot.previous_shutdown_duration_ms; 1.3 added the session event (exposure)
SCHEMA_MAJOR = 1

USER_PSEUDONYM_PATTERN = r"^u_[0-9a-f]{32}$"
DEVICE_PSEUDONYM_PATTERN = r"^d_[0-9a-f]{32}$"

UserPseudonym = Annotated[str, Field(pattern=USER_PSEUDONYM_PATTERN)]
DevicePseudonym = Annotated[str, Field(pattern=DEVICE_PSEUDONYM_PATTERN)]
DurationMs = Annotated[int, Field(ge=0, le=86_400_000)]
Ratio = Annotated[float, Field(ge=0.0, le=1.0)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]


class ContractModel(BaseModel):
    """Strict base: unknown fields are a contract violation, models are immutable, numbers
    are finite (JSON has no NaN or infinity; Python's parser reads them)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False
    )


class EventBase(ContractModel):
    """Envelope fields shared by every event type."""

    schema_version: Annotated[str, Field(pattern=rf"^{SCHEMA_MAJOR}\.[0-9]+$")] = SCHEMA_VERSION
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_time: AwareDatetime
    user_id: UserPseudonym


class TelemetryEvent(EventBase):
    """An event measured on a workplace device."""

    device_id: DevicePseudonym


# --- endpoint telemetry ---------------------------------------------------


class BootEvent(TelemetryEvent):
    """A device start-up (Windows Diagnostics-Performance 100, systemd-analyze, macOS boot)."""

    event_type: Literal["boot"] = "boot"
    boot_duration_ms: DurationMs
    main_path_duration_ms: DurationMs | None = None
    post_boot_duration_ms: DurationMs | None = None
    profile_processing_duration_ms: DurationMs | None = None
    explorer_init_duration_ms: DurationMs | None = None
    startup_app_count: NonNegativeInt | None = None
    is_degradation: bool = False
    degrading_components: list[ShortText] = Field(default_factory=list, max_length=50)
    antivirus_scan_duration_ms: DurationMs | None = None
    antivirus_scan_share_ratio: Ratio | None = Field(
        default=None, description="Share of the boot spent while an antivirus start-up scan ran."
    )
    previous_shutdown_duration_ms: DurationMs | None = Field(
        default=None,
        description="The shutdown before this boot (Windows Diagnostics-Performance 200).",
    )


class LogonEvent(TelemetryEvent):
    """A user sign-in, from credential entry to a usable desktop."""

    event_type: Literal["logon"] = "logon"
    logon_duration_ms: DurationMs
    group_policy_duration_ms: DurationMs | None = None
    profile_load_duration_ms: DurationMs | None = None
    shell_start_duration_ms: DurationMs | None = None
    logon_kind: Literal["interactive", "remote_interactive", "cached", "unlock"] = "interactive"


class VpnSessionEvent(TelemetryEvent):
    """A VPN tunnel state change (RasClient 20225/20226/20227, NetworkManager, nesessionmanager)."""

    event_type: Literal["vpn_session"] = "vpn_session"
    state: Literal["connected", "dropped", "failed", "disconnected"]
    reason: ShortText | None = None
    error_code: int | None = None
    session_duration_s: Annotated[int, Field(ge=0)] | None = None
    vpn_gateway: ShortText | None = None


class AppResponsivenessEvent(TelemetryEvent):
    """A slow transaction, a hang (Application Hang 1002) or a crash (Application Error 1000)."""

    event_type: Literal["app_responsiveness"] = "app_responsiveness"
    kind: Literal["slow_transaction", "hang", "crash"]
    app_name: ShortText
    app_version: ShortText | None = None
    transaction_name: ShortText | None = None
    duration_ms: DurationMs | None = None
    exception_code: ShortText | None = None


class CallQualityEvent(TelemetryEvent):
    """One media stream of a call (Graph callRecords stream, Zoom QoS)."""

    event_type: Literal["call_quality"] = "call_quality"
    call_id: ShortText
    media: Literal["audio", "video", "screen_share"]
    direction: Literal["inbound", "outbound"]
    jitter_ms: Annotated[float, Field(ge=0)] | None = None
    packet_loss_ratio: Ratio | None = None
    round_trip_ms: Annotated[float, Field(ge=0)] | None = None
    mos: Annotated[float, Field(ge=1.0, le=5.0)] | None = None
    network_mos_degradation: Annotated[float, Field(ge=0.0, le=5.0)] | None = None
    concealed_sample_ratio: Ratio | None = None
    dropped_segment: bool = False
    duration_s: Annotated[int, Field(ge=0)] | None = None


class SyntheticProbeEvent(TelemetryEvent):
    """A timed HTTP transaction against an app the user's persona relies on."""

    event_type: Literal["synthetic_probe"] = "synthetic_probe"
    app_name: ShortText
    target_host: ShortText
    outcome: Literal["ok", "http_error", "timeout", "connection_error", "tls_error", "dns_error"]
    status_code: Annotated[int, Field(ge=100, le=599)] | None = None
    # Phase marks count from the start of the transaction, as curl's time_* values do:
    # dns_ms <= connect_ms <= tls_ms <= first_byte_ms <= total_ms.
    dns_ms: DurationMs | None = Field(default=None, description="Name resolved, ms from start.")
    connect_ms: DurationMs | None = Field(default=None, description="TCP connected, ms from start.")
    tls_ms: DurationMs | None = Field(
        default=None, description="TLS handshake done, ms from start."
    )
    first_byte_ms: DurationMs | None = Field(
        default=None, description="First response byte, ms from start."
    )
    total_ms: DurationMs = Field(description="Transaction finished or gave up, ms from start.")


class PrintJobEvent(TelemetryEvent):
    """The outcome of one print job (PrintService 307/372/805/842, CUPS)."""

    event_type: Literal["print_job"] = "print_job"
    outcome: Literal["printed", "failed"]
    printer: ShortText
    error_code: int | None = None
    page_count: NonNegativeInt | None = None


class SessionEvent(TelemetryEvent):
    """A change of the user's interactive session on a device: the exposure denominator.

    Active time is the time a session is started or unlocked and not yet locked or
    ended; scores per active hour (crashes and hangs per hour of use, as Microsoft
    Endpoint Analytics' mean time to failure) divide by it. Sources: Windows Security
    4624 (interactive, remote interactive and cached logon types), 4800 locked, 4801
    unlocked, 4647/4634 logoff, or Winlogon 7001/7002; systemd-logind's new and removed
    sessions and Lock/Unlock; macOS IOConsoleUsers (console and screen lock). Nothing
    about what the user does.
    """

    event_type: Literal["session"] = "session"
    state: Literal["started", "locked", "unlocked", "ended"]
    session_id: ShortText | None = Field(
        default=None,
        description="The operating system's id of the session (a Windows logon id, a logind "
        "session id), so the changes of one session can be paired.",
    )
    active_duration_s: Annotated[int, Field(ge=0, le=31 * 86_400)] | None = Field(
        default=None,
        description="On locked and ended: seconds the session was active (unlocked) since "
        "it started or was last unlocked, as the collector measured them.",
    )


# --- service desk, sentiment and directory ----------------------------------


TicketAction = Literal[
    "created", "assigned", "reassigned", "first_contact", "resolved", "reopened", "closed"
]
TicketChannel = Literal["portal", "email", "phone", "chat", "walk_in", "monitoring", "other"]


class TicketEvent(EventBase):
    """A ticket lifecycle step from the service desk (ServiceNow, TOPdesk, Jira SM, Zendesk)."""

    event_type: Literal["ticket"] = "ticket"
    device_id: DevicePseudonym | None = None
    ticket_id: ShortText
    action: TicketAction
    channel: TicketChannel
    category: ShortText
    assignment_group: ShortText | None = None
    source_system: ShortText
    priority: Annotated[int, Field(ge=1, le=5)] | None = None
    sla_breached: bool | None = Field(
        default=None, description="The service desk's own SLA verdict, for the watermelon check."
    )
    vendor_status: ShortText | None = Field(
        default=None, description="The status as the source system names it, for audit."
    )


class SurveyAnswerEvent(EventBase):
    """A 0-10 survey answer, optionally tied to a ticket or a journey moment."""

    event_type: Literal["survey_answer"] = "survey_answer"
    device_id: DevicePseudonym | None = None
    score: Annotated[int, Field(ge=0, le=10)]
    comment: Annotated[str, Field(max_length=2000)] | None = None
    self_reported_lost_minutes: Annotated[int, Field(ge=0, le=10_000)] | None = None
    ticket_id: ShortText | None = None
    journey_moment: ShortText | None = None
    invitation_id: uuid.UUID | None = None


SurveyTrigger = Literal["ticket_resolved", "vpn_recovered"]


class SurveyInvitationEvent(EventBase):
    """Ask one user one question now, because something just happened to them.

    Invitations are triggered by events, not by the calendar (peak-end moments:
    a ticket was resolved, the first good VPN session after a drop). A mailer or
    chat bot consumes them; it maps the pseudonym back with the same HMAC key.
    """

    event_type: Literal["survey_invitation"] = "survey_invitation"
    device_id: DevicePseudonym | None = None
    trigger: SurveyTrigger
    survey: ShortText
    ticket_id: ShortText | None = None
    journey_moment: ShortText | None = None


class DirectoryAssignmentEvent(EventBase):
    """Assigns a (pseudonymous) user to a persona, site and department."""

    event_type: Literal["directory_assignment"] = "directory_assignment"
    device_id: DevicePseudonym | None = None
    persona: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")]
    site: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$")]
    department: ShortText


TELEMETRY_TYPES: tuple[type[TelemetryEvent], ...] = (
    BootEvent,
    LogonEvent,
    VpnSessionEvent,
    AppResponsivenessEvent,
    CallQualityEvent,
    PrintJobEvent,
    SyntheticProbeEvent,
    SessionEvent,
)

Event = Annotated[
    BootEvent
    | LogonEvent
    | VpnSessionEvent
    | AppResponsivenessEvent
    | CallQualityEvent
    | PrintJobEvent
    | SyntheticProbeEvent
    | SessionEvent
    | TicketEvent
    | SurveyAnswerEvent
    | SurveyInvitationEvent
    | DirectoryAssignmentEvent,
    Field(discriminator="event_type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)

EVENT_TYPES: dict[str, type[EventBase]] = {
    model.model_fields["event_type"].default: model
    for model in (
        *TELEMETRY_TYPES,
        TicketEvent,
        SurveyAnswerEvent,
        SurveyInvitationEvent,
        DirectoryAssignmentEvent,
    )
}


def event_time_ms(event: EventBase) -> int:
    """Event time as Unix epoch milliseconds (the payload's; Kafka's record timestamp is the
    send time, ``delivery/kafka_producer.py``)."""
    return int(event.event_time.timestamp() * 1000)
