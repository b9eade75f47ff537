"""Validate dashboard JSON against the Grafana 11.6 schema of the pinned SDK build.

The SDK's models are generated from Grafana's schema (CUE kinds), and their
``from_json`` keeps only the fields the schema knows, converting enums on the way
but not checking types). Decoding a document and encoding it again therefore gives
back the same JSON only when every key sits where the schema has it;
:func:`schema_problems` reports each difference by its JSON path, and then checks
every decoded value against the model's type hints (enums, literals, scalars).
InfluxDB targets are data-source specific (the schema leaves them open), so their
keys are checked against the InfluxDB data source's query model instead.
"""

from __future__ import annotations

import enum
import json
import typing
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard

#: Keys of an InfluxQL panel target and annotation target (Grafana's InfluxQuery).
INFLUXQL_TARGET_KEYS = frozenset(
    {"refId", "datasource", "rawQuery", "query", "alias", "resultFormat"}
)
INFLUXQL_ANNOTATION_KEYS = frozenset(
    {
        "refId",
        "query",
        "rawQuery",
        "queryType",
        "fromAnnotations",
        "textColumn",
        "tagsColumn",
        "titleColumn",
        "timeEndColumn",
    }
)

register_default_plugins()


def schema_problems(document: dict[str, Any]) -> list[str]:
    """Every path where ``document`` is not what the schema makes of it; [] when valid."""
    problems = _influx_target_problems(document)
    try:
        decoded = Dashboard.from_json(document)
    except (ValueError, KeyError, TypeError) as error:
        return [*problems, f"$: does not decode: {error!r}"]
    problems += _type_problems(decoded, "$")
    again = json.loads(JSONEncoder(sort_keys=True).encode(decoded))
    original = json.loads(json.dumps(document))
    for annotation_before, annotation_after in zip(
        original.get("annotations", {}).get("list", []),
        again.get("annotations", {}).get("list", []),
        strict=False,
    ):
        if annotation_before.get("datasource", {}).get("type") == "influxdb":
            annotation_before["target"] = annotation_after.get("target")
    return problems + json_differences(original, again, "$")


def _influx_target_problems(document: dict[str, Any]) -> list[str]:
    problems = []
    for index, panel in enumerate(document.get("panels", [])):
        for target in panel.get("targets", []):
            if target.get("datasource", {}).get("type") == "influxdb":
                unknown = set(target) - INFLUXQL_TARGET_KEYS
                if unknown or target.get("rawQuery") is not True:
                    problems.append(f"$.panels[{index}].targets: {sorted(unknown)} / rawQuery")
    for index, annotation in enumerate(document.get("annotations", {}).get("list", [])):
        if annotation.get("datasource", {}).get("type") == "influxdb":
            unknown = set(annotation.get("target", {})) - INFLUXQL_ANNOTATION_KEYS
            if unknown or "query" not in annotation.get("target", {}):
                problems.append(f"$.annotations.list[{index}].target: {sorted(unknown)}")
    return problems


def json_differences(before: Any, after: Any, path: str) -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(set(before) | set(after)):
            if key not in after:
                found.append(f"{path}.{key}: not in the schema (dropped when decoded)")
            elif key not in before:
                continue  # a default the schema adds
            else:
                found += json_differences(before[key], after[key], f"{path}.{key}")
        return found
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return [f"{path}: {len(before)} items became {len(after)}"]
        return [
            problem
            for index, (one, two) in enumerate(zip(before, after, strict=True))
            for problem in json_differences(one, two, f"{path}[{index}]")
        ]
    return [] if before == after else [f"{path}: {before!r} became {after!r}"]


def _type_problems(model: Any, path: str) -> list[str]:
    """Values of a decoded model that its type hints do not allow."""
    try:
        hints = typing.get_type_hints(type(model).__init__)
    except (NameError, TypeError):
        return []
    found = []
    for name, hint in hints.items():
        if name != "return" and hasattr(model, name):
            found += _check(getattr(model, name), hint, f"{path}.{name}")
    return found


def _check(value: Any, hint: Any, path: str) -> list[str]:
    if value is None or hint is Any:
        return []
    if hint is object:  # panel options and field config: the panel plugin's own model
        return _type_problems(value, path) if hasattr(value, "to_json") else []
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union:
        options = [arg for arg in args if arg is not type(None)]
        own = [arg for arg in options if isinstance(arg, type) and isinstance(value, arg)]
        results = [_check(value, arg, path) for arg in own or options]
        if any(not result for result in results):
            return []
        return min(results, key=len)
    if origin is typing.Literal:
        return [] if value in args else [f"{path}: {value!r} is not one of {args}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: {value!r} is not a list"]
        return [p for i, item in enumerate(value) for p in _check(item, args[0], f"{path}[{i}]")]
    if origin is dict:
        return [] if isinstance(value, dict) else [f"{path}: {value!r} is not an object"]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        allowed = {member.value for member in hint}
        return [] if value in allowed else [f"{path}: {value!r} is not one of {sorted(allowed)}"]
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {value!r} is not a number"]
    if hint in (int, str, bool):
        ok = isinstance(value, hint) and (hint is bool or not isinstance(value, bool))
        return [] if ok else [f"{path}: {value!r} is not {hint.__name__}"]
    if hasattr(value, "to_json") and isinstance(hint, type) and not isinstance(value, hint):
        return [f"{path}: {type(value).__name__} is not {hint.__name__}"]
    return _type_problems(value, path) if hasattr(value, "to_json") else []
