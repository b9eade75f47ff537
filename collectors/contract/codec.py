"""Encode events to Kafka record bytes and parse them back, with clear errors.

Reads: raw record values (UTF-8 JSON). Writes: nothing; callers decide where a
:class:`ContractViolation` goes (the dead-letter topic, see ``topics.py``).

Whatever the bytes, :func:`parse_event` returns an event or raises
:class:`ContractViolation`: not UTF-8, not JSON, ``NaN``/``Infinity``, integers of 4300+
digits, nesting too deep for the parser, a malformed ``schema_version`` (ASCII digits
only), lone surrogates and non-finite numbers (rejected by the models) all get a reason.
A reason is safe to log and to put in a header (:func:`safe_reason`): it quotes no
value of the record that could name a person (e-mail addresses and ``DOMAIN\\user``
names become ``[identity]``, a quoted value only when it is a short plain token), has no
control characters or lone surrogates, and is at most :data:`MAX_REASON_CHARS` long.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from xlapulse.collectors.contract.events import EVENT_ADAPTER, SCHEMA_MAJOR, Event, EventBase

MAX_EVENT_BYTES = 64 * 1024
MAX_REASON_CHARS = 1000
SCHEMA_VERSION = re.compile(r"([0-9]{1,9})\.[0-9]{1,9}")
PLAIN_TOKEN = re.compile(r"[a-z0-9_.-]{1,40}")  # an event type, a field name, a version
_WORD = r"[^\s'\"`<>(),;\[\]{}]"  # a run starts only after a non-word (linear time)
IDENTITY_LIKE = re.compile(rf"(?<!{_WORD}){_WORD}*(?:@|\\){_WORD}*")
UNPRINTABLE = re.compile(r"[^\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class ContractViolation(ValueError):
    """A record that is not a valid contract event; ``reason`` says why in one line, made
    safe to log (:func:`safe_reason`)."""

    def __init__(self, reason: str) -> None:
        reason = safe_reason(reason)
        super().__init__(reason)
        self.reason = reason


def safe_reason(text: str) -> str:
    """``text`` without identities (``[identity]``), unprintable characters or lone
    surrogates (``\\uXXXX``), cut at :data:`MAX_REASON_CHARS`."""
    text = IDENTITY_LIKE.sub("[identity]", text)
    text = UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
    return text[:MAX_REASON_CHARS]


def quoted(value: Any) -> str:
    """``value`` quoted when it is a short plain token (``'logon'``, ``'2.0'``), else only
    its type and length: a value of a rejected record may name a person."""
    if isinstance(value, str) and PLAIN_TOKEN.fullmatch(value):
        return repr(value)
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    return f"a JSON {type(value).__name__}" if value is not None else "null"


def encode_event(event: EventBase) -> bytes:
    """Serialize an event as compact UTF-8 JSON, the on-the-wire form."""
    return event.model_dump_json(exclude_none=True).encode()


def parse_event(raw: bytes) -> Event:
    """Parse and validate one record value; raise :class:`ContractViolation` on any defect."""
    if len(raw) > MAX_EVENT_BYTES:
        raise ContractViolation(f"record is {len(raw)} bytes, above the {MAX_EVENT_BYTES} limit")
    document = _json(raw)
    if not isinstance(document, dict):
        raise ContractViolation(f"expected a JSON object, got {type(document).__name__}")
    _check_major_version(document.get("schema_version"))
    try:
        return EVENT_ADAPTER.validate_python(document)
    except ValidationError as error:
        raise ContractViolation(describe_validation_error(error)) from None


def _json(raw: bytes) -> Any:
    """The JSON document of ``raw`` (strict UTF-8, no ``NaN``/``Infinity``)."""
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError as error:
        raise ContractViolation(f"not UTF-8 JSON: byte {error.start} is not UTF-8") from None
    except RecursionError:
        raise ContractViolation("not UTF-8 JSON: nested too deeply") from None
    except json.JSONDecodeError as error:
        raise ContractViolation(f"not UTF-8 JSON: {error.msg} at character {error.pos}") from None
    except ValueError as error:  # integers of 4300+ digits; NaN and Infinity
        raise ContractViolation(f"not UTF-8 JSON: {_first_clause(error)}") from None


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _first_clause(error: ValueError) -> str:
    """The error's message up to its first colon or semicolon (Python's integer limit
    message goes on with advice)."""
    return re.split(r"[:;]", str(error), maxsplit=1)[0]


def _check_major_version(version: object) -> None:
    matched = SCHEMA_VERSION.fullmatch(version) if isinstance(version, str) else None
    if matched is None:
        raise ContractViolation(
            f"schema_version missing or malformed: {quoted(version)} (expected MAJOR.MINOR)"
        )
    if int(matched.group(1)) != SCHEMA_MAJOR:
        raise ContractViolation(
            f"schema_version {version} is not supported; this consumer reads {SCHEMA_MAJOR}.x"
        )


def describe_validation_error(error: ValidationError) -> str:
    """One line per field problem, e.g. ``logon.logon_duration_ms: Input should be ...``."""
    problems = []
    for detail in error.errors(include_url=False, include_input=False):
        location = ".".join(_location_part(part) for part in detail["loc"]) or "event"
        problems.append(f"{location}: {_message(detail)}")
    return "; ".join(problems)


def _location_part(part: str | int) -> str:
    """A field name or list index; a key of the record that is no plain name (it may be
    anything the sender chose) is not repeated."""
    if isinstance(part, int) or PLAIN_TOKEN.fullmatch(part):
        return str(part)
    return "<a key>"


def _message(detail: Any) -> str:
    """pydantic's message; the one for an unknown event type quotes the value."""
    if detail["type"] == "union_tag_invalid":
        tag = quoted(detail.get("ctx", {}).get("tag"))
        return f"event type {tag} does not match any of the expected tags"
    return str(detail["msg"])
