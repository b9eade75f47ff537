"""Everyday noise, degraded calls, the evaluation scenarios and the scenario truth.

As in test_simulator_incidents.py, each check compares a run against the run of the
same seed without the entry under test: everything outside its scope stays identical.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime

import pytest

from xlapulse.collectors.contract.codec import encode_event
from xlapulse.collectors.simulator.fleet import Fleet
from xlapulse.collectors.simulator.profiles import NO_SIGNAL_CATEGORIES
from xlapulse.collectors.simulator.rhythm import LOCAL_TZ
from xlapulse.collectors.simulator.scenario import (
    INCIDENT_KINDS,
    NOISE_KINDS,
    Scenario,
    TicketWave,
    load_scenario,
    packaged_scenarios,
)
from xlapulse.collectors.simulator.truth import (
    ALL_PERSONAS,
    ALL_SITE_NAMES,
    INCIDENT_TOUCH_POINT,
    Scope,
    scenario_truth,
)
from xlapulse.collectors.yamlfile import YamlFileError, parse_yaml_model

from .test_simulator_contract import BASELINE_YAML, MONDAY, fleet_for, of_type, run

NOISE_YAML = """
name: noise
probe_interval_min: 60
incidents:
  - {kind: logon_storm, name: storm, peak_at: "09:00", extra_logon_s: 20, spread_min: 10}
  - {kind: site_conditions, name: slow-ehv, site: eindhoven, extra_logon_s: 7,
     extra_connect_ms: 150}
  - {kind: site_conditions, name: quiet-utr, site: utrecht, remote_day_factor: 0.2}
  - {kind: app_release, name: outlook-update, app: outlook, version: "16.1",
     start: {day: 0, at: "10:00"}, duration_min: 240, affected_share: 1.0}
"""
#: Without logon changes: a slower logon moves the session start, hence later draws.
SITES_AND_RELEASE_YAML = """
name: sites
probe_interval_min: 60
incidents:
  - {kind: site_conditions, name: slow-ehv, site: eindhoven, extra_connect_ms: 150}
  - {kind: site_conditions, name: quiet-utr, site: utrecht, remote_day_factor: 0.2}
  - {kind: app_release, name: outlook-update, app: outlook, version: "16.1",
     start: {day: 0, at: "10:00"}, duration_min: 240, affected_share: 1.0}
"""
CALLS_YAML = """
name: calls
probe_interval_min: 60
incidents:
  - {kind: call_quality_degraded, name: calls-ams, site: amsterdam,
     personas: [call_centre_agent, knowledge_worker], start: {day: 0, at: "10:00"},
     duration_min: 180, poor_share: 0.7}
"""
EVERY_INCIDENT_YAML = """
name: truth
probe_interval_min: 60
incidents:
  - {kind: logon_storm, name: storm, extra_logon_s: 15}
  - {kind: gpo_slow_logons, name: gpo, site: rotterdam,
     start: {day: 0, at: "06:00"}, duration_min: 300, extra_logon_s: 40}
  - {kind: print_server_down, name: print-down, site: eindhoven,
     start: {day: 0, at: "13:00"}, duration_min: 120}
  - {kind: vpn_concentrator_failure, name: vpn-down, site: utrecht,
     start: {day: 1, at: "10:00"}, duration_min: 90}
  - {kind: app_release_hang, name: crm-hang, app: crm, version: "9.9",
     start: {day: 1, at: "13:00"}, duration_min: 180, affected_share: 0.6}
  - {kind: call_quality_degraded, name: calls-ams, site: amsterdam,
     start: {day: 0, at: "14:00"}, duration_min: 120, poor_share: 0.6}
  - {kind: ticket_wave, name: vpn-calls, follows: vpn-down, delay_min: 10,
     spread_min: 60, affected_share: 0.8, category: vpn, channel: phone}
"""
STORM_ONLY_YAML = """
name: storm-only
probe_interval_min: 60
incidents:
  - {kind: logon_storm, name: storm, extra_logon_s: 15}
