"""The macOS console sessions source on the real IOConsoleUsers captures, round by round.

Reads: tests/data/os/macos/ioreg (through ``ioreg_captures``, which writes each capture
as ``ioreg -n Root -d1 -a`` prints it). Writes nothing. Where a round is derived from a
capture (a flag set or a session dropped), the test says which keys it changed.
"""

from __future__ import annotations

from tests.unit.helpers import IDENTITY, PSEUDONYMIZER
from tests.unit.ioreg_captures import (
    T0,
    day_outputs,
    ioreg_xml,
    run_rounds,
    session_dicts,
    with_keys,
)
from xlapulse.collectors.sources import SOURCES
from xlapulse.collectors.sources.macos_console_users.console_users import console_sessions

(UNLOCKED,) = session_dicts("nusb-37-ioreg-root-unlocked.txt")
(LOCKED,) = session_dicts("ulalaca-cgsession-locked.log")
JANE, JUNIOR = session_dicts("kolide-launcher-scutil-two-sessions.txt")
#: The two keys the real locked capture has and the unlocked ones have not.
LOCK = {k: LOCKED[k] for k in ("CGSSessionScreenIsLocked", "CGSSessionScreenLockedTime")}
LOGIN_WINDOW = ioreg_xml()  # no session: reconstructed (an empty IOConsoleUsers)


def changes(rounds) -> list[tuple]:
    """(round, state, session id, active s, seconds after T0, user) of every event."""
    return [
        (index, e["state"], e["session_id"], e.get("active_duration_s"),
         int(e["event_time"][11:13]) * 3600 + int(e["event_time"][14:16]) * 60
         + int(e["event_time"][17:19]) - (T0 % 86_400), e["user_id"])
        for index, collected in enumerate(rounds)
        for e in collected.events
    ]  # fmt: skip


USER_A, JANE_U, JUNIOR_U = (PSEUDONYMIZER.user(n) for n in ("user-a", "jandoe", "jrdoe"))


def test_each_capture_reads_as_published() -> None:
    (a,) = console_sessions(ioreg_xml(UNLOCKED)).sessions
    assert (a.session_id, a.user, a.on_console, a.locked, a.active) == (
        "100017", "user-a", True, False, True
    )  # fmt: skip
    (b,) = console_sessions(ioreg_xml(LOCKED)).sessions
    assert (b.session_id, b.on_console, b.locked, b.active, b.unique) == (
        "100015", True, True, False, None
    )  # fmt: skip
    jane, junior = console_sessions(ioreg_xml(JANE, JUNIOR)).sessions
    assert (jane.session_id, jane.active, junior.session_id, junior.active) == (
        "100099", True, "100999", False
    )  # fmt: skip


def test_sign_in_lock_unlock_sign_out_of_one_session() -> None:
    outputs = [LOGIN_WINDOW, ioreg_xml(UNLOCKED), ioreg_xml(with_keys(UNLOCKED, **LOCK)),
               ioreg_xml(UNLOCKED), ioreg_xml(UNLOCKED), LOGIN_WINDOW]  # fmt: skip
    rounds = run_rounds(outputs)
    assert changes(rounds) == [
        (1, "started", "100017", None, 60, USER_A),
        (2, "locked", "100017", 60, 120, USER_A),
        (3, "unlocked", "100017", None, 180, USER_A),
        (5, "ended", "100017", 120, 300, USER_A),
    ]
    assert {e["device_id"] for r in rounds for e in r.events} == {IDENTITY.device_id}
    assert all(r.unparsed.total == 0 for r in rounds)


def test_fast_user_switching_locks_the_session_switched_away_from() -> None:
    # the pair as published (Jane on the console) at the first read, then switched to
    # Junior (derived: the two kCGSSessionOnConsoleKey flags swapped), then back
    switched = ioreg_xml(with_keys(JANE, kCGSSessionOnConsoleKey=False),
                         with_keys(JUNIOR, kCGSSessionOnConsoleKey=True))  # fmt: skip
    rounds = run_rounds([ioreg_xml(JANE, JUNIOR), switched, ioreg_xml(JANE, JUNIOR)])
    assert changes(rounds) == [
        (1, "locked", "100099", None, 60, JANE_U),  # running before the first read
        (1, "unlocked", "100999", None, 60, JUNIOR_U),
        (2, "unlocked", "100099", None, 120, JANE_U),
        (2, "locked", "100999", 60, 120, JUNIOR_U),
    ]


