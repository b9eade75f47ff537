"""Read a source's events the way a consumer does: committed JSON Schema, then pydantic.

Reads: the events of a :class:`Collected` (wire dicts from ``contract/wire.py``) and the
committed schemas in ``collectors/contract/schemas``. Writes: nothing; returns the
events parsed by the contract's ``parse_event``, so tests read their fields as
attributes and every event a source test sees has passed both checks.
"""

from __future__ import annotations

import json
from functools import cache

import jsonschema

from xlapulse.collectors.contract.codec import parse_event
from xlapulse.collectors.contract.events import EventBase
from xlapulse.collectors.contract.wire import encode, event_schema
from xlapulse.collectors.sources.base import Collected


@cache
def _validator(event_type: str) -> jsonschema.Draft202012Validator:
    schema = event_schema(event_type)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def contract_event(event: dict) -> EventBase:
    """One wire event as a consumer reads its bytes: checked against its committed JSON
    Schema, then parsed by pydantic; either check raises on an event it refuses."""
    raw = encode(event)
    _validator(event["event_type"]).validate(json.loads(raw))
    return parse_event(raw)


def contract_events(collected: Collected) -> list[EventBase]:
    return [contract_event(event) for event in collected.events]
