"""Encode events to Kafka record bytes and parse them back, with clear errors.

Reads: raw record values (UTF-8 JSON). Writes: nothing; callers decide where a
:class:`ContractViolation` goes (the dead-letter topic, see ``topics.py``).
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from xlapulse.collectors.contract.events import EVENT_ADAPTER, SCHEMA_MAJOR, Event, EventBase

MAX_EVENT_BYTES = 64 * 1024


class ContractViolation(ValueError):
    """A record that is not a valid contract event; ``reason`` says why in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def encode_event(event: EventBase) -> bytes:
    """Serialize an event as compact UTF-8 JSON, the on-the-wire form."""
    return event.model_dump_json(exclude_none=True).encode()


def parse_event(raw: bytes) -> Event:
    """Parse and validate one record value; raise :class:`ContractViolation` on any defect."""
    if len(raw) > MAX_EVENT_BYTES:
        raise ContractViolation(f"record is {len(raw)} bytes, above the {MAX_EVENT_BYTES} limit")
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ContractViolation(f"not UTF-8 JSON: {error}") from None
    if not isinstance(document, dict):
        raise ContractViolation(f"expected a JSON object, got {type(document).__name__}")
    _check_major_version(document.get("schema_version"))
    try:
        return EVENT_ADAPTER.validate_python(document)
    except ValidationError as error:
        raise ContractViolation(describe_validation_error(error)) from None


def _check_major_version(version: object) -> None:
    if not isinstance(version, str) or not version.split(".")[0].isdigit():
        raise ContractViolation(f"schema_version missing or malformed: {version!r}")
    if int(version.split(".")[0]) != SCHEMA_MAJOR:
        raise ContractViolation(
            f"schema_version {version} is not supported; this consumer reads {SCHEMA_MAJOR}.x"
        )


def describe_validation_error(error: ValidationError) -> str:
    """One line per field problem, e.g. ``logon.logon_duration_ms: Input should be ...``."""
    problems = []
    for detail in error.errors(include_url=False):
        location = ".".join(str(part) for part in detail["loc"]) or "event"
        problems.append(f"{location}: {detail['msg']}")
    return "; ".join(problems)
