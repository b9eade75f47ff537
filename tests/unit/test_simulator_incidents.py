"""Each incident kind changes exactly its site, personas and window; scenario files validate.

Every check compares a run with the incidents against the baseline run of the
same seed: the simulator draws each endpoint-day from its own RNG and incident
effects from another, so everything outside an incident's scope is identical.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner

from xlapulse.collectors.cli import main
from xlapulse.collectors.contract.codec import encode_event, parse_event
from xlapulse.collectors.simulator.delivery import paced
from xlapulse.collectors.simulator.rhythm import LOCAL_TZ
from xlapulse.collectors.simulator.scenario import (
    DEFAULT_SCENARIO,
    GpoSlowLogons,
    Scenario,
    TicketWave,
    VpnConcentratorFailure,
    load_scenario,
    packaged_scenarios,
)
from xlapulse.collectors.yamlfile import YamlFileError, parse_yaml_model

from .test_simulator_contract import ALL_KINDS_YAML, BASELINE_YAML, MONDAY, fleet_for, of_type, run


def _local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 23 + day, hour, minute, tzinfo=LOCAL_TZ)


VPN_START, VPN_END = _local(0, 10), _local(0, 11, 30)
PRINT_START, PRINT_END = _local(0, 13), _local(0, 16)
RELEASE_START, RELEASE_END = _local(1, 9), _local(1, 13)


@pytest.fixture(scope="module")
def people() -> dict[str, tuple[str, str]]:
    """user id -> (site, persona)."""
    return {e.user_id: (e.site, e.persona) for e in fleet_for(ALL_KINDS_YAML).endpoints}


@pytest.fixture(scope="module")
def runs() -> tuple[tuple, tuple]:
    return run(BASELINE_YAML), run(ALL_KINDS_YAML)


def _by_user(events: tuple) -> dict[str, list[bytes]]:
    grouped = defaultdict(list)
    for event in events:
        grouped[event.user_id].append(encode_event(event))
    return grouped


def _vpn_scope(site_persona: tuple[str, str]) -> bool:
    return site_persona[0] == "utrecht" and site_persona[1] in ("field_worker", "developer")


def test_people_out_of_every_scope_see_exactly_the_baseline(runs, people) -> None:
    baseline, incident = (_by_user(events) for events in runs)
    untouched = [
        user
        for user, (site, persona) in people.items()
        if site in ("amsterdam", "utrecht")
        and persona != "call_centre_agent"
        and not _vpn_scope((site, persona))
    ]
    assert len(untouched) > 30
    for user in untouched:
        assert incident[user] == baseline[user]


def test_vpn_failure_drops_only_its_site_personas_and_window(runs, people) -> None:
    baseline, incident = runs
    new = set(map(encode_event, of_type(incident, "vpn_session"))) - set(
        map(encode_event, of_type(baseline, "vpn_session"))
    )
    day_two = _local(1, 0)  # the GPO change delays Tuesday's sessions; look at Monday
    changed = [
        e
        for e in of_type(incident, "vpn_session")
        if encode_event(e) in new and e.event_time < day_two
    ]
    broken = [e for e in changed if e.state in ("dropped", "failed")]
    assert broken
    for event in broken:
        assert _vpn_scope(people[event.user_id])
        assert VPN_START <= event.event_time < VPN_END
    reconnects = [e for e in changed if e.state == "connected"]
    assert reconnects and all(e.event_time >= VPN_END for e in reconnects)
    offline = [e for e in of_type(incident, "synthetic_probe") if e.outcome == "connection_error"]
    assert offline and all(_vpn_scope(people[e.user_id]) for e in offline)
    before = {encode_event(e) for e in baseline if e.event_time < VPN_START}
    assert before == {encode_event(e) for e in incident if e.event_time < VPN_START}


def test_gpo_change_adds_exactly_its_seconds_at_its_site_and_day(runs, people) -> None:
    baseline = {(e.user_id, e.event_time): e for e in of_type(runs[0], "logon")}
    for logon in of_type(runs[1], "logon"):
        calm = baseline[(logon.user_id, logon.event_time)]
        in_scope = people[logon.user_id][0] == "rotterdam" and logon.event_time.day == 24
        extra_ms = 70_000 if in_scope else 0
        assert logon.logon_duration_ms - calm.logon_duration_ms == extra_ms
        assert logon.group_policy_duration_ms - calm.group_policy_duration_ms == extra_ms


def test_print_server_down_fails_every_job_at_its_site_in_its_window(runs, people) -> None:
    outage_jobs = [e for e in of_type(runs[1], "print_job") if e.error_code == 1722]
    assert outage_jobs
    for job in of_type(runs[1], "print_job"):
        in_scope = people[job.user_id][0] == "eindhoven"
        in_window = PRINT_START <= job.event_time < PRINT_END
        assert (job.error_code == 1722) == (in_scope and in_window)


def test_app_release_hangs_only_its_app_and_window(runs) -> None:
    released = [e for e in of_type(runs[1], "app_responsiveness") if e.app_version == "9.3.0"]
    assert released
    assert all(e.app_name == "crm" for e in released)
    assert all(RELEASE_START <= e.event_time < RELEASE_END for e in released)
    hangs = [e for e in of_type(runs[1], "app_responsiveness") if e.kind == "hang"]
    calm_hangs = [e for e in of_type(runs[0], "app_responsiveness") if e.kind == "hang"]
    assert len(hangs) > 3 * max(1, len(calm_hangs))


def test_ticket_wave_follows_the_vpn_failure_after_its_delay(runs, people) -> None:
    created = [
        e
        for e in of_type(runs[1], "ticket")
        if e.ticket_id.startswith("SIM-vpn-calls-") and e.action == "created"
    ]
    assert created
    for ticket in created:
        assert _vpn_scope(people[ticket.user_id])
        assert ticket.category == "vpn" and ticket.channel == "phone"
        assert VPN_START + timedelta(minutes=30) <= ticket.event_time
        assert ticket.event_time <= VPN_END + timedelta(minutes=90)
    assert not [e for e in of_type(runs[0], "ticket") if e.ticket_id.startswith("SIM-vpn")]


def test_packaged_scenarios_load_and_the_default_has_its_incidents() -> None:
    scenarios = {name: load_scenario(path) for name, path in packaged_scenarios().items()}
    assert {"default", "baseline", "gpo-slow-logons", "vpn-concentrator-failure"} <= set(scenarios)
    assert {"print-server-down", "app-release-hang"} <= set(scenarios)
    default = scenarios[DEFAULT_SCENARIO]
    kinds = {type(incident) for incident in default.incidents}
    assert kinds == {GpoSlowLogons, VpnConcentratorFailure, TicketWave}
    vpn = next(i for i in default.incidents if isinstance(i, VpnConcentratorFailure))
    assert vpn.personas == ["field_worker"]
    assert Scenario.empty().incidents == []


BAD_SITE = """name: broken
incidents:
  - kind: print_server_down
    name: printers
    site: groningen
    start: {day: 0, at: "09:00"}
    duration_min: 60