def test_a_session_that_appears_locked_or_switched_away_starts_inactive() -> None:
    rounds = run_rounds([LOGIN_WINDOW, ioreg_xml(LOCKED), ioreg_xml(JANE, JUNIOR)])
    user_b = PSEUDONYMIZER.user("user-b")
    assert changes(rounds) == [
        (1, "started", "100015", None, 60, user_b),
        (1, "locked", "100015", 0, 60, user_b),
        (2, "started", "100099", None, 120, JANE_U),
        (2, "started", "100999", None, 120, JUNIOR_U),
        (2, "locked", "100999", 0, 120, JUNIOR_U),
        (2, "ended", "100015", 0, 120, user_b),
    ]


def test_the_login_window_a_login_in_progress_and_system_accounts_are_no_sessions() -> None:
    # derived: the published session with its login not done, then as a system account
    login_running = with_keys(UNLOCKED, kCGSessionLoginDoneKey=False)
    system_account = with_keys(UNLOCKED, kCGSSessionUserIDKey=248)
    outputs = [LOGIN_WINDOW, ioreg_xml(login_running), ioreg_xml(system_account),
               ioreg_xml(UNLOCKED)]  # fmt: skip
    assert changes(run_rounds(outputs)) == [(3, "started", "100017", None, 180, USER_A)]


def test_a_lock_seen_after_a_gap_is_dated_to_the_last_round_before_it() -> None:
    before = run_rounds([LOGIN_WINDOW, ioreg_xml(UNLOCKED), ioreg_xml(UNLOCKED)])
    # the Mac slept three hours and woke locked
    after = run_rounds([ioreg_xml(with_keys(UNLOCKED, **LOCK))], before[-1].bookmark,
                       start_s=T0 + 120 + 3 * 3600)  # fmt: skip
    assert changes(after) == [(0, "locked", "100017", 60, 120, USER_A)]


def test_an_id_given_to_another_session_after_a_restart_ends_the_old_one() -> None:
    # derived: the same audit id with another session UUID
    again = with_keys(UNLOCKED, CGSSessionUniqueSessionUUID="00000000-0000-0000-0000-000000000001")
    rounds = run_rounds([LOGIN_WINDOW, ioreg_xml(UNLOCKED), ioreg_xml(again)])
    assert [c[:4] for c in changes(rounds)] == [
        (1, "started", "100017", None),
        (2, "ended", "100017", 60),
        (2, "started", "100017", None),
    ]


def test_malformed_output_is_counted_and_compared_with_the_last_readable_round() -> None:
    whole = ioreg_xml(UNLOCKED)
    rounds = run_rounds([LOGIN_WINDOW, whole, whole[: len(whole) // 2], "", LOGIN_WINDOW])
    assert [r.unparsed.counts for r in rounds] == [
        {}, {}, {"ioreg-output-unreadable": 1}, {"ioreg-output-unreadable": 1}, {}
    ]  # fmt: skip
    assert rounds[2].bookmark == rounds[3].bookmark == rounds[1].bookmark
    assert rounds[2].events == rounds[3].events == []
    # three intervals since the last readable round: dated to it, nothing unseen counted
    assert changes(rounds)[-1] == (4, "ended", "100017", 0, 60, USER_A)


def test_an_unreadable_session_is_counted_and_ends_no_session() -> None:
    broken = with_keys(JANE, kCGSSessionAuditIDKey="100099", kSCSecuritySessionID="100099")
    rounds = run_rounds([LOGIN_WINDOW, ioreg_xml(UNLOCKED), ioreg_xml(broken), LOGIN_WINDOW])
    assert rounds[2].unparsed.counts == {"console-session-unreadable": 1}
    assert "jandoe" not in rounds[2].unparsed.excerpts["console-session-unreadable"]
    assert [c[:3] for c in changes(rounds)] == [(1, "started", "100017"), (3, "ended", "100017")]


def test_the_bookmark_keeps_no_account_name_nor_session_uuid() -> None:
    rounds = run_rounds(day_outputs())
    texts = [r.bookmark for r in rounds] + [str(r.events) for r in rounds]
    for clear in ("user-a", "User A", "jandoe", "Janice", "jrdoe", "F948E7B1"):
        assert not any(clear in text for text in texts), clear


def test_the_source_runs_on_macos_only() -> None:
    assert SOURCES["macos_console_users"].platforms == ("darwin",)
