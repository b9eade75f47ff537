"""The simulator emits every event type, all contract-valid, deterministically, in order.

Also holds the cached runs the other simulator test modules share.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import cache

import jsonschema

from xlapulse.collectors.contract.codec import encode_event, parse_event
from xlapulse.collectors.contract.events import EVENT_TYPES, EventBase
from xlapulse.collectors.contract.schema_export import SCHEMA_DIR
from xlapulse.collectors.simulator.fleet import Fleet
from xlapulse.collectors.simulator.scenario import Scenario
from xlapulse.collectors.yamlfile import parse_yaml_model

MONDAY = date(2026, 11, 23)
ENDPOINTS = 120

BASELINE_YAML = """
name: baseline
probe_interval_min: 60
"""
ALL_KINDS_YAML = """
name: every-kind
probe_interval_min: 60
incidents:
  - {kind: vpn_concentrator_failure, name: vpn-down, site: utrecht,
     personas: [field_worker, developer], start: {day: 0, at: "10:00"}, duration_min: 90}
  - {kind: gpo_slow_logons, name: gpo, site: rotterdam,
     start: {day: 1, at: "06:00"}, duration_min: 600, extra_logon_s: 70}
  - {kind: print_server_down, name: print-down, site: eindhoven,
     start: {day: 0, at: "13:00"}, duration_min: 180}
  - {kind: app_release_hang, name: crm-release, app: crm, version: "9.3.0",
     start: {day: 1, at: "09:00"}, duration_min: 240, affected_share: 0.5}
  - {kind: ticket_wave, name: vpn-calls, follows: vpn-down, delay_min: 30,
     spread_min: 60, affected_share: 1.0, category: vpn, channel: phone}
"""


def scenario(text: str) -> Scenario:
    return parse_yaml_model(text, Scenario, "test-scenario.yaml")


@cache
def run(text: str | None, days: int = 2, endpoints: int = ENDPOINTS, seed: int = 5) -> tuple:
    """All events of a run (cached: several tests read the same run)."""
    fleet = Fleet(endpoints, seed=seed, scenario=scenario(text) if text else None)
    return tuple(fleet.events(MONDAY, days))


def fleet_for(text: str | None, endpoints: int = ENDPOINTS, seed: int = 5) -> Fleet:
    return Fleet(endpoints, seed=seed, scenario=scenario(text) if text else None)


def of_type(events: tuple[EventBase, ...], event_type: str) -> list:
    return [event for event in events if event.event_type == event_type]  # type: ignore[attr-defined]


def test_every_event_type_is_produced() -> None:
    produced = {event.event_type for event in run(ALL_KINDS_YAML)}
    assert produced == set(EVENT_TYPES) - {"survey_invitation"}  # invitations are the engine's


def test_every_event_parses_back_equal_through_the_contract() -> None:
    for event in run(ALL_KINDS_YAML):
        assert parse_event(encode_event(event)) == event


def test_a_sample_of_each_type_validates_against_the_json_schemas() -> None:
    union = json.loads((SCHEMA_DIR / "event.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(union, format_checker=jsonschema.FormatChecker())
    taken: dict[str, int] = {}
    for event in run(ALL_KINDS_YAML):
        if taken.get(event.event_type, 0) < 10:
            taken[event.event_type] = taken.get(event.event_type, 0) + 1
            validator.validate(json.loads(encode_event(event)))
    assert len(taken) == len(EVENT_TYPES) - 1


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    first = [encode_event(event) for event in fleet_for(ALL_KINDS_YAML, 30).events(MONDAY, 1)]
    again = [encode_event(event) for event in fleet_for(ALL_KINDS_YAML, 30).events(MONDAY, 1)]
    other = [encode_event(e) for e in fleet_for(ALL_KINDS_YAML, 30, seed=6).events(MONDAY, 1)]
    assert first == again
    assert first != other


def test_directory_first_then_event_time_order_with_unique_ids() -> None:
    events = run(ALL_KINDS_YAML)
    assert {e.event_type for e in events[:ENDPOINTS]} == {"directory_assignment"}
    times = [event.event_time for event in events]
    assert times == sorted(times)
    assert len({event.event_id for event in events}) == len(events)


def test_logon_events_are_the_logons_of_the_full_run() -> None:
    fleet = fleet_for(ALL_KINDS_YAML)
    tuesday = MONDAY + timedelta(days=1)
    from_run = [e for e in of_type(run(ALL_KINDS_YAML), "logon") if e.event_time.day == 24]
    assert list(fleet.logon_events(tuesday, first_day=MONDAY)) == from_run


def test_probe_phase_marks_count_from_the_start_like_the_collector_measures_them() -> None:
    answered = [p for p in of_type(run(BASELINE_YAML), "synthetic_probe") if p.first_byte_ms]
    assert answered
    for probe in answered:
        marks = [probe.dns_ms, probe.connect_ms, probe.tls_ms, probe.first_byte_ms, probe.total_ms]
        assert marks == sorted(marks), marks
        assert probe.dns_ms < probe.connect_ms