"""


def test_scenario_errors_name_file_line_and_field() -> None:
    with pytest.raises(YamlFileError) as caught:
        parse_yaml_model(BAD_SITE, Scenario, "broken.yaml")
    assert len(caught.value.problems) == 1
    problem = caught.value.problems[0]
    assert problem.startswith("broken.yaml:5:11: incidents[0].site: Input should be 'amsterdam'")
    late = BAD_SITE.replace("site: groningen", "site: utrecht").replace("09:00", "25:00")
    with pytest.raises(
        YamlFileError, match=r"broken.yaml:6:25: incidents\[0\]\.start\.at: String should match"
    ):
        parse_yaml_model(late, Scenario, "broken.yaml")


def test_a_wave_must_follow_a_known_incident() -> None:
    text = ALL_KINDS_YAML.replace("follows: vpn-down", "follows: vpn-dwon")
    with pytest.raises(YamlFileError, match="follows 'vpn-dwon', which is not an incident"):
        parse_yaml_model(text, Scenario, "waves.yaml")
    twice = ALL_KINDS_YAML.replace("name: gpo,", "name: vpn-down,")
    with pytest.raises(YamlFileError, match="incident names must be unique: vpn-down"):
        parse_yaml_model(twice, Scenario, "waves.yaml")


def test_scenario_times_are_local_and_relative_to_the_first_day() -> None:
    fleet = fleet_for(ALL_KINDS_YAML)
    winter, summer = fleet.incidents(MONDAY), fleet.incidents(MONDAY - timedelta(weeks=20))
    assert winter.starts["vpn-down"].hour == 9  # 10:00 CET
    assert summer.starts["vpn-down"].hour == 8  # 10:00 CEST


def test_a_gpo_change_at_all_sites_slows_every_site() -> None:
    text = BASELINE_YAML + (
        "incidents:\n  - {kind: gpo_slow_logons, name: gpo, start: {day: 0, at: '05:00'},"
        " duration_min: 600, extra_logon_s: 20}\n"
    )
    fleet = fleet_for(text, endpoints=40)
    calm = {e.user_id: e for e in fleet_for(BASELINE_YAML, endpoints=40).logon_events(MONDAY)}
    for logon in fleet.logon_events(MONDAY, first_day=MONDAY):
        assert logon.logon_duration_ms - calm[logon.user_id].logon_duration_ms == 20_000


def test_simulate_command_writes_contract_lines_and_counts_them(tmp_path) -> None:
    output = tmp_path / "out.ndjson"
    arguments = ["simulate", "--endpoints", "20", "--first-day", "2026-11-23"]
    result = CliRunner().invoke(main, [*arguments, "--output", str(output)])
    assert result.exit_code == 0, result.output
    lines = output.read_bytes().splitlines()
    types = Counter(parse_event(line).event_type for line in lines)
    assert f"{len(lines):,} events for 20 endpoints over 1 days" in result.output
    for event_type, count in types.items():
        assert f"{event_type:<22}{count:>12,}" in result.output
    broken = tmp_path / "broken.yaml"
    broken.write_text(BAD_SITE)
    refused = CliRunner().invoke(main, [*arguments, "--scenario", str(broken)])
    assert refused.exit_code == 1 and "broken.yaml:5:11" in refused.output


def test_rate_paces_the_stream_and_loses_nothing() -> None:
    events = run(BASELINE_YAML)[:1000]
    started = time.monotonic()
    passed = list(paced(iter(events), events_per_s=10_000))
    assert passed == list(events)
    assert time.monotonic() - started >= 0.09  # 1000 events at 10k/s take at least 0.1 s


def test_simulate_takes_a_packaged_scenario_by_name_as_demo_does(tmp_path) -> None:
    output = tmp_path / "baseline.ndjson"
    arguments = ["simulate", "--endpoints", "20", "--first-day", "2026-11-23"]
    result = CliRunner().invoke(
        main, [*arguments, "--scenario", "baseline", "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert "(scenario baseline)" in result.output
    unknown = CliRunner().invoke(main, [*arguments, "--scenario", "no-such-scenario"])
    assert unknown.exit_code == 2
    assert "neither a packaged scenario (app-release-hang, baseline," in unknown.output


@pytest.mark.parametrize("option", ["--days", "--endpoints"])
@pytest.mark.parametrize("command", ["simulate", "demo"])
def test_negative_or_zero_counts_are_refused(command, option) -> None:
    for value in ("-1", "0"):
        result = CliRunner().invoke(main, [command, option, value])
        assert result.exit_code == 2
        assert f"Invalid value for '{option}': {value} is not in the range x>=1" in result.output


def test_simulate_warns_when_every_day_is_a_weekend(tmp_path) -> None:
    output = tmp_path / "weekend.ndjson"
    arguments = ["simulate", "--endpoints", "5", "--output", str(output)]
    weekend = CliRunner().invoke(main, [*arguments, "--first-day", "2026-11-28", "--days", "2"])
    assert "note: Sat 2026-11-28 on is a weekend" in weekend.output
    workday = CliRunner().invoke(main, [*arguments, "--first-day", "2026-11-28", "--days", "3"])
    assert "note:" not in workday.output
