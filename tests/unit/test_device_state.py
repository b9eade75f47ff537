"""The device join: a ticket explained by telemetry of the device it was raised from."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.unit.engine_events import assignment_event, feed, ticket_event
from xlapulse.collectors.contract.events import (
    DirectoryAssignmentEvent,
    TicketEvent,
    VpnSessionEvent,
    event_time_ms,
)
from xlapulse.streams.inprocess import InProcessPipeline
from xlapulse.streams.scoring.correlation import CORRELATION_WINDOW_MS
from xlapulse.streams.scoring.device_signals import (
    DeviceExplanation,
    DeviceProblem,
    DeviceTicket,
    device_signal_from_dict,
)
from xlapulse.streams.scoring.device_state import (
    DEVICE_STATE_TTL_MS,
    DEVICE_TICKET_HOLD_MS,
    MAX_DEVICE_PROBLEMS,
    MAX_DEVICE_TICKETS,
    DeviceState,
    is_expired,
    step,
)
from xlapulse.streams.scoring.observations import TicketObservation
from xlapulse.streams.scoring.ticket_categories import fitting_touch_points
from xlapulse.streams.scoring.user_state import MINUTE_MS
from xlapulse.streams.scoring.user_state import step as user_step
from xlapulse.streams.scoring.user_tickets import MAX_OPEN_TICKETS
from xlapulse.streams.scoring.xla import default_xla_config

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
T0_MS = int(T0.timestamp() * 1000)
ALICE = "u_" + "a" * 32
BOB = "u_" + "b" * 32
KIOSK = "d_" + "e" * 32
LAPTOP = "d_" + "1" * 32
#: The touch points a "network" ticket (``ticket_event``'s category) can be explained by.
NETWORK = fitting_touch_points("network")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def at_ms(minutes: float) -> int:
    return T0_MS + int(minutes * MINUTE_MS)


def problem(minutes: float, user: str = ALICE, touch_point: str = "vpn", lost_ms: int = 60_000):
    return DeviceProblem(
        device_id=KIOSK,
        user_id=user,
        event_id=f"{user}-{touch_point}-{minutes}",
        time_ms=at_ms(minutes),
        touch_point=touch_point,
        time_lost_ms=lost_ms,
    )


def device_ticket(
    minutes: float, release: bool = False, ticket_id: str = "INC7", extra_ms: int = 0
):
    return DeviceTicket(
        device_id=KIOSK,
        user_id=BOB,
        ticket_id=ticket_id,
        created_ms=at_ms(minutes) + extra_ms,
        release=release,
    )


def run(signals) -> tuple[DeviceState, list[DeviceExplanation]]:
    state, explanations = None, []
    for signal in signals:
        result = step(state, signal, signal_time(signal))
        state = result.state
        explanations += result.explanations
    return state, explanations


def signal_time(signal) -> int:
    return signal.time_ms if isinstance(signal, DeviceProblem) else signal.created_ms


# --- the pure device step ---------------------------------------------------


def test_another_users_vpn_drops_explain_a_ticket_from_the_same_device() -> None:
    _, explanations = run([problem(0), problem(10), device_ticket(60)])
    assert explanations == [DeviceExplanation(BOB, "INC7", "vpn")]


def test_the_window_is_the_four_hours_before_the_ticket_edges_included() -> None:
    window_min = CORRELATION_WINDOW_MS / MINUTE_MS
    assert run([problem(0), device_ticket(window_min)])[1] == [
        DeviceExplanation(BOB, "INC7", "vpn")
    ]
    assert run([problem(0), device_ticket(0)])[1], "a problem at the ticket's time counts"
    too_early = run([problem(0), device_ticket(window_min, extra_ms=1)])
    assert too_early[1] == [], "1 ms before the window"
    assert run([problem(1), device_ticket(0)])[1] == [], "a later problem does not explain"


def test_a_late_problem_explains_a_held_ticket_and_a_bigger_one_re_explains_it() -> None:
    _, explanations = run(
        [
            device_ticket(60),
            problem(30, touch_point="app", lost_ms=10_000),
            problem(40, touch_point="app", lost_ms=10_000),  # same explanation: nothing sent
            problem(50, user="u_" + "c" * 32, touch_point="vpn", lost_ms=120_000),
            problem(70, touch_point="logon", lost_ms=900_000),  # after the ticket
        ]
    )
    assert explanations == [
        DeviceExplanation(BOB, "INC7", "app"),
        DeviceExplanation(BOB, "INC7", "vpn"),
    ]


def test_a_release_forgets_the_held_ticket() -> None:
    """The user's own late signal explains the ticket, or the user's state forgot it: the
    device's explanation would be ignored."""
    state, explanations = run([device_ticket(60), device_ticket(60, release=True), problem(30)])
    assert explanations == [] and state.tickets == {}
    assert run([device_ticket(60, release=True)])[0].tickets == {}, "a release holds nothing"


