"""Build contract events fast, with event ids drawn from a seeded RNG.

Reads and writes nothing. The simulator's hottest loops make hundreds of
thousands of events a second, and pydantic validation would cost more than
everything else together. So events are *constructed*, not validated: the
generators only ever put contract-valid values of the exact field types in
(every range is guaranteed by construction, e.g. ratios are clamped), and
``tests/unit/test_simulator_contract.py`` parses every event of a week with
every incident kind through ``parse_event`` and the JSON Schemas to prove it.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from xlapulse.collectors.contract.events import EVENT_TYPES, SCHEMA_VERSION, EventBase

SOURCE_SYSTEM = "simulator"

_new_object = object.__new__
_set_attribute = object.__setattr__
_UUID4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))  # variant and version bits
_UUID4_SET = (0x8000 << 48) | (4 << 76)  # RFC 4122 variant, version 4
_UUID_UNKNOWN_SAFETY = uuid.SafeUUID.unknown


def new_event_id(rng: random.Random) -> uuid.UUID:
    """A random (version 4) UUID from ``rng``; equals ``uuid.UUID(int=bits, version=4)``."""
    event_id = _new_object(uuid.UUID)
    _set_attribute(event_id, "int", (rng.getrandbits(128) & _UUID4_CLEAR) | _UUID4_SET)
    _set_attribute(event_id, "is_safe", _UUID_UNKNOWN_SAFETY)
    return event_id


def _constructor(model: type[EventBase]) -> Callable[[dict[str, Any]], EventBase]:
    """A function that makes a ``model`` instance from trusted field values, defaults filled.

    ``__pydantic_fields_set__`` is set to the names given, as ``model_construct`` does.
    """
    # Every field, in definition order (so the JSON reads envelope first); a required
    # field starts as None, which the contract tests would catch if one were left out.
    defaults = {
        name: None if field.is_required() else field.get_default(call_default_factory=True)
        for name, field in model.model_fields.items()
    }
    defaults["schema_version"] = SCHEMA_VERSION

    def construct(fields: dict[str, Any]) -> EventBase:
        instance = _new_object(model)
        _set_attribute(instance, "__dict__", {**defaults, **fields})
        _set_attribute(instance, "__pydantic_fields_set__", set(fields))  # as model_construct
        _set_attribute(instance, "__pydantic_extra__", None)
        _set_attribute(instance, "__pydantic_private__", None)
        return instance

    return construct


_CONSTRUCTORS = {event_type: _constructor(model) for event_type, model in EVENT_TYPES.items()}


def event(
    event_type: str,
    rng: random.Random,
    when: datetime,
    user_id: str,
    device_id: str | None,
    fields: dict[str, Any],
) -> EventBase:
    """One event of ``event_type`` at ``when`` (aware, UTC); ``fields`` are its own fields."""
    fields["event_id"] = new_event_id(rng)
    fields["event_time"] = when
    fields["user_id"] = user_id
    if device_id is not None:
        fields["device_id"] = device_id
    return _CONSTRUCTORS[event_type](fields)
