"""Windows interactive sessions from the Security log (tests/data/os/windows/security-*.xml)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from tests.unit.helpers import IDENTITY, PSEUDONYMIZER, runtime_settings
from tests.unit.source_samples import WINDOWS, CapturedWevtutil
from tests.unit.wire_events import contract_events
from xlapulse.collectors.sources.base import SourceError
from xlapulse.collectors.sources.windows_eventlog import sessions
from xlapulse.collectors.sources.windows_eventlog.audit_policy import OTHER_LOGON_LOGOFF_GUID
from xlapulse.collectors.sources.windows_eventlog.mapper import EVENT_IDS_BY_CHANNEL, SECURITY
from xlapulse.collectors.sources.windows_eventlog.settings import WindowsEventLogSettings
from xlapulse.collectors.sources.windows_eventlog.source import WindowsEventLogSource

LEARN = "security-learn-samples.xml"  # Microsoft Learn's published Event XML
DAY = "security-session-day.xml"  # reconstructed around the real 4800 / 4801
RDP = "security-rdp-learn-samples.xml"  # Microsoft Learn's published 4779 and 4778


def collect(runner, bookmark=None):
    settings = runtime_settings(WindowsEventLogSettings())
    return WindowsEventLogSource(settings, IDENTITY, runner).collect(bookmark)


def session_events(collected):
    return [e for e in contract_events(collected) if e.event_type == "session"]


class SecurityRounds:
    """Answers the Security query with the next text of ``rounds``, other channels empty."""

    def __init__(self, rounds: list[str]) -> None:
        self.rounds = rounds
        self.queries: list[str] = []

    def __call__(self, argv, timeout_s):
        if argv[2] != SECURITY:
            return "<Events></Events>"
        self.queries.append(argv[3])
        return self.rounds.pop(0)


def test_the_security_channel_is_queried_for_the_seven_session_ids():
    assert EVENT_IDS_BY_CHANNEL[SECURITY] == (4624, 4800, 4801, 4779, 4778, 4647, 4634)
    runner = CapturedWevtutil({SECURITY: LEARN})
    collect(runner)
    (query,) = [argv[3] for argv in runner.queries if argv[2] == SECURITY]
    assert (
        "EventID=4624 or EventID=4800 or EventID=4801 or EventID=4779 or EventID=4778 "
        "or EventID=4647 or EventID=4634"
    ) in query


def test_a_remote_desktop_disconnect_and_reconnect_pause_the_active_time():
    """Microsoft Learn's 4779 and 4778 of ladmin's RDP session 0x1e01f6 (LogonID, not
    TargetLogonId; AccountName, not TargetUserName)."""
    collected = collect(CapturedWevtutil({SECURITY: RDP}))
    found = [(e.state, e.session_id, e.active_duration_s) for e in session_events(collected)]
    assert found == [
        ("locked", "0x1e01f6", None),  # disconnected; its start was never read
        ("unlocked", "0x1e01f6", None),  # reconnected 48.7 s later: active again
    ]
    assert {e.user_id for e in session_events(collected)} == {PSEUDONYMIZER.user("ladmin")}
    assert "ladmin" not in json.dumps(collected.events, default=str)
    day = (WINDOWS / DAY).read_text()
    rdp = re.findall(r"<Event .*?</Event>", (WINDOWS / RDP).read_text(), re.DOTALL)
    logon_id = '<Data Name="LogonID">0x759a9</Data>'
    # the day's session disconnected at 12:00:00 and reconnected at 12:30:00 (times and id
    # put on the real records): active 08:02:11.1 -> 12:00:00 (14,268 s), none till 12:30,
    # then active to the lock at 23:47:02.4 (40,622 s)
    disconnect, reconnect = (
        re.sub(r'SystemTime="[^"]+"', f'SystemTime="2015-09-10T{at}Z"', event).replace(
            '<Data Name="LogonID">0x1e01f6</Data>', logon_id
        )
        for event, at in zip(rdp, ("12:00:00.000000000", "12:30:00.000000000"), strict=True)
    )
    first_lock = day.rindex("<Event ", 0, day.index("<EventID>4800<"))
    with_rdp = day[:first_lock] + disconnect + reconnect + day[first_lock:]
    collected = collect(SecurityRounds([with_rdp]))
    states = [(e.state, e.active_duration_s) for e in session_events(collected)]
    assert states[:4] == [
        ("started", None),
        ("locked", 14268),
        ("unlocked", None),
        ("locked", 40622),
    ]


def test_microsoft_learn_samples_each_map_or_are_left_out():
    collected = collect(CapturedWevtutil({SECURITY: LEARN}))
    found = [(e.state, e.session_id, e.active_duration_s) for e in session_events(collected)]
    assert found == [
        # 4634 of DWM-1 (S-1-5-90-1, "Window Manager", type 2) is no person: left out.
        ("ended", "0x29b379", None),  # 4647 of a session that began before the first read
        ("locked", "0x759a9", None),  # never seen active: no duration
        ("unlocked", "0x759a9", None),
        ("started", "0x8dcdc", None),  # 4624 type 2, Administrator
    ]
    ended, locked, unlocked, started = session_events(collected)
    assert started.event_time == datetime(2015, 11, 12, 0, 24, 35, 79785, UTC)
    assert started.user_id == PSEUDONYMIZER.user("Administrator")
    assert locked.user_id == unlocked.user_id == ended.user_id == PSEUDONYMIZER.user("dadmin")
    assert json.loads(collected.bookmark)["state"]["sessions"]["open"] == {
        "0x759a9": {"active_since": "2015-09-10T23:47:05.886096+00:00"},
        "0x8dcdc": {"active_since": "2015-11-12T00:24:35.079785+00:00"},
    }


def test_no_user_name_leaves_the_endpoint():
    collected = collect(CapturedWevtutil({SECURITY: DAY}))
    sent = json.dumps(collected.events, default=str)
    assert "dadmin" not in sent and "CONTOSO" not in sent and "S-1-5-21" not in sent


def test_a_day_start_lock_unlock_logoff_with_active_seconds():
    collected = collect(CapturedWevtutil({SECURITY: DAY}))
    found = [(e.state, e.session_id, e.active_duration_s) for e in session_events(collected)]
    assert found == [
        ("started", "0x759a9", None),  # the DWM-1 logon, the UAC linked one, type 3: nothing
        ("locked", "0x759a9", 56691),  # 08:02:11.104 -> 23:47:02.430 = 15 h 44 min 51.3 s
        ("unlocked", "0x759a9", None),
        ("ended", "0x759a9", 694),  # 23:47:05.886 -> 23:58:40.127 (4647) = 11 min 34.2 s
    ]  # the 4634s of both UAC tokens after the 4647 end nothing more
    assert json.loads(collected.bookmark)["state"]["sessions"] == {"open": {}, "linked": {}}


def test_a_session_spanning_rounds_is_measured_from_its_start():
    text = (WINDOWS / DAY).read_text()
    events = re.findall(r"<Event .*?</Event>", text, re.DOTALL)
    unlocked_at = next(i for i, e in enumerate(events) if "<EventID>4801<" in e)
    first_text = "<Events>" + "".join(events[: unlocked_at + 1]) + "</Events>"
    second_text = "<Events>" + "".join(events[unlocked_at + 1 :]) + "</Events>"
    runner = SecurityRounds([first_text, second_text])
    first = collect(runner)
    assert [e.state for e in session_events(first)] == ["started", "locked", "unlocked"]
    second = collect(runner, first.bookmark)
    assert "EventRecordID>237657" in runner.queries[1]
    assert [(e.state, e.active_duration_s) for e in session_events(second)] == [("ended", 694)]


def test_a_session_ended_while_locked_had_no_active_time_since_the_lock():
    text = (WINDOWS / DAY).read_text()
    without_unlock = re.sub(r"<Event [^>]*>(?:(?!</Event>).)*<EventID>4801<.*?</Event>", "", text,
                            flags=re.DOTALL)  # fmt: skip
    collected = collect(SecurityRounds([without_unlock]))
    assert [(e.state, e.active_duration_s) for e in session_events(collected)][-1] == ("ended", 0)


def test_a_bookmark_of_the_release_before_sessions_still_resumes():
    old = json.dumps({"records": {SECURITY: 1}, "state": {"logon": None, "vpn": {}}})
    collected = collect(CapturedWevtutil({SECURITY: DAY}), old)
    assert len(session_events(collected)) == 4


def test_the_open_sessions_kept_are_bounded():
    tracker = sessions.SessionTracker(None)
    tracker.open = {f"0x{i:x}": {"active_since": None} for i in range(sessions.MAX_OPEN_SESSIONS)}
    tracker.linked = {"0xffff": "0x0"}
    sessions._drop_oldest(tracker.open, tracker.linked)
    assert len(tracker.open) == sessions.MAX_OPEN_SESSIONS
    tracker.open["0xnew"] = {"active_since": None}
    sessions._drop_oldest(tracker.open, tracker.linked)
    assert "0x0" not in tracker.open and tracker.linked == {}


def test_a_logon_id_that_is_no_luid_is_rejected_and_the_round_goes_on():
    text = (WINDOWS / DAY).read_text().replace(">0x759a9<", ">0x759a9 or anything<", 1)
    collected = collect(SecurityRounds([text]))
    assert collected.unparsed.counts == {"rejected (ValueError)": 1}  # the 4624 of 0x759a9
    # its UAC twin 0x759c2 now starts the session (its linked id was never opened) and
    # the lock, unlock and logoff of 0x759a9 are read without a start
    assert [(e.state, e.session_id) for e in session_events(collected)] == [
        ("started", "0x759c2"),
        ("locked", "0x759a9"),
        ("unlocked", "0x759a9"),
        ("ended", "0x759a9"),
        ("ended", "0x759c2"),  # its 4634
    ]


def test_an_active_span_beyond_the_contracts_31_days_is_sent_as_unknown():
    day = (WINDOWS / DAY).read_text()
    text = day.replace("2015-09-10T08:02:11.104514700Z", "2015-08-01T08:02:11.000000000Z")
    collected = collect(SecurityRounds([text]))
    started, locked, _, _ = session_events(collected)
    assert started.event_time == datetime(2015, 8, 1, 8, 2, 11, tzinfo=UTC)
    assert locked.active_duration_s is None  # 40 days: the event is sent, without a duration


AUDITPOL = "auditpol-other-logon-logoff-no-auditing.csv"  # reconstructed report (PROVENANCE)


def audit_runner(report: str | Exception):
    def run(argv, timeout_s):
        assert argv == ["auditpol", "/get", f"/subcategory:{OTHER_LOGON_LOGOFF_GUID}", "/r"]
        if isinstance(report, Exception):
            raise report
        return report

    return run


def source_with(runner) -> WindowsEventLogSource:
    return WindowsEventLogSource(runtime_settings(WindowsEventLogSettings()), IDENTITY, runner)


def test_collector_check_warns_when_locks_and_disconnects_are_not_audited():
    report = (WINDOWS / AUDITPOL).read_text()
    (warning,) = source_with(audit_runner(report)).prerequisite_warnings()
    assert '"No Auditing"' in warning and "4779" in warning
    assert f"auditpol /set /subcategory:{OTHER_LOGON_LOGOFF_GUID} /success:enable" in warning
    for audited in ("Success", "Success and Failure"):
        enabled = report.replace("No Auditing", audited)
        assert source_with(audit_runner(enabled)).prerequisite_warnings() == []
    failure_only = report.replace("No Auditing", "Failure")
    assert '"Failure"' in source_with(audit_runner(failure_only)).prerequisite_warnings()[0]
    (unknown,) = source_with(audit_runner("Machine Name,Policy Target\r\n")).prerequisite_warnings()
    assert "cannot tell" in unknown
    refused = SourceError("auditpol /get exited 5: Error 0x00000522 occurred")
    (cannot,) = source_with(audit_runner(refused)).prerequisite_warnings()
    assert cannot.startswith("cannot read the audit policy") and "0x00000522" in cannot