def test_a_replayed_problem_counts_once() -> None:
    state, _ = run([problem(0), problem(0)])
    assert len(state.problems) == 1


def test_problems_are_pruned_by_age_and_capped() -> None:
    window_min = CORRELATION_WINDOW_MS / MINUTE_MS
    state, _ = run([problem(0), problem(window_min + 1)])
    assert [p[0] for p in state.problems] == [at_ms(window_min + 1)], "older than the window"
    state, _ = run([problem(n / 10) for n in range(MAX_DEVICE_PROBLEMS + 20)])
    assert len(state.problems) == MAX_DEVICE_PROBLEMS
    assert state.problems[0][0] == at_ms(2.0), "the oldest go first"


def test_problems_a_held_ticket_may_need_are_kept_past_the_window() -> None:
    window_min = CORRELATION_WINDOW_MS / MINUTE_MS
    state, _ = run([problem(0), device_ticket(10), problem(window_min + 60, touch_point="app")])
    assert len(state.problems) == 2, "the first problem is still in the held ticket's window"


def test_a_day_replayed_after_a_newer_one_keeps_its_problems_for_its_tickets() -> None:
    """Thursday's signal was processed first, then Tuesday is replayed: Alice's VPN
    drops explain Bob's ticket on the kiosk as they do in order (before, both were
    pruned at once as older than Thursday, the newest signal)."""
    thursday = 2 * 24 * 60
    replayed = [problem(0), problem(10), device_ticket(60)]
    _, in_order = run([*replayed, problem(thursday, touch_point="app")])
    state, after_newer = run([problem(thursday, touch_point="app"), *replayed])
    assert after_newer == in_order == [DeviceExplanation(BOB, "INC7", "vpn")]
    state = step(state, problem(thursday + 1, touch_point="app"), at_ms(thursday + 1)).state
    assert [p[0] for p in state.problems] == [at_ms(thursday), at_ms(thursday + 1)], (
        "the next newer signal prunes the replayed day again"
    )


def test_held_tickets_are_bounded_by_time_and_count() -> None:
    hold_min = DEVICE_TICKET_HOLD_MS / MINUTE_MS
    state, _ = run([device_ticket(0), problem(hold_min + 1, touch_point="app")])
    assert state.tickets == {}, "held no longer than DEVICE_TICKET_HOLD_MS of signal time"
    state, _ = run([device_ticket(n, ticket_id=f"INC{n}") for n in range(MAX_DEVICE_TICKETS + 5)])
    assert len(state.tickets) == MAX_DEVICE_TICKETS
    assert f"{BOB}|INC0" not in state.tickets and f"{BOB}|INC54" in state.tickets


def test_state_and_signals_round_trip_through_json_and_the_state_expires() -> None:
    state, _ = run([problem(0), device_ticket(60)])
    restored = DeviceState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    for signal in (problem(0), device_ticket(60)):
        assert device_signal_from_dict(json.loads(json.dumps(signal.to_dict()))) == signal
    assert not is_expired(state, state.last_active_ms + DEVICE_STATE_TTL_MS)
    assert is_expired(state, state.last_active_ms + DEVICE_STATE_TTL_MS + 1)


def test_a_ticket_of_the_previous_engine_version_parses_to_its_release_flag() -> None:
    """The previous version sent ``own_explained_by`` (None: hold; else: release) instead of
    ``release``; during a rolling upgrade the device join still reads it."""
    for own_explained_by, release in ((None, False), ("vpn", True)):
        old = {**device_ticket(60).to_dict(), "own_explained_by": own_explained_by}
        del old["release"]
        assert device_signal_from_dict(old) == device_ticket(60, release=release)


# --- through the users' steps: the in-process pipeline ------------------------


