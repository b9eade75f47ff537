"""The per-user step: policies, held telemetry, ticket correlation, journeys, invitations."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.engine_events import assignment_event, ticket_event
from xlapulse.collectors.contract.events import (
    DirectoryAssignmentEvent,
    LogonEvent,
    SurveyAnswerEvent,
    TicketEvent,
    VpnSessionEvent,
    event_time_ms,
)
from xlapulse.streams.scoring.cells import short_event_id
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.observations import (
    JourneyObservation,
    SampleObservation,
    SurveyObservation,
    TicketObservation,
)
from xlapulse.streams.scoring.user_model import UserState
from xlapulse.streams.scoring.user_state import (
    DAY_MS,
    MAX_HELD_EVENTS,
    MAX_PROBLEMS,
    MAX_REMEMBERED_EVENT_IDS,
    REMEMBERED_IDS_SLACK,
    USER_STATE_TTL_MS,
    is_expired,
    step,
)
from xlapulse.streams.scoring.xla import default_xla_config

CONFIG = default_xla_config()
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
USER = "u_" + "1" * 32
DEVICE = "d_" + "2" * 32


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def assign(persona: str = "field_worker", minutes: float = 0) -> DirectoryAssignmentEvent:
    return assignment_event(USER, at(minutes), persona, "rotterdam")


def vpn(state: str, minutes: float) -> VpnSessionEvent:
    return VpnSessionEvent(event_time=at(minutes), user_id=USER, device_id=DEVICE, state=state)


def ticket(action: str, minutes: float, **extra) -> TicketEvent:
    return ticket_event(USER, action, at(minutes), **extra)


def run(events, clock=None):
    state, steps = None, []
    for event in events:
        result = step(state, event, CONFIG, clock or event_time_ms(event))
        state = result.state
        steps.append(result)
    return state, steps


def test_a_replayed_event_is_a_duplicate_and_changes_nothing() -> None:
    logon = LogonEvent(event_time=at(1), user_id=USER, device_id=DEVICE, logon_duration_ms=9000)
    _, steps = run([assign(), logon, logon])
    assert [s.outcome for s in steps] == ["ok", "ok", "duplicate"]
    assert steps[2].observations == []


def test_far_future_and_too_late_events_are_refused() -> None:
    logon = LogonEvent(event_time=at(60), user_id=USER, device_id=DEVICE, logon_duration_ms=9000)
    clock = event_time_ms(logon)
    assert step(None, logon, CONFIG, clock - 6 * 60_000).outcome == "future"
    assert step(None, logon, CONFIG, clock + 8 * DAY_MS).outcome == "late"
    assert step(None, logon, CONFIG, clock + 4 * 60_000).outcome == "held"  # no persona yet


def test_telemetry_before_the_assignment_is_held_and_scored_under_the_persona() -> None:
    logon = LogonEvent(event_time=at(1), user_id=USER, device_id=DEVICE, logon_duration_ms=40_000)
    _, steps = run([logon, assign("field_worker", 2)])
    assert steps[0].outcome == "held" and steps[0].observations == []
    samples = [o for o in steps[1].observations if isinstance(o, SampleObservation)]
    assert [(s.persona, s.band) for s in samples] == [("field_worker", Band.GOOD)]


def test_held_telemetry_is_scored_unassigned_once_the_hold_is_too_old() -> None:
    first = LogonEvent(event_time=at(0), user_id=USER, device_id=DEVICE, logon_duration_ms=1000)
    later = LogonEvent(event_time=at(30), user_id=USER, device_id=DEVICE, logon_duration_ms=1000)
    _, steps = run([first, later])
    assert steps[1].outcome == "ok"
    assert steps[1].observations[0].persona == "unassigned"
    # both are counted (xlapulse_events_unassigned_total): the hold ended unassigned
    assert [step.released_unassigned for step in steps] == [0, 2]


def test_a_full_hold_ends_unassigned_and_says_how_many() -> None:
    logons = [
        LogonEvent(event_time=at(n / 10), user_id=USER, device_id=DEVICE, logon_duration_ms=900)
        for n in range(MAX_HELD_EVENTS + 1)
    ]
    _, steps = run(logons)
    assert [step.outcome for step in steps[:-1]] == ["held"] * MAX_HELD_EVENTS
    assert steps[-1].released_unassigned == MAX_HELD_EVENTS + 1
    assert {o.persona for o in steps[-1].observations} == {"unassigned"}


def test_a_ticket_after_vpn_drops_is_explained_by_the_vpn() -> None:
    _, steps = run([assign(), vpn("dropped", 10), vpn("dropped", 20), ticket("created", 30)])
    opened = steps[-1].observations[0]
    assert isinstance(opened, TicketObservation)
    assert opened.explained_by == "vpn"
    assert (
        opened.signal_time_lost_ms == 2 * CONFIG.persona("field_worker").thresholds.vpn_drop_cost_ms
    )


def test_a_ticket_long_after_the_problem_has_no_signal() -> None:
    _, steps = run([assign(), vpn("dropped", 10), ticket("created", 10 + 5 * 60)])
    assert steps[-1].observations[0].explained_by is None


def test_resolved_without_contacting_the_user_is_frustrating() -> None:
    _, steps = run(
        [
            assign(),
            ticket("created", 0),
            ticket("assigned", 5),
            ticket("resolved", 60, sla_breached=False),
        ]
    )
    handled = steps[-1].observations[0]
    assert (handled.stage, handled.band, handled.cause, handled.sla_breached) == (
        "handled",
        Band.FRUSTRATING,
        "no_contact",
        False,
    )


def test_quick_contact_and_resolution_is_good_and_reassignments_are_counted() -> None:
    events = [
        assign(),
        ticket("created", 0),
        ticket("assigned", 1),
        ticket("reassigned", 2),
        ticket("first_contact", 30),
        ticket("resolved", 90),
    ]
    _, steps = run(events)
    handled = steps[-1].observations[0]
    assert (handled.band, handled.reassignments, handled.first_contact_ms) == (
        Band.GOOD,
        1,
        30 * 60_000,
    )


def test_first_good_vpn_after_a_drop_invites_a_survey_once() -> None:
    connected = vpn("connected", 15)
    _, steps = run([assign(), vpn("dropped", 10), connected, vpn("connected", 60)])
    invitations = [i for s in steps for i in s.invitations]
    assert len(invitations) == 1
    assert invitations[0].trigger == "vpn_recovered"
    again = step(None, assign(), CONFIG, event_time_ms(connected)).state
    step(again, vpn("dropped", 10), CONFIG, event_time_ms(connected))
    replayed = step(again, connected, CONFIG, event_time_ms(connected)).invitations
    assert replayed[0].event_id == invitations[0].event_id, "invitation ids are deterministic"


def test_journey_follows_the_worst_moment_and_the_end() -> None:
    good = [
        LogonEvent(event_time=at(m), user_id=USER, device_id=DEVICE, logon_duration_ms=5000)
        for m in (1, 60, 120)
    ]
    _, steps = run([assign(), *good, vpn("dropped", 130)])
    journeys = [o for s in steps for o in s.observations if isinstance(o, JourneyObservation)]
    assert journeys[2].score == 100.0
    last = journeys[-1]
    assert (last.worst, last.end, last.moments) == (0.0, 0.0, 4)
    assert last.score < journeys[2].score


def test_survey_answers_carry_self_reported_lost_time() -> None:
    answer = SurveyAnswerEvent(
        event_time=at(5), user_id=USER, score=3, self_reported_lost_minutes=45, ticket_id="INC1"
    )
    _, steps = run([assign(), answer])
    observation = steps[-1].observations[0]
    assert isinstance(observation, SurveyObservation)
    assert (observation.score, observation.self_reported_lost_ms, observation.about_ticket) == (
        3,
        45 * 60_000,
        True,
    )


def test_state_round_trips_through_json_and_expires() -> None:
    state, _ = run([assign(), vpn("dropped", 10), ticket("created", 20)])
    restored = UserState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    assert not is_expired(restored, restored.last_seen_ms + USER_STATE_TTL_MS)
    assert is_expired(restored, restored.last_seen_ms + USER_STATE_TTL_MS + 1)
    wide_horizon_ms = USER_STATE_TTL_MS + DAY_MS
    assert not is_expired(restored, restored.last_seen_ms + wide_horizon_ms, wide_horizon_ms)


def test_remembered_ids_are_bounded_by_the_dedup_window() -> None:
    state, _ = run([assign(), vpn("connected", 0)])
    later = vpn("connected", 2 * 24 * 60)
    state = step(state, later, CONFIG, event_time_ms(later)).state
    assert list(state.seen_event_ids) == [short_event_id(str(later.event_id))]


def test_remembered_ids_keep_the_newest_cap_and_forget_the_oldest_once_past_the_slack() -> None:
    cap, slack = MAX_REMEMBERED_EVENT_IDS, REMEMBERED_IDS_SLACK
    events = [vpn("connected", n / 100) for n in range(cap + slack + 1)]
    state, steps = run([assign(), *events[:-1]])
    assert all(result.outcome == "ok" for result in steps)
    assert len(state.seen_event_ids) == cap + slack + 1, "the assignment's too"
    state = step(state, events[-1], CONFIG, event_time_ms(events[-1])).state
    ids = [short_event_id(str(event.event_id)) for event in events]
    assert list(state.seen_event_ids) == ids[-cap - 1 :], "the cap, then the new one"
    now_ms = event_time_ms(events[-1])
    assert step(state, events[-cap], CONFIG, now_ms).outcome == "duplicate"
    assert step(state, events[0], CONFIG, now_ms).outcome == "ok", "forgotten"


def test_replayed_history_is_held_and_deduplicated_by_processing_time() -> None:
    """A worker replaying last month: event times are old, the clock is now."""
    now_ms = event_time_ms(assign()) + 30 * DAY_MS
    logon = LogonEvent(event_time=at(1), user_id=USER, device_id=DEVICE, logon_duration_ms=9000)
    state = step(None, logon, CONFIG, now_ms, max_event_age_ms=60 * DAY_MS).state
    assert state.held, "old telemetry still waits for its assignment"
    released = step(state, assign(), CONFIG, now_ms + 1000, max_event_age_ms=60 * DAY_MS)
    assert [o.persona for o in released.observations] == ["field_worker", "field_worker"]
    again = step(released.state, logon, CONFIG, now_ms + 2000, max_event_age_ms=60 * DAY_MS)
    assert again.outcome == "duplicate"


def test_unassigned_telemetry_is_released_when_the_hold_expires() -> None:
    first = LogonEvent(event_time=at(0), user_id=USER, device_id=DEVICE, logon_duration_ms=1000)
    later = LogonEvent(event_time=at(30), user_id=USER, device_id=DEVICE, logon_duration_ms=1000)
    _, steps = run([first, later])
    samples = [o for o in steps[1].observations if isinstance(o, SampleObservation)]
    assert [s.event_id for s in samples] == [str(first.event_id), str(later.event_id)]


def test_a_signal_that_arrives_after_the_ticket_still_explains_it() -> None:
    """Topics are not ordered with each other: the ticket can be processed first."""
    _, steps = run([assign(), ticket("created", 30), vpn("dropped", 10)])
    assert steps[1].observations[0].explained_by is None
    correction = [o for o in steps[2].observations if isinstance(o, TicketObservation)]
    assert len(correction) == 1
    assert (
        correction[0].stage,
        correction[0].explained_by,
        correction[0].previous_explained_by,
    ) == (
        "explained",
        "vpn",
        None,
    )
    assert correction[0].event_time_ms == event_time_ms(ticket("created", 30))


def test_tickets_before_the_assignment_are_held_too() -> None:
    _, steps = run([ticket("created", 1), assign("field_worker", 2)])
    assert steps[0].outcome == "held"
    assert [(o.kind, o.persona) for o in steps[1].observations] == [("ticket", "field_worker")]


def test_a_late_signal_explains_a_ticket_whose_whole_lifecycle_came_first() -> None:
    events = [
        assign(),
        vpn("connected", 0),
        ticket("created", 30),
        ticket("first_contact", 40),
        ticket("resolved", 50),
        ticket("closed", 60),
        vpn("dropped", 10),
    ]
    state, steps = run(events)
    correction = [o for o in steps[-1].observations if isinstance(o, TicketObservation)]
    assert [(c.stage, c.explained_by) for c in correction] == [("explained", "vpn")]
    later = vpn("connected", 45)
    state = step(state, later, CONFIG, event_time_ms(later)).state
    assert "INC1" not in state.tickets, "telemetry passed the creation time: the ticket is done"


def test_reopening_retracts_the_counted_handling_at_its_own_time() -> None:
    _, steps = run(
        [
            assign(),
            ticket("created", 0),
            ticket("first_contact", 5),
            ticket("resolved", 15),
            ticket("reopened", 25),
            ticket("resolved", 45),
        ]
    )
    first, retraction, final = (o for s in steps[3:] for o in s.observations)
    assert (retraction.stage, retraction.event_time_ms) == ("retracted", first.event_time_ms)
    assert (retraction.band, retraction.reopened) == (first.band, False) == (Band.GOOD, False)
    assert (final.stage, final.band, final.reopened) == ("handled", Band.FRUSTRATING, True)


OTHER_DEVICE = "d_" + "3" * 32


def late_vpn_drop(minutes: float) -> VpnSessionEvent:
    """A VPN drop from the user's second device, whose collector was offline."""
    return VpnSessionEvent(
        event_time=at(minutes), user_id=USER, device_id=OTHER_DEVICE, state="dropped"
    )


