"""Kafka topics, record keys and headers of contract version 1.

Every topic is keyed by the user pseudonym and all input topics share one
partition count, so a user's telemetry, tickets, survey answers and directory
assignment land on the same partition number and the engine can join them
without a shuffle (co-partitioning).
"""

from __future__ import annotations

from xlapulse.collectors.contract.events import TELEMETRY_TYPES, EventBase

TELEMETRY_TOPIC = "xlapulse.telemetry.v1"
TICKETS_TOPIC = "xlapulse.tickets.v1"
SURVEYS_TOPIC = "xlapulse.surveys.v1"
DIRECTORY_TOPIC = "xlapulse.directory.v1"
DEAD_LETTER_TOPIC = "xlapulse.deadletter.v1"
SURVEY_INVITATIONS_TOPIC = "xlapulse.survey-invitations.v1"

INPUT_TOPICS = (TELEMETRY_TOPIC, TICKETS_TOPIC, SURVEYS_TOPIC, DIRECTORY_TOPIC)

HEADER_EVENT_TYPE = "xlapulse-event-type"
HEADER_SCHEMA_VERSION = "xlapulse-schema-version"
HEADER_DEAD_LETTER_REASON = "xlapulse-dead-letter-reason"
HEADER_DEAD_LETTER_SOURCE = "xlapulse-dead-letter-source"

_TOPIC_BY_EVENT_TYPE = {
    **{model.model_fields["event_type"].default: TELEMETRY_TOPIC for model in TELEMETRY_TYPES},
    "ticket": TICKETS_TOPIC,
    "survey_answer": SURVEYS_TOPIC,
    "survey_invitation": SURVEY_INVITATIONS_TOPIC,
    "directory_assignment": DIRECTORY_TOPIC,
}


def topic_for(event: EventBase) -> str:
    """The topic an event is produced to."""
    return _TOPIC_BY_EVENT_TYPE[event.event_type]  # type: ignore[attr-defined]


def key_for(event: EventBase) -> bytes:
    """The record key: the user pseudonym, so that one user's events share a partition."""
    return event.user_id.encode()


def headers_for(event: EventBase) -> list[tuple[str, bytes]]:
    """Record headers that let a router or a dead-letter tool read the type without parsing."""
    return [
        (HEADER_EVENT_TYPE, event.event_type.encode()),  # type: ignore[attr-defined]
        (HEADER_SCHEMA_VERSION, event.schema_version.encode()),
    ]