def assign(user: str) -> DirectoryAssignmentEvent:
    return assignment_event(user, at(-600), "call_centre_agent", "leeds", "x")


def vpn_drop(user: str, device: str, minutes: float) -> VpnSessionEvent:
    return VpnSessionEvent(event_time=at(minutes), user_id=user, device_id=device, state="dropped")


def ticket(user: str, minutes: float, device: str | None, ticket_id: str = "INC7") -> TicketEvent:
    return ticket_event(user, "created", at(minutes), ticket_id, device_id=device)


def device_signals_sent(events) -> list:
    """The device signals the users' steps send for ``events`` (fed in order, the clock
    at the latest event time, as in the in-process pipeline)."""
    config, states, signals, clock_ms = default_xla_config(), {}, [], 0
    for event in events:
        clock_ms = max(clock_ms, event_time_ms(event))
        result = user_step(states.get(event.user_id), event, config, clock_ms)
        states[event.user_id] = result.state
        signals += result.device_signals
    return signals


def hourly_cell(pipeline: InProcessPipeline):
    [cell] = [c for c in pipeline.cells.values() if c.window_s == 3600 and c.tickets_opened]
    return cell


def test_on_a_shared_device_alices_vpn_drops_explain_bobs_ticket() -> None:
    pipeline = feed(
        [
            assign(ALICE),
            assign(BOB),
            vpn_drop(ALICE, KIOSK, 5),
            vpn_drop(ALICE, KIOSK, 15),
            ticket(BOB, 30, KIOSK),
        ]
    )
    cell = hourly_cell(pipeline)
    assert cell.tickets_opened == 1
    assert cell.explained_by == {"vpn": 1} and cell.explained_via_device == 1
    assert cell.signal_time_lost_ms == 0, "Alice's lost time is not Bob's"
    progress = pipeline.users[BOB].tickets["INC7"]
    assert (progress.explained_by, progress.via_device) == ("vpn", True)


def test_a_ticket_without_a_device_id_is_not_joined_with_the_device() -> None:
    pipeline = feed([assign(ALICE), assign(BOB), vpn_drop(ALICE, KIOSK, 5), ticket(BOB, 30, None)])
    cell = hourly_cell(pipeline)
    assert cell.explained_by == {} and cell.explained_via_device == 0
    assert pipeline.users[BOB].tickets["INC7"].explained_by is None


def test_a_ticket_from_another_device_is_not_explained_by_the_kiosk() -> None:
    pipeline = feed(
        [assign(ALICE), assign(BOB), vpn_drop(ALICE, KIOSK, 5), ticket(BOB, 30, LAPTOP)]
    )
    assert hourly_cell(pipeline).explained_by == {}


def test_a_device_signal_arriving_after_the_ticket_still_explains_it() -> None:
    pipeline = feed([assign(ALICE), assign(BOB), ticket(BOB, 30, KIOSK), vpn_drop(ALICE, KIOSK, 5)])
    cell = hourly_cell(pipeline)
    assert cell.explained_by == {"vpn": 1} and cell.explained_via_device == 1


def test_the_users_own_signal_replaces_the_devices_explanation() -> None:
    """Bob's own late VPN drop (on his laptop) takes over from Alice's on the kiosk."""
    pipeline = feed(
        [
            assign(ALICE),
            assign(BOB),
            vpn_drop(ALICE, KIOSK, 5),
            ticket(BOB, 30, KIOSK),
            vpn_drop(BOB, LAPTOP, 20),
        ]
    )
    cell = hourly_cell(pipeline)
    assert cell.explained_by == {"vpn": 1}, "still one explained ticket"
    assert cell.explained_via_device == 0
    assert cell.signal_time_lost_ms > 0, "now Bob's own lost time"
    assert pipeline.users[BOB].tickets["INC7"].via_device is False


def test_an_own_explanation_is_never_overridden_by_the_device() -> None:
    pipeline = feed(
        [
            assign(ALICE),
            assign(BOB),
            vpn_drop(BOB, LAPTOP, 1),
            ticket(BOB, 30, KIOSK),
            vpn_drop(ALICE, KIOSK, 5),
        ]
    )
    cell = hourly_cell(pipeline)
    assert cell.explained_by == {"vpn": 1} and cell.explained_via_device == 0


