"""journald: logind sessions started and ended (tests/data/os/linux/logind)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.unit.helpers import IDENTITY, PSEUDONYMIZER, runtime_settings
from tests.unit.source_samples import LINUX
from tests.unit.wire_events import contract_events
from xlapulse.collectors.sources.journald.settings import JournaldSettings
from xlapulse.collectors.sources.journald.source import JournaldSource

LOGIND = LINUX / "logind"


def collect(text: str, bookmark: str | None = None):
    source = JournaldSource(runtime_settings(JournaldSettings()), IDENTITY, lambda *_: text)
    return source.collect(bookmark)


def sessions(collected):
    return [e for e in contract_events(collected) if e.event_type == "session"]


def test_the_published_new_session_entry_starts_a_session():
    collected = collect((LOGIND / "new-session-published.json").read_text())
    (started,) = sessions(collected)
    assert (started.state, started.session_id, started.active_duration_s) == ("started", "21", None)
    assert started.event_time == datetime.fromtimestamp(1763028417356088 / 1e6, UTC)
    assert started.user_id == PSEUDONYMIZER.user("testuser")
    assert "testuser" not in json.dumps(collected.events, default=str)
    assert json.loads(collected.bookmark)["state"]["sessions"] == {"21": 1763028417356088}


def test_greeter_and_forged_entries_are_left_out_and_the_end_carries_the_length():
    collected = collect((LOGIND / "sessions-reconstructed.json").read_text())
    found = [(e.state, e.session_id, e.active_duration_s) for e in sessions(collected)]
    # gdm's greeter session c1 writes nothing; the forged "Removed session 21." (_UID 1000)
    # is counted and does not end the session; logind's own ends it 3725.1 s after its start
    assert found == [("started", "21", None), ("ended", "21", 3725)]
    assert collected.unparsed.counts == {"forged-not-from-root": 1}
    assert json.loads(collected.bookmark)["state"]["sessions"] == {}


def test_a_session_spanning_rounds_and_a_removal_without_a_start():
    lines = (LOGIND / "sessions-reconstructed.json").read_text().splitlines()
    first = collect("\n".join(lines[:2]))
    second = collect("\n".join(lines[2:]), first.bookmark)
    assert [(e.state, e.active_duration_s) for e in sessions(second)] == [("ended", 3725)]
    alone = collect(lines[-1])  # the session began before the first read
    assert [(e.state, e.active_duration_s) for e in sessions(alone)] == [("ended", None)]


def test_a_bookmark_of_the_release_before_sessions_still_resumes():
    old = json.dumps({"cursor": "s=1;i=1", "state": {"logons": [], "vpn": {}, "cups": {}}})
    collected = collect((LOGIND / "sessions-reconstructed.json").read_text(), old)
    assert [e.state for e in sessions(collected)] == ["started", "ended"]


def test_a_session_longer_than_31_days_ends_without_a_duration_and_bad_ids_are_rejected():
    lines = (LOGIND / "sessions-reconstructed.json").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    entries[-1]["__REALTIME_TIMESTAMP"] = str(1763028417356088 + 40 * 86_400 * 10**6)
    collected = collect("\n".join(json.dumps(e) for e in entries))
    assert [(e.state, e.active_duration_s) for e in sessions(collected)] == [
        ("started", None),
        ("ended", None),
    ]
    entries[1]["SESSION_ID"] = "21; rm -rf"
    collected = collect("\n".join(json.dumps(e) for e in entries))
    assert collected.unparsed.counts["rejected (ValueError)"] == 1
