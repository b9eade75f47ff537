"""Build and check telemetry events as plain dicts, without pydantic (the collector runtime).

Reads: the committed JSON Schemas, which ``xlapulse contract export --output`` generates from the
pydantic models in ``events.py`` (still the one definition of the contract;
``test_contract_schemas`` fails on drift): ``schemas/event.schema.json`` once, for the
telemetry types, and ``schemas/<event type>.schema.json`` of each type built. Writes:
nothing; :func:`telemetry_event` returns the event as the dict whose compact JSON
(:func:`encode`) is what ``encode_event`` makes of the same pydantic model:

* defaults filled in from the schema (``schema_version``, ``event_type``, flags); an
  array without a schema default is the empty list (pydantic's ``default_factory=list``
  leaves no default in the schema) and ``event_id`` is a new UUID4 unless given;
* strings stripped (the models' ``str_strip_whitespace``); numbers converted as
  pydantic's lax mode does (an int in a ``number`` field is a float, a whole float in an
  ``integer`` field an int, a bool in a non-boolean field 0 or 1); a UUID its string;
  ``event_time`` RFC 3339, ``Z`` for UTC, microseconds only when not zero;
* ``None`` left out (``exclude_none``);
* then checked against the schema: a value the pydantic model would reject raises
  :class:`WireError` (a ``ValueError``, like pydantic's ``ValidationError``), also a
  number that is not finite (a NaN passes every bound) and a string with a lone
  surrogate (it cannot be encoded as UTF-8), as the models reject them.

Why not generated validator code: fastjsonschema's ``compile_to_code`` output imports
the ``fastjsonschema`` package and ``decimal``, measured at +3.6 MiB of RSS in the
collector, a tenth of its budget. The schemas use few keywords; :data:`KEYWORDS` lists
the ones checked here and a test fails if a schema starts using another.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import datetime
from functools import cache
from pathlib import Path

SCHEMA_DIR = Path(__file__).parent / "schemas"
KEYWORDS = frozenset(
    {
        "type", "const", "enum", "pattern", "format", "minimum", "maximum", "minLength",
        "maxLength", "items", "maxItems", "anyOf", "default", "title", "description",
    }
)  # fmt: skip
JSON_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "null": type(None),
}


class WireError(ValueError):
    """An event that does not satisfy the contract; the message names the field."""


@cache
def event_schema(event_type: str) -> dict:
    """The committed JSON Schema of one event type."""
    path = SCHEMA_DIR / f"{event_type}.schema.json"
    if not path.is_file():
        raise WireError(f"unknown event type {event_type!r}")
    return json.loads(path.read_text())


@cache
def telemetry_event_types() -> frozenset[str]:
    """Event types measured on a device: the union's members whose schema requires a device.

    One file read: the union holds every member's schema under ``$defs`` (the same models
    as the per-type files, ``test_contract_schemas``), so no per-type file is opened, nor
    kept in :func:`event_schema`'s cache, for a type the process never builds.
    """
    union = json.loads((SCHEMA_DIR / "event.schema.json").read_text())
    members = union["$defs"]
    return frozenset(
        event_type
        for event_type, ref in union["discriminator"]["mapping"].items()
        if "device_id" in members[ref.removeprefix("#/$defs/")]["required"]
    )


def telemetry_event(event_type: str, **fields: object) -> dict:
    """The event of ``event_type`` with ``fields``, as the contract serializes it."""
    if event_type not in telemetry_event_types():
        raise WireError(f"{event_type!r} is not a telemetry event type")
    schema = event_schema(event_type)
    properties = schema["properties"]
    unknown = sorted(set(fields) - set(properties))
    if unknown:
        raise WireError(f"{event_type}: unknown fields {unknown}")
    event = {name: _default(spec) for name, spec in properties.items() if name not in fields}
    event["event_id"] = fields.get("event_id") or uuid.uuid4()
    event.update((name, value) for name, value in fields.items() if name != "event_id")
    for name, value in fields.items():
        if value is None and not _allows(properties[name], "null"):
            raise WireError(f"{event_type}.{name}: None is not allowed")
    event = {name: _wire_value(value, properties[name]) for name, value in event.items()}
    event = {name: value for name, value in event.items() if value is not None}
    for name in schema.get("required", ()):
        if name not in event:
            raise WireError(f"{event_type}.{name}: field required")
    for name, value in event.items():
        _check(value, properties[name], f"{event_type}.{name}")
    return event


def encode(event: dict) -> bytes:
    """Compact UTF-8 JSON, the record value sent to Kafka."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def rfc3339(moment: datetime) -> str:
    """``2026-11-20T08:01:02.123456+01:00``; ``Z`` for UTC, no fraction on a whole second."""
    if moment.utcoffset() is None:
        raise WireError(f"event_time {moment.isoformat()} has no UTC offset")
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _default(spec: dict) -> object:
    if "default" in spec:
        return spec["default"]
    return [] if spec.get("type") == "array" else None