def test_a_replayed_explanation_changes_nothing() -> None:
    from xlapulse.streams.scoring.user_tickets import apply_device_explanation

    pipeline = feed([assign(ALICE), assign(BOB), vpn_drop(ALICE, KIOSK, 5), ticket(BOB, 30, KIOSK)])
    state = pipeline.users[BOB]
    assert apply_device_explanation(state, DeviceExplanation(BOB, "INC7", "vpn")) == []
    assert apply_device_explanation(state, DeviceExplanation(BOB, "INC-gone", "vpn")) == []
    [moved] = apply_device_explanation(state, DeviceExplanation(BOB, "INC7", "app"))
    assert isinstance(moved, TicketObservation)
    assert (moved.previous_explained_by, moved.explained_by) == ("vpn", "app")
    assert (moved.previous_via_device, moved.via_device) == (True, True)
    assert moved.signal_time_lost_ms == 0


def test_a_ticket_its_users_own_telemetry_explains_is_not_sent_to_its_device() -> None:
    """Bob's VPN dropped on his laptop before he raised the ticket from the kiosk: the
    kiosk's telemetry cannot change its explanation, so only the problem is sent."""
    events = [assign(BOB), vpn_drop(BOB, LAPTOP, 5), ticket(BOB, 30, KIOSK)]
    assert [type(signal) for signal in device_signals_sent(events)] == [DeviceProblem]
    assert feed(events).devices.keys() == {LAPTOP}, "the kiosk holds nothing"


def test_a_ticket_the_users_state_does_not_keep_is_not_sent_to_its_device() -> None:
    """Beyond MAX_OPEN_TICKETS a ticket is not kept, so no device explanation could apply."""
    events = [
        assign(BOB),
        *(ticket(BOB, n / 10, None, f"INC{n}") for n in range(MAX_OPEN_TICKETS)),
        ticket(BOB, 30, KIOSK, "INC-beyond"),
    ]
    assert device_signals_sent(events) == []


def test_the_users_own_late_signal_releases_the_ticket_its_device_held() -> None:
    """Bob's own late VPN drops take over from Alice's: the kiosk, which held his ticket
    for its telemetry, is told once to release it, and Bob's state forgets the kiosk."""
    events = [
        assign(ALICE),
        assign(BOB),
        vpn_drop(ALICE, KIOSK, 5),
        ticket(BOB, 30, KIOSK),
        vpn_drop(BOB, LAPTOP, 20),
        vpn_drop(BOB, LAPTOP, 25),  # a second own signal: no second release
    ]
    tickets = [signal for signal in device_signals_sent(events) if isinstance(signal, DeviceTicket)]
    assert tickets == [
        DeviceTicket(KIOSK, BOB, "INC7", at_ms(30), release=False, fits=NETWORK),
        DeviceTicket(KIOSK, BOB, "INC7", at_ms(30), release=True, fits=NETWORK),
    ]
    pipeline = feed(events)
    assert pipeline.devices[KIOSK].tickets == {}
    assert pipeline.users[BOB].tickets["INC7"].device_id is None
    assert hourly_cell(pipeline).explained_via_device == 0


def test_a_closed_ticket_the_users_state_forgets_is_released_by_its_device() -> None:
    """Bob's ticket, explained via the kiosk, is closed; once his own telemetry has passed
    its creation his state forgets it, and tells the kiosk to forget it too: at the close
    when telemetry came first, else at the next telemetry."""
    connected = VpnSessionEvent(event_time=at(45), user_id=BOB, device_id=LAPTOP, state="connected")
    start = [assign(ALICE), assign(BOB), vpn_drop(ALICE, KIOSK, 5), ticket(BOB, 30, KIOSK)]
    closed = ticket_event(BOB, "closed", at(60), "INC7")
    for events in ([*start, closed, connected], [*start, connected, closed]):
        releases = [
            signal
            for signal in device_signals_sent(events)
            if isinstance(signal, DeviceTicket) and signal.release
        ]
        assert releases == [DeviceTicket(KIOSK, BOB, "INC7", at_ms(30), release=True, fits=NETWORK)]
        pipeline = feed(events)
        assert "INC7" not in pipeline.users[BOB].tickets
        assert pipeline.devices[KIOSK].tickets == {}
        assert hourly_cell(pipeline).explained_via_device == 1, "its explanation stays counted"
