"""The simulated fleet keeps office hours, and its service desk behaves like a real one."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from xlapulse.collectors.simulator.profiles import NO_SIGNAL_CATEGORIES
from xlapulse.collectors.simulator.rhythm import LOCAL_TZ
from xlapulse.collectors.simulator.servicedesk import TicketRequest, ticket_lifecycle

from .test_simulator_contract import BASELINE_YAML, MONDAY, fleet_for, of_type, run

WEEK = 7
PEOPLE = 120


def _week() -> tuple:
    return run(BASELINE_YAML, days=WEEK, endpoints=PEOPLE)


def _local_minute(event) -> int:
    local = event.event_time.astimezone(LOCAL_TZ)
    return local.hour * 60 + local.minute


def test_the_logon_storm_peaks_at_nine_local_in_winter_and_summer() -> None:
    for monday in (MONDAY, MONDAY - timedelta(weeks=20)):  # CET and CEST
        logons = list(fleet_for(None, endpoints=400).logon_events(monday))
        quarter_hours = Counter(_local_minute(logon) // 15 for logon in logons)
        busiest = quarter_hours.most_common(1)[0][0]
        assert 8 * 4 + 3 <= busiest <= 9 * 4, f"busiest quarter starts {busiest * 15} min"


def test_activity_dips_at_lunch_and_calls_keep_office_hours() -> None:
    events = _week()
    by_hour = Counter(_local_minute(e) // 60 for e in of_type(events, "app_responsiveness"))
    assert by_hour[12] < 0.6 * by_hour[11]
    call_hours = {_local_minute(call) // 60 for call in of_type(events, "call_quality")}
    assert min(call_hours) >= 7 and max(call_hours) <= 20


def test_weekends_are_quiet() -> None:
    events = _week()
    telemetry = [e for e in events if hasattr(e, "device_id") and e.event_type != "ticket"]
    by_weekday = Counter(e.event_time.astimezone(LOCAL_TZ).weekday() for e in telemetry)
    assert by_weekday[5] + by_weekday[6] < 0.05 * by_weekday[0]


def test_call_centre_agents_call_most_and_field_workers_use_vpn_most() -> None:
    fleet = fleet_for(None, endpoints=PEOPLE)
    persona = {endpoint.user_id: endpoint.persona for endpoint in fleet.endpoints}
    people = Counter(persona.values())
    events = _week()
    calls = Counter(persona[e.user_id] for e in of_type(events, "call_quality"))
    vpn = Counter(persona[e.user_id] for e in of_type(events, "vpn_session"))
    per_person = {name: calls[name] / people[name] for name in people}
    assert max(per_person, key=per_person.get) == "call_centre_agent"
    vpn_per_person = {name: vpn[name] / people[name] for name in people}
    assert max(vpn_per_person, key=vpn_per_person.get) == "field_worker"


def test_antivirus_start_up_scans_take_a_share_of_some_boots() -> None:
    boots = of_type(_week(), "boot")
    scanned = [boot for boot in boots if boot.antivirus_scan_duration_ms]
    assert 0.1 < len(scanned) / len(boots) < 0.6
    assert all(0 < boot.antivirus_scan_share_ratio < 1 for boot in scanned)


def _requests(count: int) -> list[TicketRequest]:
    start = datetime(2026, 11, 23, 9, tzinfo=UTC)
    return [
        TicketRequest(f"T{n}", start, "vpn", "phone", 2, lost_s=60.0 * n, with_device=True)
        for n in range(count)
    ]


def test_ticket_lifecycles_are_ordered_and_sometimes_lack_a_first_contact() -> None:
    endpoint = fleet_for(None, endpoints=1).endpoints[0]
    rng = random.Random(3)
    steps = defaultdict(list)
    for request in _requests(200):
        out: list = []
        ticket_lifecycle(endpoint, request, rng, out)
        tickets = sorted((e for e in out if e.event_type == "ticket"), key=lambda t: t.event_time)
        steps[request.ticket_id] = [ticket.action for ticket in tickets]
        assert all(ticket.source_system == "simulator" for ticket in tickets)
    for actions in steps.values():
        assert actions[:2] == ["created", "assigned"] and actions[-1] == "closed"
        assert actions[-2] == "resolved"
        if "first_contact" in actions:
            assert actions.index("first_contact") < actions.index("resolved")
    lacking = sum("first_contact" not in actions for actions in steps.values())
    assert 0.1 < lacking / len(steps) < 0.3  # "geen mailtje, geen belletje"
    assert any("reopened" in actions for actions in steps.values())
    assert any("reassigned" in actions for actions in steps.values())


def test_survey_scores_fall_with_the_time_a_problem_cost() -> None:
    endpoint = fleet_for(None, endpoints=1).endpoints[0]
    rng = random.Random(4)
    scores: dict[bool, list[int]] = {True: [], False: []}
    for request in _requests(400):
        out: list = []
        ticket_lifecycle(endpoint, request, rng, out)
        for answer in (e for e in out if e.event_type == "survey_answer"):
            assert answer.ticket_id == request.ticket_id
            scores[request.lost_s > 120 * 60].append(answer.score)
    hurt_a_lot, hurt_little = scores[True], scores[False]
    assert sum(hurt_a_lot) / len(hurt_a_lot) < sum(hurt_little) / len(hurt_little) - 1.5


def test_tickets_without_signal_and_silent_sufferers_both_occur() -> None:
    fleet = fleet_for(None, endpoints=PEOPLE)
    events = _week()
    tickets = of_type(events, "ticket")
    assert any(t.category in NO_SIGNAL_CATEGORIES for t in tickets if t.action == "created")
    assert any(t.category not in NO_SIGNAL_CATEGORIES for t in tickets if t.action == "created")
    silent = {e.user_id for e in fleet.endpoints if e.ticket_propensity == 0}
    assert not silent & {t.user_id for t in tickets if t.category not in NO_SIGNAL_CATEGORIES}
    crashed = {e.user_id for e in of_type(events, "app_responsiveness") if e.kind == "crash"}
    assert crashed & silent, "some people crash and never call the desk"
    answers = of_type(events, "survey_answer")
    assert any(answer.ticket_id for answer in answers)
    assert any(answer.journey_moment == "weekly_pulse" for answer in answers)
    assert any(answer.self_reported_lost_minutes is not None for answer in answers)


def test_calls_are_mostly_good_and_poor_streams_cross_the_cqd_thresholds() -> None:
    streams = of_type(_week(), "call_quality")
    poor = [s for s in streams if s.network_mos_degradation > 1.0]
    assert 0.01 < len(poor) / len(streams) < 0.15
    for stream in poor:
        assert stream.jitter_ms > 30 and stream.packet_loss_ratio > 0.1
        assert stream.round_trip_ms > 500 and stream.concealed_sample_ratio > 0.07
    assert {s.media for s in streams} >= {"audio", "video"}
