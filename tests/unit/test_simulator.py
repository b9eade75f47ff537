"""The fleet simulator: deterministic, contract-valid, shaped like a real morning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from xlapulse.collectors.contract.codec import encode_event, parse_event
from xlapulse.collectors.simulator.fleet import SITES, Fleet, LogonIncident

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)


def test_same_seed_same_events() -> None:
    first = [encode_event(e) for e in Fleet(50, seed=3).logon_events(MONDAY)]
    second = [encode_event(e) for e in Fleet(50, seed=3).logon_events(MONDAY)]
    assert first == second
    assert first != [encode_event(e) for e in Fleet(50, seed=4).logon_events(MONDAY)]


def test_events_are_valid_contract_events_in_time_order() -> None:
    events = list(Fleet(100).logon_events(MONDAY))
    assert len(events) == 100
    assert [parse_event(encode_event(e)) for e in events] == events
    assert [e.event_time for e in events] == sorted(e.event_time for e in events)


def test_weekends_are_quiet_and_mornings_storm() -> None:
    weekend_logons = len(list(Fleet(400).logon_events(MONDAY + timedelta(days=5))))
    assert 0 < weekend_logons < 400 * 0.1
    hours = [e.event_time.hour for e in Fleet(400).logon_events(MONDAY)]
    assert sum(7 <= h <= 8 for h in hours) / len(hours) > 0.8


def test_an_incident_slows_only_its_site_and_time() -> None:
    incident = LogonIncident(SITES[1], MONDAY, MONDAY + timedelta(days=1), extra_logon_s=60)
    calm = {e.user_id: e for e in Fleet(80, seed=9).logon_events(MONDAY)}
    stormy = Fleet(80, seed=9, incidents=(incident,))
    sites = {endpoint.user_id: endpoint.site for endpoint in stormy.endpoints}
    for event in stormy.logon_events(MONDAY):
        extra = event.logon_duration_ms - calm[event.user_id].logon_duration_ms
        assert extra == (60_000 if sites[event.user_id] == SITES[1] else 0)


def test_directory_covers_every_endpoint() -> None:
    fleet = Fleet(30)
    assignments = {e.user_id: e.persona for e in fleet.directory_events(MONDAY)}
    assert assignments == {endpoint.user_id: endpoint.persona for endpoint in fleet.endpoints}