"""


def _local_minute(moment: datetime) -> float:
    local = moment.astimezone(LOCAL_TZ)
    return local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 6e7


def _by_user(events: tuple) -> dict[str, list[bytes]]:
    grouped = defaultdict(list)
    for event in events:
        if getattr(event, "device_id", None) and event.event_type != "ticket":
            grouped[event.user_id].append(encode_event(event))
    return grouped


def test_the_logon_storm_and_a_slower_site_add_exactly_their_seconds() -> None:
    people = {e.user_id: e.site for e in fleet_for(NOISE_YAML).endpoints}
    calm = {(e.user_id, e.event_time): e for e in of_type(run(BASELINE_YAML), "logon")}
    logons = of_type(run(NOISE_YAML), "logon")
    near_peak = 0
    for logon in logons:
        before = calm[(logon.user_id, logon.event_time)]
        distance = (_local_minute(logon.event_time) - 9 * 60) / 10
        expected_s = 20 * math.exp(-0.5 * distance**2)
        expected_s += 7 if people[logon.user_id] == "eindhoven" else 0
        added_ms = logon.logon_duration_ms - before.logon_duration_ms
        assert added_ms == pytest.approx(expected_s * 1000, abs=2)
        near_peak += abs(distance) < 1
    assert near_peak > 50


def test_a_slower_site_slows_its_probes_and_a_quiet_site_has_fewer_remote_days() -> None:
    people = {e.user_id: e.site for e in fleet_for(SITES_AND_RELEASE_YAML).endpoints}

    def numbered(events: tuple) -> dict[tuple, object]:
        """(user, day, app, n) -> the n-th probe: a slower logon shifts the probe times."""
        counts: Counter = Counter()
        numbered = {}
        for probe in of_type(events, "synthetic_probe"):
            key = (probe.user_id, probe.event_time.date(), probe.app_name)
            counts[key] += 1
            numbered[(*key, counts[key])] = probe
        return numbered

    calm = numbered(run(BASELINE_YAML))
    slower = 0
    for key, probe in numbered(run(SITES_AND_RELEASE_YAML)).items():
        before = calm.get(key)
        if before is None or probe.connect_ms is None or before.connect_ms is None:
            continue  # a remote day that became an office day, or a failed probe
        added = probe.connect_ms - before.connect_ms
        if people[probe.user_id] == "eindhoven":
            assert added == 150
            slower += 1
        elif people[probe.user_id] != "utrecht":  # utrecht: remote days became office days
            assert added == 0
    assert slower > 20

    def vpn_users(events: tuple, site: str) -> int:
        return len({e.user_id for e in of_type(events, "vpn_session") if people[e.user_id] == site})

    noisy = run(SITES_AND_RELEASE_YAML)
    assert vpn_users(noisy, "utrecht") < 0.5 * vpn_users(run(BASELINE_YAML), "utrecht")
    assert vpn_users(noisy, "amsterdam") == vpn_users(run(BASELINE_YAML), "amsterdam")


def test_a_harmless_release_changes_only_the_version() -> None:
    def app_events(events: tuple) -> Counter:
        return Counter(
            (e.user_id, e.event_time, e.kind, e.app_name)
            for e in of_type(events, "app_responsiveness")
        )

    people = {e.user_id: e.site for e in fleet_for(SITES_AND_RELEASE_YAML).endpoints}

    def off_utrecht(events: tuple) -> Counter:
        return Counter(
            {key: n for key, n in app_events(events).items() if people[key[0]] != "utrecht"}
        )

    assert off_utrecht(run(SITES_AND_RELEASE_YAML)) == off_utrecht(run(BASELINE_YAML))
    versions = Counter(
        e.app_version for e in of_type(run(SITES_AND_RELEASE_YAML), "app_responsiveness")
    )
    assert versions["16.1"] > 0


def test_degraded_calls_turn_poor_only_in_their_scope_and_window() -> None:
    people = {e.user_id: (e.site, e.persona) for e in fleet_for(CALLS_YAML).endpoints}
    start = datetime(2026, 11, 23, 10, tzinfo=LOCAL_TZ)
    end = datetime(2026, 11, 23, 13, tzinfo=LOCAL_TZ)
    calm = {encode_event(e) for e in run(BASELINE_YAML)}
    in_scope = {("amsterdam", "call_centre_agent"), ("amsterdam", "knowledge_worker")}
    changed = [e for e in of_type(run(CALLS_YAML), "call_quality") if encode_event(e) not in calm]
    assert len(changed) > 20
    for stream in changed:
        assert people[stream.user_id] in in_scope
        assert start <= stream.event_time < end
        assert stream.packet_loss_ratio > 0.1 and stream.jitter_ms > 30
    scope_calls = {
        e.call_id
        for e in of_type(run(CALLS_YAML), "call_quality")
        if people[e.user_id] in in_scope and start <= e.event_time < end
    }
    poor_calls = {e.call_id for e in changed}
    assert 0.5 < len(poor_calls) / len(scope_calls) < 0.9  # poor_share 0.7 of the good calls
    out_of_scope = [u for u, where in people.items() if where not in in_scope]
    baseline, degraded = _by_user(run(BASELINE_YAML)), _by_user(run(CALLS_YAML))
    assert all(baseline[user] == degraded[user] for user in out_of_scope)


@pytest.fixture(scope="module")
def truth():
    return scenario_truth(fleet_for(EVERY_INCIDENT_YAML), MONDAY, 2)


def test_the_truth_names_each_incident_with_its_scope_and_window(truth) -> None:
    incidents = {incident.name: incident for incident in truth.incidents}
    assert set(incidents) == {"gpo", "print-down", "vpn-down", "crm-hang", "calls-ams"}
    assert truth.noise == ("storm",)
    assert incidents["gpo"].scope == Scope("logon", frozenset({"rotterdam"}), ALL_PERSONAS)
    assert incidents["crm-hang"].scope == Scope(
        "app", ALL_SITE_NAMES, frozenset({"call_centre_agent"})
    )
    vpn = incidents["vpn-down"]
    assert vpn.onset == datetime(2026, 11, 24, 10, tzinfo=LOCAL_TZ)
    assert vpn.end == datetime(2026, 11, 24, 11, 30, tzinfo=LOCAL_TZ)
    assert vpn.onset <= vpn.first_hit < vpn.end
    assert truth.workdays == 2 and truth.working_weeks == pytest.approx(0.4)
    for incident in truth.incidents:
        assert incident.affected
        for user in incident.affected:
            person = truth.people[user]
            assert incident.scope.covers(person.persona, person.site)


def test_the_affected_people_are_exactly_those_whose_telemetry_the_incident_changed(
    truth,
) -> None:
    baseline = _by_user(run(STORM_ONLY_YAML))
    incident_run = _by_user(run(EVERY_INCIDENT_YAML))
    changed = {user for user in incident_run if incident_run[user] != baseline.get(user)}
    affected = set().union(*(incident.affected for incident in truth.incidents))
    assert affected <= changed
    # An app release also changes the version its users report, without hurting them.
    crm = truth.incident("crm-hang")
    release_users = {
        e.user_id
        for e in of_type(run(EVERY_INCIDENT_YAML), "app_responsiveness")
        if e.app_version == "9.9"
    }
    assert changed - affected <= release_users - crm.affected
    gpo = truth.incident("gpo")
    rotterdam_logons = {
        e.user_id
        for e in of_type(run(EVERY_INCIDENT_YAML), "logon")
        if truth.people[e.user_id].site == "rotterdam" and gpo.onset <= e.event_time < gpo.end
    }
    assert gpo.affected == rotterdam_logons


def test_every_created_ticket_is_in_the_truth_with_its_cause(truth) -> None:
    created = {
        e.ticket_id: e for e in of_type(run(EVERY_INCIDENT_YAML), "ticket") if e.action == "created"
    }
    assert {ticket.ticket_id for ticket in truth.tickets} == set(created)
    for ticket in truth.tickets:
        event = created[ticket.ticket_id]
        assert (ticket.user_id, ticket.category, ticket.created) == (
            event.user_id,
            event.category,
            event.event_time,
        )
        if ticket.category in NO_SIGNAL_CATEGORIES:
            assert ticket.cause_touch_point is None and ticket.incident is None
        else:
            assert ticket.cause_touch_point is not None
    waves = [t for t in truth.tickets if t.ticket_id.startswith("SIM-vpn-calls-")]
    assert waves and all(t.incident == "vpn-down" and t.cause_touch_point == "vpn" for t in waves)
    assert {t.incident for t in truth.tickets} >= {"vpn-down", None}


def test_the_ledger_does_not_change_the_events() -> None:
    from xlapulse.collectors.simulator.truth import TruthLedger

    fleet = fleet_for(EVERY_INCIDENT_YAML, endpoints=30)
    with_ledger = [encode_event(e) for e in fleet.events(MONDAY, 1, ledger=TruthLedger())]
    assert with_ledger == [encode_event(e) for e in fleet.events(MONDAY, 1)]


def test_the_evaluation_scenarios_hold_every_incident_class_over_the_same_noise() -> None:
    packaged = packaged_scenarios()
    week, calm = load_scenario(packaged["incident-week"]), load_scenario(packaged["calm-weeks"])
    kinds = {i.kind for i in week.incidents if not isinstance(i, TicketWave)}
    assert kinds - NOISE_KINDS == set(INCIDENT_TOUCH_POINT)
    assert kinds & NOISE_KINDS == {"logon_storm", "site_conditions", "app_release"}
    assert week.days == 5 and calm.days == 14
    assert {i.kind for i in calm.incidents} <= NOISE_KINDS
    noise_of = lambda scenario: [  # noqa: E731
        i for i in scenario.incidents if i.kind in ("logon_storm", "site_conditions")
    ]
    assert noise_of(week) == noise_of(calm)
    gpo = next(i for i in week.incidents if i.kind == "gpo_slow_logons")
    assert gpo.extra_logon_s == 40
    print_down = next(i for i in week.incidents if i.kind == "print_server_down")
    assert print_down.duration_min == 120
    assert "call-quality-degraded" in packaged
    assert INCIDENT_KINDS >= NOISE_KINDS


def test_a_wave_cannot_follow_noise() -> None:
    text = STORM_ONLY_YAML + (
        "  - {kind: ticket_wave, name: w, follows: storm, delay_min: 5,"
        " affected_share: 0.5, category: logon}\n"
    )
    with pytest.raises(YamlFileError, match="follows 'storm', which is not an incident"):
        parse_yaml_model(text, Scenario, "noise.yaml")


def test_the_incident_week_truth_at_evaluation_size() -> None:
    """The packaged week, as `xlapulse evaluate` runs it, hits what its description says."""
    scenario = load_scenario(packaged_scenarios()["incident-week"])
    truth = scenario_truth(Fleet(400, seed=7, scenario=scenario), MONDAY, scenario.days or 5)
    affected = {incident.name: len(incident.affected) for incident in truth.incidents}
    assert affected["gpo-rotterdam-40s"] > 80  # nearly every Rotterdam logon of the morning
    assert 5 <= affected["print-eindhoven-down"] < 40  # sparse
    assert affected["vpn-utrecht-down"] >= 5
    assert all(count > 0 for count in affected.values())
