"""The pydantic-free event path (contract/wire.py, agent/privacy_decisions.py) produces
exactly what the pydantic contract models produce, and rejects what they reject."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from tests.unit.helpers import PSEUDONYMIZER
from tests.unit.source_samples import GOLDEN, SAMPLE_ROUNDS, sample_events
from tests.unit.wire_events import contract_event
from xlapulse.collectors.agent.privacy_filter import decide_privacy
from xlapulse.collectors.contract import wire
from xlapulse.collectors.contract.codec import encode_event
from xlapulse.collectors.contract.events import TELEMETRY_TYPES, PrintJobEvent
from xlapulse.collectors.contract.wire import (
    KEYWORDS,
    WireError,
    encode,
    event_schema,
    rfc3339,
    telemetry_event,
    telemetry_event_types,
)

ENVELOPE = {
    "event_time": datetime(2026, 11, 20, 8, 1, tzinfo=UTC),
    "user_id": PSEUDONYMIZER.user("alice"),
    "device_id": PSEUDONYMIZER.device("pc-1"),
}


def sorted_json(raw: bytes) -> str:
    """The same JSON text for the same values whatever the key order (field order differs)."""
    return json.dumps(json.loads(raw), sort_keys=True)


MODELS = {model.model_fields["event_type"].default: model for model in TELEMETRY_TYPES}


@pytest.mark.parametrize("source", sorted(SAMPLE_ROUNDS))
def test_sources_send_what_the_pydantic_models_sent_on_the_captured_samples(source):
    golden = [json.loads(line) for line in (GOLDEN / f"{source}.ndjson").read_text().splitlines()]
    events = sample_events(source)
    assert [json.loads(encode(event)) for event in events] == golden
    for event, expected in zip(events, golden, strict=True):
        # each one passes the committed schema and parse_event (contract_event raises where
        # either refuses it), and the parsed event holds exactly the expected fields and values
        parsed = contract_event(event)
        assert sorted_json(encode_event(parsed)) == json.dumps(expected, sort_keys=True)


def test_telemetry_types_and_defaults_come_from_the_models():
    assert telemetry_event_types() == set(MODELS)
    for event_type, model in MODELS.items():
        properties = event_schema(event_type)["properties"]
        assert set(properties) == set(model.model_fields)
        for name, spec in properties.items():
            assert set(spec) | {key for o in spec.get("anyOf", []) for key in o} <= KEYWORDS
            info = model.model_fields[name]
            if not info.is_required() and name != "event_id":
                assert wire._default(spec) == info.get_default(call_default_factory=True), name


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 20, 8, 1, tzinfo=UTC),
        datetime(2026, 11, 20, 8, 1, 2, 500000, tzinfo=UTC),
        datetime(2026, 11, 20, 8, 1, 2, 7, tzinfo=timezone(timedelta(hours=1))),
        datetime(2026, 11, 20, 8, 1, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
        datetime(2026, 11, 20, 8, 1, tzinfo=timezone(timedelta(0))),
    ],
)
def test_event_time_is_formatted_like_pydantic(moment):
    model = PrintJobEvent(**{**ENVELOPE, "event_time": moment}, outcome="failed", printer="p")
    assert json.loads(encode_event(model))["event_time"] == rfc3339(moment)


def test_defaults_strip_none_and_numbers_like_the_model():
    fields = {"call_id": " c-1 ", "media": "audio", "direction": "inbound", "jitter_ms": None}
    fields |= {"duration_s": True, "round_trip_ms": 3.0}
    wire = telemetry_event("call_quality", **ENVELOPE, packet_loss_ratio=0, mos=4, **fields)
    model = MODELS["call_quality"](event_id=wire["event_id"], **ENVELOPE, **fields,
                                   packet_loss_ratio=0, mos=4)  # fmt: skip
    assert sorted_json(encode(wire)) == sorted_json(encode_event(model))  # 0.0, not 0
    assert len(str(telemetry_event("print_job", **ENVELOPE, outcome="printed", printer="p")
                   ["event_id"])) == 36  # fmt: skip


@pytest.mark.parametrize(
    "fields",
    [
        {"outcome": "lost", "printer": "p"},  # not in the Literal
        {"outcome": "failed", "printer": " "},  # empty after stripping
        {"outcome": "failed", "printer": "p" * 201},
        {"outcome": "failed", "printer": "p", "page_count": -1},
        {"outcome": "failed", "printer": "p", "colour": "red"},  # unknown field
        {"outcome": "failed"},  # required field missing
        {"outcome": "failed", "printer": None},
        {"outcome": "failed", "printer": "p", "user_id": "alice"},  # not a pseudonym
        {"outcome": "failed", "printer": "p", "event_time": datetime(2026, 11, 20)},  # naive
    ],
)
def test_what_the_model_rejects_the_wire_rejects(fields):
    arguments = {**ENVELOPE, **fields}
    with pytest.raises(ValidationError):
        PrintJobEvent(**arguments)
    with pytest.raises(WireError):
        telemetry_event("print_job", **arguments)


def test_only_telemetry_can_be_built_on_the_wire():
    with pytest.raises(WireError, match="not a telemetry event type"):
        telemetry_event("ticket", **ENVELOPE)


def test_privacy_decisions_blank_as_model_copy_did():
    switches = ["vpn_session.vpn_gateway", "vpn_session.reason", "boot.degrading_components"]
    switches += ["boot.is_degradation", "print_job.printer"]
    decisions = decide_privacy(["logon"], switches)
    for source in ("journald", "systemd_boot", "windows_eventlog"):
        for event in sample_events(source):
            blanked = decisions.apply(event)
            model = contract_event(event)
            update = decisions.blanks.get(event["event_type"], {})
            if event["event_type"] == "logon":
                assert blanked is None
            else:
                copied = encode_event(model.model_copy(update=update))
                assert sorted_json(encode(blanked)) == sorted_json(copied)
