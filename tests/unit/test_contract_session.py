"""Contract 1.3: the session event (exposure), from the simulator through the engine.

The simulator's sessions must add up (active time = session time minus locks), the
engine must read them without scoring them, every field must be in the manifest, and a
1.2 consumer's events still parse.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime

import pytest

from xlapulse.collectors.agent.manifest import EVENT_PURPOSE, FIELD_WORDS, _field_lines
from xlapulse.collectors.agent.privacy_filter import TELEMETRY_MODELS, decide_privacy
from xlapulse.collectors.contract.codec import ContractViolation, encode_event, parse_event
from xlapulse.collectors.contract.events import SCHEMA_VERSION, SessionEvent
from xlapulse.collectors.contract.schema_export import SCHEMA_DIR
from xlapulse.collectors.contract.topics import TELEMETRY_TOPIC, topic_of_type
from xlapulse.collectors.contract.wire import telemetry_event
from xlapulse.collectors.simulator import telemetry
from xlapulse.streams.inprocess import InProcessPipeline

from .test_simulator_contract import ALL_KINDS_YAML, MONDAY, fleet_for, of_type, run

USER = "u_" + "a" * 32
DEVICE = "d_" + "b" * 32


def _session(**fields: object) -> dict:
    return {
        "schema_version": "1.3",
        "event_id": "5b7f63c1-8f7e-4d2c-9a65-0a8f0a1f6d11",
        "event_time": "2026-11-23T12:01:00+01:00",
        "user_id": USER,
        "device_id": DEVICE,
        "event_type": "session",
        **fields,
    }


def test_a_session_event_parses_and_rejects_what_the_contract_forbids() -> None:
    locked = parse_event(json.dumps(_session(state="locked", active_duration_s=5400)).encode())
    assert isinstance(locked, SessionEvent) and locked.active_duration_s == 5400
    assert SCHEMA_VERSION == "1.3" and topic_of_type("session") == TELEMETRY_TOPIC
    for bad, reason in (
        (_session(state="idle"), "session.state"),
        (_session(state="ended", active_duration_s=-1), "active_duration_s"),
        (_session(state="started", user_name="jan"), "user_name"),
    ):
        with pytest.raises(ContractViolation, match=reason):
            parse_event(json.dumps(bad).encode())
    old_minor = {**_session(state="started"), "schema_version": "1.2"}
    assert parse_event(json.dumps(old_minor).encode()).schema_version == "1.2"


def test_the_exported_schema_and_the_wire_builder_know_the_session_event() -> None:
    schema = json.loads((SCHEMA_DIR / "session.schema.json").read_text())
    assert schema["properties"]["state"]["enum"] == ["started", "locked", "unlocked", "ended"]
    assert schema["x-xlapulse-schema-version"] == "1.3"
    union = json.loads((SCHEMA_DIR / "event.schema.json").read_text())
    assert "session" in union["discriminator"]["mapping"]
    when = datetime(2026, 11, 23, 11, 1, tzinfo=UTC)
    built = telemetry_event(
        "session", event_time=when, user_id=USER, device_id=DEVICE, state="unlocked"
    )
    assert parse_event(json.dumps(built).encode()).state == "unlocked"


def test_every_collected_field_of_every_telemetry_type_is_in_the_manifest() -> None:
    assert set(EVENT_PURPOSE) == set(TELEMETRY_MODELS)
    lines = _field_lines("session", decide_privacy([], ["session.session_id"]))
    text = " ".join(" ".join(lines).split())  # long lines are wrapped
    assert "session_id: " + FIELD_WORDS["session_id"] + " <- switched off" in text
    assert "active_duration_s: how long it was unlocked before this lock or sign-out" in text
    assert "state: what happened to your sign-in session: started, locked" in text
    assert "user_id: your pseudonym" in text
    boot = " ".join(" ".join(_field_lines("boot", decide_privacy([], []))).split())
    assert "boot_duration_ms: how long starting took, from switching on until ready" in boot


def test_simulated_sessions_pair_up_and_their_active_time_adds_up() -> None:
    sessions = defaultdict(list)
    for event in of_type(run(ALL_KINDS_YAML), "session"):
        sessions[(event.user_id, event.session_id)].append(event)
    logons = {(e.user_id, e.event_time.date()) for e in of_type(run(ALL_KINDS_YAML), "logon")}
    assert len(sessions) == len(logons)  # one session per person and day worked
    locks = 0
    for changes in sessions.values():
        changes.sort(key=lambda e: e.event_time)
        states = [e.state for e in changes]
        assert states[0] == "started" and states[-1] == "ended"
        assert states[1:-1] == ["locked", "unlocked"] * ((len(states) - 2) // 2)
        locks += (len(states) - 2) // 2
        span_s = (changes[-1].event_time - changes[0].event_time).total_seconds()
        locked_s = sum(
            (unlock.event_time - lock.event_time).total_seconds()
            for lock, unlock in zip(changes[1:-1:2], changes[2:-1:2], strict=True)
        )
        active_s = sum(e.active_duration_s for e in changes if e.state in ("locked", "ended"))
        assert active_s == pytest.approx(span_s - locked_s, abs=len(changes))  # rounding
    assert locks > len(sessions)  # a lunch lock and breaks on most days


def test_sessions_changed_no_other_simulated_event(monkeypatch) -> None:
    """Sessions draw from their own RNG: without them every other event is the same."""
    with_sessions = [encode_event(e) for e in run(ALL_KINDS_YAML) if e.event_type != "session"]
    monkeypatch.setattr(telemetry, "session_events", lambda *arguments: None)
    fleet = fleet_for(ALL_KINDS_YAML)
    without = [encode_event(e) for e in fleet.events(MONDAY, 2)]
    assert without == with_sessions


def test_the_engine_reads_sessions_and_scores_nothing_from_them() -> None:
    pipeline = InProcessPipeline()
    events = run(ALL_KINDS_YAML)
    sessions = of_type(events, "session")
    directory = of_type(events, "directory_assignment")
    for event in [*directory, *sessions]:
        pipeline.feed_event(event)
    assert pipeline.outcomes["ok"] == len(directory) + len(sessions)
    assert not pipeline.dead_letters
    assert pipeline.latest("experience_score") == []
