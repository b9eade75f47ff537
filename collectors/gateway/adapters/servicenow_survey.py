"""ServiceNow survey answers (``asmt_assessment_instance_question``) to survey answers.

Reads what a business rule on ``asmt_assessment_instance_question`` (after update, when
``value`` changes on a completed instance of the customer satisfaction survey) posts:
``record``, the answer in Table API form (``{"display_value", "value"}`` per field, or
plain values: ``sys_id``, ``value``, ``sys_updated_on``), ``metric`` (the question's
``asmt_metric``: ``datatype``, ``min``, ``max``) and ``instance`` (its
``asmt_assessment_instance``: ``user.email``, ``trigger_id.number``, the task the survey
was sent for). The rule script is in the gateway README. Numeric questions
(``scale``, ``numericscale``) are mapped from ``min..max`` onto 0-10; another datatype
(a free-text or yes/no question) is no score and is ignored. The user is named by the
e-mail the ServiceNow ticket adapter reads, so the answer joins the caller's tickets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlapulse.collectors.gateway.adapters.csat import CsatAnswer, scaled
from xlapulse.collectors.gateway.adapters.lifecycle import (
    IgnoredEvent,
    PayloadError,
    as_mapping,
    optional_text,
    parse_time,
)

SCORED_DATATYPES = frozenset({"scale", "numericscale"})


def answer(document: Mapping[str, Any]) -> CsatAnswer:
    """The answer in one posted survey question; :class:`IgnoredEvent` for an unscored one."""
    record = as_mapping(document.get("record"), "record")
    metric = as_mapping(document.get("metric"), "metric")
    instance = as_mapping(document.get("instance"), "instance")
    datatype = (_value(metric, "datatype", "metric") or "").casefold()
    if datatype not in SCORED_DATATYPES:
        raise IgnoredEvent(f"ServiceNow survey question of datatype {datatype[:20]!r}: no score")
    user = as_mapping(instance.get("user"), "instance.user")
    email = _value(user, "email", "instance.user")
    task = as_mapping(instance.get("trigger_id"), "instance.trigger_id")
    number = _value(task, "number", "instance.trigger_id")
    if not email or not number:
        raise PayloadError("instance.user.email and instance.trigger_id.number are required")
    return CsatAnswer(
        ticket_id=number,
        user_identity=email,
        score=scaled(
            _number(record, "value", "record"),
            _number(metric, "min", "metric"),
            _number(metric, "max", "metric"),
            "record.value",
        ),
        answered_at=parse_time(_value(record, "sys_updated_on", "record"), "record.sys_updated_on"),
    )


def _value(record: Mapping[str, Any], field: str, what: str) -> str | None:
    """A field as plain text, read from ``{"value": ...}`` (Table API) or a plain value."""
    raw = record.get(field)
    if isinstance(raw, Mapping):
        raw = raw.get("value")
    return optional_text(raw, f"{what}.{field}")


def _number(record: Mapping[str, Any], field: str, what: str) -> float:
    text = _value(record, field, what)
    try:
        return float(text or "")
    except ValueError:
        raise PayloadError(f"{what}.{field} is not a number") from None
