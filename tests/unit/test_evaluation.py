"""The evaluation harness: publications as the engine makes them, and the measures on them.

The harness runs the real simulator and the real in-process engine; the measures
(visibility, correlation, silent sufferers) are checked on hand-made publications and
truths whose answers are worked out here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType

import pytest
from click.testing import CliRunner

from xlapulse.collectors.cli import main
from xlapulse.collectors.contract.outputs import DipEvent
from xlapulse.collectors.simulator.scenario import Scenario
from xlapulse.collectors.simulator.truth import (
    IncidentTruth,
    Person,
    ScenarioTruth,
    Scope,
    TicketTruth,
)
from xlapulse.collectors.yamlfile import parse_yaml_model
from xlapulse.streams.evaluation.correlation import correlation_scores
from xlapulse.streams.evaluation.digest import RunDigest
from xlapulse.streams.evaluation.dips import IncidentResult, people_floor
from xlapulse.streams.evaluation.harness import (
    Publication,
    RunSettings,
    next_monday,
    run_scenario,
    start_run,
    without_incidents,
)
from xlapulse.streams.evaluation.silent import silent_count
from xlapulse.streams.evaluation.visibility import visibility
from xlapulse.streams.inprocess import InProcessPipeline
from xlapulse.streams.scoring.published import Record

MONDAY = date(2026, 11, 23)
SMALL = """
name: small
days: 1
probe_interval_min: 60
incidents:
  - {kind: logon_storm, name: storm, extra_logon_s: 10}
  - {kind: call_quality_degraded, name: calls-down, site: amsterdam,
     start: {day: 0, at: "10:00"}, duration_min: 120, poor_share: 1.0}
  - {kind: ticket_wave, name: call-tickets, follows: calls-down, delay_min: 10,
     spread_min: 30, affected_share: 1.0, category: call_quality}
"""
CALM = """
name: small-calm
days: 2
probe_interval_min: 60
incidents:
  - {kind: logon_storm, name: storm, extra_logon_s: 10}
