"""The worker's input decode under hostile records: an event or a ContractViolation.

``read_input_record`` (streams/scoring/pipeline.py, over the contract codec) is what
every agent calls first; the worker dead-letters a ``ContractViolation`` with its
reason (streams/app.py: log line, metric, ``xlapulse-dead-letter-reason`` header). Fed
raw bytes, truncated JSON, wrong types, huge fields, deep nesting, wrong schema versions
and clear-text identities, it must return a valid event of the topic's kind or raise
ContractViolation, never another exception, and the reason must be short, encodable as
a header and free of the identities in the record.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.hostile import (
    HOSTILE_TEXTS,
    HOSTILE_VALUES,
    IDENTITIES,
    assert_nothing_personal,
    count,
    deep,
    dumps,
    fuzz_settings,
    mutated_json,
)
from tests.unit.test_contract import ONE_OF_EACH
from xlapulse.collectors.contract.codec import MAX_REASON_CHARS, ContractViolation, encode_event
from xlapulse.collectors.contract.topics import topic_for
from xlapulse.streams.scoring.pipeline import read_input_record

VALID = [(topic_for(event), json.loads(encode_event(event))) for event in ONE_OF_EACH]
TOPICS = sorted({topic for topic, _ in VALID})


def decode(raw: bytes, topic: str) -> None:
    """Decode as the worker does and check the outcome (see the module docstring)."""
    count("worker decode")
    try:
        event = read_input_record(raw, topic)
    except ContractViolation as violation:
        reason = violation.reason
        assert reason and len(reason) <= MAX_REASON_CHARS
        reason.encode()  # the dead-letter header: no lone surrogate may be left
        assert_nothing_personal([reason, str(violation)], "a dead-letter reason")
        return
    assert read_input_record(encode_event(event), topic) == event  # valid: round-trips


@fuzz_settings(1500)
@given(raw=st.binary(max_size=400), topic=st.sampled_from(TOPICS))
def test_raw_bytes(raw: bytes, topic: str) -> None:
    decode(raw, topic)


@fuzz_settings(700)
@given(valid=st.sampled_from(VALID), cut=st.floats(min_value=0, max_value=1))
def test_truncated_json(valid: tuple[str, dict], cut: float) -> None:
    topic, document = valid
    raw = json.dumps(document).encode()
    decode(raw[: int(len(raw) * cut)], topic)


@fuzz_settings(1700)
@given(valid=st.sampled_from(VALID), data=st.data())
def test_wrong_types_and_values(valid: tuple[str, dict], data: st.DataObject) -> None:
    topic, document = valid
    decode(dumps(data.draw(mutated_json(document))).encode("utf-8", "surrogatepass"), topic)


@fuzz_settings(500)
@given(
    valid=st.sampled_from(VALID),
    field=st.sampled_from(["user_id", "device_id", "comment", "ticket_id", "event_type"]),
    identity=st.sampled_from(IDENTITIES),
    as_key=st.booleans(),
)
def test_clear_text_identities(valid: tuple[str, dict], field: str, identity: str, as_key: bool):
    topic, document = valid
    document = {**document, identity: 1} if as_key else {**document, field: identity}
    decode(json.dumps(document).encode(), topic)


@fuzz_settings(500)
@given(
    valid=st.sampled_from(VALID),
    version=st.one_of(
        HOSTILE_TEXTS,
        st.from_regex(r"\A[0-9]{1,12}\.[0-9]{0,12}\Z"),
        HOSTILE_VALUES,
    ),
)
def test_wrong_schema_versions(valid: tuple[str, dict], version: Any) -> None:
    topic, document = valid
    decode(dumps({**document, "schema_version": version}).encode("utf-8", "surrogatepass"), topic)


@fuzz_settings(400)
@given(
    valid=st.sampled_from(VALID),
    size=st.integers(min_value=190, max_value=80_000),
    nesting=st.integers(min_value=1, max_value=40_000),
    kind=st.sampled_from(["string", "integer", "nesting", "nesting-object", "many-keys"]),
)
def test_huge_fields_and_deep_nesting(
    valid: tuple[str, dict], size: int, nesting: int, kind: str
) -> None:
    topic, document = valid
    field = next(name for name in document if name.endswith(("_ms", "_id", "score", "persona")))
    if kind == "string":
        raw = json.dumps({**document, field: "x" * size}).encode()
    elif kind == "integer":  # written by hand: Python refuses to print 4300+ digits
        raw = json.dumps({**document, field: 0}).replace('": 0', '": ' + "9" * size, 1).encode()
    elif kind == "many-keys":
        raw = json.dumps({**document, **{f"k{i}": i for i in range(size // 10)}}).encode()
    else:
        nested = "[" * nesting + "]" * nesting if kind == "nesting" else None
        text = nested or dumps(deep(min(nesting, 900), "dict"))
        raw = json.dumps({**document, field: 0}).replace('": 0', '": ' + text, 1).encode()
    decode(raw, topic)


@pytest.mark.parametrize(("topic", "document"), VALID, ids=[t for t, _ in VALID])
def test_the_valid_records_are_read(topic: str, document: dict) -> None:
    event = read_input_record(json.dumps(document).encode(), topic)
    assert event.event_type == document["event_type"]