@pytest.mark.parametrize("late_minute", [5, 120], ids=["older-than-4h", "within-4h"])
def test_a_late_own_signal_adds_to_a_tickets_explanation_and_takes_none_away(
    late_minute: int,
) -> None:
    """The latest telemetry is at 5:30; a VPN drop at ``late_minute`` arrives after it,
    inside the window of the ticket at 3:00 that the drop at 0:10 explains. Remembering
    the late drop must not forget the earlier one (it lies in a held ticket's window), so
    the ticket stays explained by the VPN, now with both drops' lost time."""
    cost = CONFIG.persona("field_worker").thresholds.vpn_drop_cost_ms
    events = [
        assign(),
        vpn("dropped", 10),
        ticket("created", 180),
        vpn("connected", 330),
        late_vpn_drop(late_minute),
    ]
    state, steps = run(events, clock=event_time_ms(vpn("connected", 331)))
    assert steps[2].observations[0].explained_by == "vpn"
    corrections = [o for o in steps[-1].observations if isinstance(o, TicketObservation)]
    assert [(c.previous_explained_by, c.explained_by) for c in corrections] == [("vpn", "vpn")]
    assert corrections[0].signal_time_lost_ms == cost, "the late drop's lost time, added"
    progress = state.tickets["INC1"]
    assert (progress.explained_by, progress.signal_time_lost_ms) == ("vpn", 2 * cost)


