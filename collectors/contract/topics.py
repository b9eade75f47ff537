"""Kafka topics, record keys and headers of contract version 1.

Every topic is keyed by the user pseudonym and all input topics share one
partition count, so a user's telemetry, tickets, survey answers and directory
assignment land on the same partition number and the engine can join them
without a shuffle (co-partitioning).

The ``*_for(event)`` functions take a pydantic event; the collector runtime, which has
none (``wire.py``), uses :func:`topic_of_type`, :func:`record_key` and
:func:`record_headers` on the plain values. This module imports no pydantic.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from xlapulse.collectors.contract.wire import telemetry_event_types

if TYPE_CHECKING:
    from xlapulse.collectors.contract.events import EventBase

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


@cache
def _topic_by_event_type() -> dict[str, str]:
    """Event type -> topic, built on first use: importing this module reads no schema file
    (the topic admin, for one, needs only the names above)."""
    return {
        **dict.fromkeys(telemetry_event_types(), TELEMETRY_TOPIC),
        "ticket": TICKETS_TOPIC,
        "survey_answer": SURVEYS_TOPIC,
        "survey_invitation": SURVEY_INVITATIONS_TOPIC,
        "directory_assignment": DIRECTORY_TOPIC,
    }


def topic_of_type(event_type: str) -> str:
    """The topic an event of this type is produced to."""
    return _topic_by_event_type()[event_type]


def record_key(user_id: str) -> bytes:
    """The record key: the user pseudonym, so that one user's events share a partition."""
    return user_id.encode()


def record_headers(event_type: str, schema_version: str) -> list[tuple[str, bytes]]:
    """Record headers that let a router or a dead-letter tool read the type without parsing."""
    return [
        (HEADER_EVENT_TYPE, event_type.encode()),
        (HEADER_SCHEMA_VERSION, schema_version.encode()),
    ]


def topic_for(event: EventBase) -> str:
    """The topic an event is produced to."""
    return topic_of_type(event.event_type)  # type: ignore[attr-defined]


def key_for(event: EventBase) -> bytes:
    """The record key of a pydantic event (see :func:`record_key`)."""
    return record_key(event.user_id)


def headers_for(event: EventBase) -> list[tuple[str, bytes]]:
    """The record headers of a pydantic event (see :func:`record_headers`)."""
    return record_headers(event.event_type, event.schema_version)  # type: ignore[attr-defined]