"""
ONSET = datetime(2026, 11, 23, 9, tzinfo=UTC)
ONSET_MS = int(ONSET.timestamp() * 1000)


def _scenario(text: str) -> Scenario:
    return parse_yaml_model(text, Scenario, "test.yaml")


def test_publications_end_as_the_engine_fed_at_once_and_come_in_time_order() -> None:
    settings = RunSettings(endpoints=60, seed=3, first_day=MONDAY, flush_every_s=300)
    publications, truth = run_scenario(_scenario(SMALL), settings)
    last: dict[tuple, Record] = {}
    previous_ms = 0
    for publication in publications:
        assert publication.published_ms >= previous_ms
        assert publication.published_ms % 300_000 == 0
        if publication.record.measurement != "user_score":  # spread inside the window
            assert publication.record.time_ns // 1_000_000 < publication.published_ms
        previous_ms = publication.published_ms
        last[publication.record.series_key()] = publication.record
    assert truth.days == 1 and truth.incident("calls-down").affected

    at_once = InProcessPipeline(max_event_age_ms=10 * 365 * 86_400_000)
    for event in start_run(_scenario(SMALL), settings).fleet().events(MONDAY, 1):
        at_once.feed_event(event)
    at_once.flush()
    # A user's own score is published at a flush that saw a new sample of theirs after
    # the cell reached five people, so batching changes which user records exist.
    aggregates = {key: r for key, r in at_once.records.items() if r.measurement != "user_score"}
    assert {key: r for key, r in last.items() if r.measurement != "user_score"} == aggregates
    assert len(aggregates) > 100


def test_a_run_knows_every_ticket_explanation_and_the_twin_has_only_noise() -> None:
    run = start_run(_scenario(SMALL), RunSettings(endpoints=60, seed=3, first_day=MONDAY))
    for _ in run.publications():
        pass
    created = {ticket.ticket_id for ticket in run.truth.tickets}
    assert created and created <= set(run.explanations)
    twin = without_incidents(run.scenario)
    assert [i.kind for i in twin.incidents] == ["logon_storm"]
    assert twin.name == "small-calm-twin"
    assert next_monday(MONDAY, 5) == date(2026, 11, 30)
    assert next_monday(MONDAY, 7) == date(2026, 11, 30)


def _score(
    persona: str, site: str, touch_point: str, window: str, start_ms: int, score: float, at_ms: int
) -> Publication:
    tags = {"persona": persona, "site": site, "touch_point": touch_point, "window": window}
    fields = {"score": score, "samples": 10}
    return Publication(at_ms, Record("experience_score", tags, fields, start_ms * 1_000_000))


def _incident(**changes: object) -> IncidentTruth:
    values = {
        "name": "gpo",
        "kind": "gpo_slow_logons",
        "scope": Scope("logon", frozenset({"rotterdam"}), frozenset({"kw", "dev"})),
        "onset": ONSET,
        "end": ONSET + timedelta(hours=2),
        "affected": frozenset({"u1", "u2", "u3"}),
        "first_hit": ONSET,
    }
    values.update(changes)
    return IncidentTruth(**values)  # type: ignore[arg-type]


def test_visibility_compares_each_pair_with_its_own_calm_floor() -> None:
    incident = _incident(first_hit=ONSET)
    minute = 60_000
    calm = RunDigest((incident,)).add_all(
        [
            _score("kw", "rotterdam", "logon", "5m", 0, 60.0, minute),
            _score("kw", "rotterdam", "logon", "5m", 300_000, 90.0, 2 * minute),
            _score("dev", "rotterdam", "logon", "5m", 0, 30.0, minute),
            _score("kw", "rotterdam", "probe", "5m", 0, 95.0, minute),
            _score("kw", "rotterdam", "overall", "5m", 0, 50.0, minute),
        ]
    )
    twin = RunDigest((incident,)).add_all(
        [
            _score("kw", "rotterdam", "logon", "5m", ONSET_MS, 70.0, ONSET_MS + minute),
            _score("kw", "rotterdam", "logon", "5m", ONSET_MS, 80.0, ONSET_MS + 2 * minute),
            _score("dev", "rotterdam", "logon", "5m", ONSET_MS, 100.0, ONSET_MS + 2 * minute),
            _score("kw", "rotterdam", "probe", "5m", ONSET_MS, 94.0, ONSET_MS + minute),
        ]
    )
    run = RunDigest((incident,)).add_all(
        [
            _score("kw", "rotterdam", "logon", "5m", ONSET_MS - 300_000, 10.0, ONSET_MS),  # before
            _score("kw", "rotterdam", "logon", "5m", ONSET_MS, 65.0, ONSET_MS + minute),
            _score("kw", "rotterdam", "logon", "5m", ONSET_MS, 55.0, ONSET_MS + 3 * minute),
            _score("dev", "rotterdam", "logon", "5m", ONSET_MS, 35.0, ONSET_MS + minute),
            _score("kw", "utrecht", "logon", "5m", ONSET_MS, 0.0, ONSET_MS + minute),  # no scope
            _score("exec", "rotterdam", "logon", "5m", ONSET_MS, 0.0, ONSET_MS + minute),
            _score("kw", "rotterdam", "probe", "5m", ONSET_MS, 90.0, ONSET_MS + 8 * minute),
            _score("dev", "rotterdam", "probe", "5m", ONSET_MS, 20.0, ONSET_MS + 9 * minute),
            _score("kw", "rotterdam", "logon", "1h", ONSET_MS, 20.0, ONSET_MS + minute),
            _score("kw", "rotterdam", "overall", "5m", ONSET_MS, 40.0, ONSET_MS + 6 * minute),
        ]
    )
    rows = {(row.touch_point, row.window): row for row in visibility(incident, run, twin, calm)}
    # probe left its floor in the calm twin as well: not the incident's doing, no row
    assert set(rows) == {("logon", "5m"), ("logon", "1h"), ("overall", "5m")}
    logon = rows[("logon", "5m")]
    # kw fell to 55 < its floor 60 three minutes in; dev's 35 stayed above its floor 30
    assert (logon.worst, logon.calm_floor) == (35.0, 30.0)
    assert (logon.published_pairs, logon.left_pairs, logon.scope_pairs) == (2, 1, 2)
    assert logon.twin_left_pairs == 0
    assert logon.first_leave_min == 3.0 and logon.first_hit_min == 0.0
    assert logon.baseline == pytest.approx((80.0 + 100.0) / 2)  # final values, 10 samples each
    hourly = rows[("logon", "1h")]
    assert hourly.no_calm_pairs == 1 and not hourly.left and hourly.baseline is None
    overall = rows[("overall", "5m")]
    assert (overall.left_pairs, overall.twin_left_pairs, overall.first_leave_min) == (1, 0, 6.0)
    assert overall.baseline is None  # the twin published no overall cell


def _truth(tickets: tuple[TicketTruth, ...], incident: IncidentTruth) -> ScenarioTruth:
    people = {
        user: Person(user, "kw", "rotterdam", files_tickets=user != "u3")
        for user in ("u1", "u2", "u3", "u4")
    }
    return ScenarioTruth(
        scenario="t",
        seed=1,
        endpoints=4,
        first_day=MONDAY,
        days=1,
        start=ONSET - timedelta(hours=8),
        end=ONSET + timedelta(hours=16),
        incidents=(incident,),
        tickets=tickets,
        people=MappingProxyType(people),
        noise=(),
        workdays=1,
    )


def _ticket(ticket_id: str, user: str, cause: str | None, incident: str | None) -> TicketTruth:
    category = {"logon": "logon", "vpn": "vpn", None: "password_reset"}[cause]
    created = ONSET + timedelta(minutes=30)
    return TicketTruth(ticket_id, user, "kw", "rotterdam", created, category, cause, incident)


def test_correlation_precision_and_recall_per_kind_of_ticket() -> None:
    tickets = (
        _ticket("T1", "u1", "logon", "gpo"),  # explained right
        _ticket("T2", "u2", "logon", "gpo"),  # explained wrong (app)
        _ticket("T3", "u4", "vpn", None),  # left without a signal
        _ticket("T4", "u4", None, None),  # no cause, explained anyway (app)
        _ticket("T5", "u4", None, None),  # no cause, left alone
        _ticket("T6", "u4", "vpn", None),  # never counted by the engine
    )
    explanations = {"T1": "logon", "T2": "app", "T3": None, "T4": "app", "T5": None}
    scores = {s.group: s for s in correlation_scores(_truth(tickets, _incident()), explanations)}
    incident, background, every = (
        scores["incident tickets"],
        scores["background tickets"],
        scores["all tickets"],
    )
    assert (incident.precision, incident.recall) == (0.5, 0.5)
    assert (background.explained, background.correct, background.precision) == (1, 0, 0.0)
    assert background.recall == 0.0 and background.unseen == 1
    assert (every.with_cause, every.explained, every.correct) == (4, 3, 1)
    assert every.precision == pytest.approx(1 / 3)
    assert every.recall == 0.25 and every.without_cause_left_alone == 1
    assert dict(every.confusions) == {("logon", "app"): 1, ("none", "app"): 1}


def test_silent_sufferers_are_affected_people_without_a_ticket_that_day() -> None:
    incident = _incident()
    tickets = (_ticket("T1", "u1", "logon", "gpo"),)
    day_ms = ONSET_MS - ONSET_MS % 86_400_000

    def desk(silent: int, persona: str = "kw", site: str = "rotterdam") -> Publication:
        tags = {"persona": persona, "site": site, "window": "1d"}
        record = Record("service_desk", tags, {"silent_sufferers": silent}, day_ms * 1_000_000)
        return Publication(day_ms + 3_600_000, record)

    run = RunDigest((incident,)).add_all(
        [desk(9), desk(4), desk(2, "dev"), desk(50, site="utrecht")]
    )
    twin = RunDigest((incident,)).add_all([desk(3)])
    count = silent_count(incident, _truth(tickets, incident), run, twin)
    assert (count.affected, count.silent, count.never_file) == (3, 2, 1)  # u2, u3; u3 never files
    assert (count.published, count.calm, count.excess) == (6, 3, 3)  # kw's latest 4 + dev's 2


def test_evaluate_prints_every_incident_with_its_visibility_and_correlation(tmp_path) -> None:
    incident_file, calm_file = tmp_path / "small.yaml", tmp_path / "calm.yaml"
    incident_file.write_text(SMALL)
    calm_file.write_text(CALM)
    arguments = ["evaluate", "--scenario", str(incident_file), "--calm", str(calm_file)]
    arguments += ["--endpoints", "120", "--seed", "3", "--flush-every", "300"]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    table = result.stdout
    assert "120 endpoints, seed 3; flush every 300 s" in table
    assert "calm range:   small-calm, 2 days from 2026-11-30" in table
    call_rows = [line.split() for line in table.splitlines() if line.startswith("calls-down ")]
    hourly = next(row for row in call_rows if row[1:3] == ["call", "1h"])
    assert hourly[-2:][0].startswith("+")  # every call at the site poor: the 1 h cells left
    assert "incident tickets" in table and "background tickets" in table
    refused = CliRunner().invoke(main, ["evaluate", "--scenario", "no-such-scenario"])
    assert refused.exit_code == 1 and "neither a packaged scenario" in refused.output


def test_dip_latency_splits_into_the_five_people_floor_and_the_time_past_it() -> None:
    minutes = [0, 3, 4, 9, 12, 20, 25]  # the kw at Rotterdam hit at these minutes
    people = {f"k{n}": Person(f"k{n}", "kw", "rotterdam", True) for n in range(len(minutes))}
    people |= {f"d{n}": Person(f"d{n}", "dev", "rotterdam", True) for n in range(4)}
    hit_at = {f"k{n}": ONSET + timedelta(minutes=m) for n, m in enumerate(minutes)}
    hit_at |= {f"d{n}": ONSET + timedelta(minutes=1) for n in range(4)}  # only four devs
    incident = _incident(hit_at=MappingProxyType(hit_at))
    floor = people_floor(incident, people, 5)
    assert floor == ONSET + timedelta(minutes=12), "the fifth kw; four devs never make a dip"
    dip = DipEvent.model_construct(event_time=ONSET + timedelta(minutes=14))
    result = IncidentResult(incident, floor, dips=[dip])
    assert (result.latency, result.floor_latency, result.past_floor) == (
        timedelta(minutes=14),
        timedelta(minutes=12),
        timedelta(minutes=2),
    )
    assert people_floor(incident, people, 8) is None