def test_a_late_signal_before_every_tickets_window_explains_nothing_and_goes_with_the_next() -> (
    None
):
    """Older than the window of the ticket at 3:00 and than 4 h before the latest telemetry
    (5:30): no ticket held can use it, so it corrects nothing. It is kept (a ticket of its
    own day may still follow it, as when an older day is replayed after a newer one) until
    the next problem moves the horizon past it."""
    events = [
        assign(),
        vpn("dropped", 10),
        ticket("created", 180),
        vpn("connected", 330),
        late_vpn_drop(-61),
    ]
    state, steps = run(events, clock=event_time_ms(vpn("connected", 331)))
    assert [o.kind for o in steps[-1].observations if o.kind != "exposure"] == [
        "sample",
        "journey",
    ], "no correction"
    late_ms, first_ms = event_time_ms(late_vpn_drop(-61)), event_time_ms(vpn("dropped", 10))
    assert [problem[0] for problem in state.problems] == [late_ms, first_ms]
    state, _ = run([*events, vpn("dropped", 340)], clock=event_time_ms(vpn("connected", 341)))
    assert late_ms not in [problem[0] for problem in state.problems]


def test_a_ticket_whose_window_lost_problems_to_the_cap_is_not_re_explained() -> None:
    """More than MAX_PROBLEMS later problems push the two drops that explain the ticket out;
    a late drop in its window cannot tell the whole window any more, so it moves nothing."""
    cost = CONFIG.persona("field_worker").thresholds.vpn_drop_cost_ms
    later = [vpn("dropped", 40 + n) for n in range(MAX_PROBLEMS)]
    events = [assign(), vpn("dropped", 10), vpn("dropped", 20), ticket("created", 30), *later]
    state, _ = run([*events, late_vpn_drop(5)], clock=event_time_ms(vpn("connected", 200)))
    progress = state.tickets["INC1"]
    assert (progress.explained_by, progress.signal_time_lost_ms, progress.corrections) == (
        "vpn",
        2 * cost,
        0,
    )