def _wire_value(value: object, spec: dict) -> object:
    if spec.get("format") == "uuid" and value is not None:
        return str(uuid.UUID(str(value)))
    if spec.get("format") == "date-time" and not isinstance(value, datetime):
        raise WireError(f"event_time must be a datetime, got {value!r}")
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list):
        return [_wire_value(item, spec.get("items", {})) for item in value]
    if isinstance(value, bool):
        return value if _allows(spec, "boolean") else int(value)  # pydantic's lax True -> 1
    if isinstance(value, int) and _allows(spec, "number"):
        return float(value)  # pydantic's float field turns 0 into 0.0
    if isinstance(value, float) and value.is_integer() and _allows(spec, "integer"):
        return int(value)  # and its int field 3.0 into 3
    return value


def _allows(spec: dict, json_type: str) -> bool:
    return json_type in {option.get("type") for option in spec.get("anyOf", [spec])}


def _check(value: object, spec: dict, where: str) -> None:
    if "anyOf" in spec:
        problems = []
        for option in spec["anyOf"]:
            try:
                return _check(value, option, where)
            except WireError as error:
                problems.append(str(error))
        raise WireError(problems[0])
    _check_type(value, spec, where)
    _check_bounds(value, spec, where)
    for item in value if isinstance(value, list) else ():
        _check(item, spec.get("items", {}), where)


def _check_type(value: object, spec: dict, where: str) -> None:
    expected = JSON_TYPES.get(spec.get("type", ""), object)
    is_bool = isinstance(value, bool)
    if not isinstance(value, expected) or (is_bool and spec.get("type") != "boolean"):
        raise WireError(f"{where}: expected {spec.get('type')}, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise WireError(f"{where}: {value!r} is not a finite number")
    if isinstance(value, str) and not _is_unicode(value):
        raise WireError(f"{where}: holds a lone surrogate, not valid Unicode")
    if "const" in spec and value != spec["const"]:
        raise WireError(f"{where}: must be {spec['const']!r}, got {value!r}")
    if "enum" in spec and value not in spec["enum"]:
        raise WireError(f"{where}: must be one of {spec['enum']}, got {value!r}")
    if "pattern" in spec and not re.search(spec["pattern"], value):  # type: ignore[arg-type]
        raise WireError(f"{where}: does not match {spec['pattern']}")


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_bounds(value: object, spec: dict, where: str) -> None:
    if "minimum" in spec and value < spec["minimum"]:  # type: ignore[operator]
        raise WireError(f"{where}: {value!r} is below {spec['minimum']}")
    if "maximum" in spec and value > spec["maximum"]:  # type: ignore[operator]
        raise WireError(f"{where}: {value!r} is above {spec['maximum']}")
    length = len(value) if isinstance(value, str | list) else 0
    if "minLength" in spec and length < spec["minLength"]:
        raise WireError(f"{where}: shorter than {spec['minLength']} characters")
    if "maxLength" in spec and length > spec["maxLength"]:
        raise WireError(f"{where}: longer than {spec['maxLength']} characters")
    if "maxItems" in spec and length > spec["maxItems"]:
        raise WireError(f"{where}: more than {spec['maxItems']} items")
