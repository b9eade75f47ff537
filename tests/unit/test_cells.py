"""Window cells: k-anonymity, weighted scores, silent sufferers, watermelons, idempotence."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import date
from math import fsum

from tests.unit.xla_helpers import JUDGE_EVERY_SAMPLE
from xlapulse.collectors.simulator.fleet import Fleet
from xlapulse.streams.inprocess import InProcessPipeline
from xlapulse.streams.scoring.cell_counts import add_observation
from xlapulse.streams.scoring.cells import (
    FRUSTRATING,
    SCORE_SUM,
    TIME_LOST_MS,
    Cell,
    cells_for,
)
from xlapulse.streams.scoring.formula_versions import CURRENT_FORMULA
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.journey import JOURNEY_FORMULA_VERSION
from xlapulse.streams.scoring.observations import (
    JourneyObservation,
    SampleObservation,
    SurveyObservation,
    TicketObservation,
)
from xlapulse.streams.scoring.personas import SERVICE_DESK
from xlapulse.streams.scoring.records import FORMULA_VERSION, cell_records, user_scores
from xlapulse.streams.scoring.xla import default_xla_config
from xlapulse.streams.sink.points import record_to_point

CONFIG = default_xla_config()
HOUR_START_MS = 1_795_420_800_000  # 2026-11-23 08:00 UTC
TARGET_MS = 3 * 86_400_000


def user(n: int) -> str:
    return f"u_{n:032x}"


def sample(n: int, touch_point: str, band: Band, lost_ms: int = 0, event: int = 0):
    return SampleObservation(
        event_id=f"e-{touch_point}-{n}-{event}",
        user_id=user(n),
        persona="call_centre_agent",
        site="utrecht",
        event_time_ms=HOUR_START_MS + n * 1000,
        touch_point=touch_point,
        band=band,
        time_lost_ms=lost_ms,
    )


def cell_with(observations) -> Cell:
    cell = Cell("call_centre_agent", "utrecht", 3600, HOUR_START_MS)
    for observation in observations:
        add_observation(cell, observation, TARGET_MS)
    return cell


def by_measurement(records, name, **tags):
    return [
        r
        for r in records
        if r.measurement == name and all(r.tags.get(k) == v for k, v in tags.items())
    ]


def test_nothing_is_published_for_fewer_than_five_people() -> None:
    cell = cell_with([sample(n, "logon", Band.GOOD) for n in range(4)])
    assert cell_records(cell, CONFIG) == []
    add_observation(cell, sample(4, "logon", Band.GOOD), TARGET_MS)
    assert cell_records(cell, CONFIG)


def test_touch_point_score_is_apdex_and_overall_uses_persona_weights() -> None:
    logons = [sample(n, "logon", Band.GOOD if n < 3 else Band.FRUSTRATING) for n in range(5)]
    calls = [sample(n, "call", Band.GOOD) for n in range(5)]
    records = cell_records(cell_with([*logons, *calls]), CONFIG)
    logon = by_measurement(records, "experience_score", touch_point="logon")[0]
    assert (logon.fields["score"], logon.fields["frustrating"]) == (60.0, 2)
    weights = CONFIG.persona("call_centre_agent").weights
    expected = (60 * weights["logon"] + 100 * weights["call"]) / (
        weights["logon"] + weights["call"]
    )
    overall = by_measurement(records, "experience_score", touch_point="overall")[0]
    assert overall.fields["score"] == round(expected, 3)
    assert overall.tags["formula_version"] == FORMULA_VERSION


def test_a_touch_point_with_fewer_than_five_users_is_not_shown() -> None:
    records = cell_records(
        cell_with(
            [
                *[sample(n, "logon", Band.GOOD) for n in range(5)],
                sample(0, "print", Band.FRUSTRATING),
            ]
        ),
        CONFIG,
    )
    assert not by_measurement(records, "experience_score", touch_point="print")


def test_a_replayed_observation_is_counted_once() -> None:
    observations = [sample(n, "logon", Band.GOOD) for n in range(5)]
    cell = cell_with(observations)
    assert add_observation(cell, observations[0], TARGET_MS) is False
    assert cell.touch_points["logon"][:3] == [5, 0, 0]


def opened_ticket(n: int, explained_by: str | None = "vpn", lost_ms: int = 300_000):
    return TicketObservation(
        event_id=f"t-{n}",
        user_id=user(n),
        persona="call_centre_agent",
        site="utrecht",
        event_time_ms=HOUR_START_MS + 10_000,
        ticket_id=f"INC{n}",
        stage="opened",
        explained_by=explained_by,
        signal_time_lost_ms=lost_ms if explained_by else 0,
    )


def test_silent_sufferers_are_frustrated_users_without_a_ticket() -> None:
    frustrated = [sample(n, "vpn", Band.FRUSTRATING, 300_000) for n in range(10)]
    tickets = [opened_ticket(n) for n in range(5)]
    desk = by_measurement(cell_records(cell_with([*frustrated, *tickets]), CONFIG), "service_desk")
    assert (
        desk[0].fields["silent_sufferers"],
        desk[0].fields["explained_by_vpn"],
        desk[0].fields["without_signal"],
    ) == (5, 5, 0)
    assert desk[0].fields["telemetry_time_lost_ms"] == 3_000_000


def test_ticket_figures_need_five_people_who_opened_one() -> None:
    frustrated = [sample(n, "vpn", Band.FRUSTRATING, 300_000) for n in range(10)]
    tickets = [opened_ticket(n) for n in range(4)]
    [desk] = by_measurement(
        cell_records(cell_with([*frustrated, *tickets]), CONFIG), "service_desk"
    )
    assert desk.fields["silent_sufferers"] == 6, "telemetry figures rest on ten people"
    assert not {"tickets_opened", "explained_by_vpn", "signal_time_lost_ms"} & set(desk.fields)


def test_watermelon_when_sla_is_green_but_experience_is_red() -> None:
    observations = [sample(n, "logon", Band.FRUSTRATING) for n in range(5)]
    observations += [
        TicketObservation(
            event_id=f"h-{n}",
            user_id=user(n),
            persona="call_centre_agent",
            site="utrecht",
            event_time_ms=HOUR_START_MS,
            ticket_id=f"INC{n}",
            stage="handled",
            band=Band.GOOD,
            first_contact_ms=60_000,
            resolution_ms=3_600_000,
            sla_breached=False,
        )
        for n in range(5)
    ]
    desk = by_measurement(cell_records(cell_with(observations), CONFIG), "service_desk")[0]
    assert desk.fields["sla_met_ratio"] == 1.0
    assert desk.fields["watermelon"] == 1
    green = [sample(n, "logon", Band.GOOD) for n in range(5)] + observations[5:]
    desk = by_measurement(cell_records(cell_with(green), CONFIG), "service_desk")[0]
    assert desk.fields["watermelon"] == 0


def test_happiness_and_csat_from_survey_answers() -> None:
    answers = [
        SurveyObservation(
            event_id=f"s-{n}",
            user_id=user(n),
            persona="call_centre_agent",
            site="utrecht",
            event_time_ms=HOUR_START_MS,
            score=score,
            self_reported_lost_ms=600_000,
            about_ticket=True,
        )
        for n, score in enumerate([10, 9, 9, 7, 3])
    ]
    records = cell_records(cell_with(answers), CONFIG)
    sentiment = by_measurement(records, "sentiment")[0]
    assert sentiment.fields["happiness"] == 40.0  # 60 % promoters - 20 % detractors
    assert sentiment.fields["csat_ratio"] == 0.6
    assert by_measurement(records, "service_desk")[0].fields["self_reported_lost_ms"] == 3_000_000


def test_user_scores_are_weighted_and_never_published_per_person() -> None:
    cell = cell_with(
        [*[sample(n, "logon", Band.GOOD) for n in range(5)], sample(1, "call", Band.FRUSTRATING)]
    )
    scores = user_scores(cell, CONFIG)
    assert scores[user(0)] == 100.0 and scores[user(1)] < 50
    records = cell_records(cell, CONFIG)
    assert all(user(1) not in map(str, r.fields.values()) for r in records)
    overall = by_measurement(records, "experience_score", touch_point="overall")[0]
    assert overall.fields["users_with_issues"] == 0, "the call (one person) is not published"


def test_compliance_records_follow_the_personas_objectives() -> None:
    logons = [sample(n, "logon", Band.GOOD) for n in range(5)]
    records = cell_records(cell_with(logons), JUDGE_EVERY_SAMPLE)
    assert not by_measurement(cell_records(cell_with(logons), CONFIG), "xla_compliance"), (
        "the packaged file judges no objective on five logons (min_samples)"
    )
    compliance = by_measurement(records, "xla_compliance")
    assert compliance, "the default XLA file has objectives for call-centre agents"
    assert {r.tags["xla_version"] for r in compliance} == {JUDGE_EVERY_SAMPLE.version}
    assert {r.fields["xla_digest"] for r in compliance} == {JUDGE_EVERY_SAMPLE.digest}


def test_journeys_are_published_in_day_cells_only() -> None:
    journey = JourneyObservation(
        event_id="j",
        user_id=user(0),
        persona="call_centre_agent",
        site="utrecht",
        event_time_ms=HOUR_START_MS,
        day_start_ms=HOUR_START_MS - 8 * 3_600_000,
        score=80.0,
        mean=90.0,
        worst=50.0,
        end=100.0,
        moments=3,
    )
    assert [window for _, window, _ in cells_for(journey)] == [86_400]
    day = Cell("call_centre_agent", "utrecht", 86_400, HOUR_START_MS - 8 * 3_600_000)
    for n in range(5):
        add_observation(
            day,
            JourneyObservation(**{**journey.__dict__, "user_id": user(n), "score": 60.0 + 10 * n}),
            TARGET_MS,
        )
    record = cell_records(day, CONFIG)[0]
    assert record.measurement == "journey"
    assert record.tags["journey_formula_version"] == JOURNEY_FORMULA_VERSION
    assert record.tags["formula_version"] == FORMULA_VERSION
    record_to_point(record)  # the tag is declared in the schema
    for n in range(5):
        add_observation(day, sample(n, "logon", Band.GOOD), TARGET_MS)
    assert by_measurement(cell_records(day, CONFIG), "journey") == [record], (
        "a day cell with samples publishes its journeys too"
    )
    assert (
        record.fields["users"],
        record.fields["lowest_five_mean_score"],
        record.fields["users_below_issue_score"],
    ) == (5, 80.0, 1)


def test_a_correction_moves_a_ticket_from_without_signal_to_its_explanation() -> None:
    common = {"persona": "call_centre_agent", "site": "utrecht", "ticket_id": "INC9"}
    opened = TicketObservation(
        event_id="t-9", user_id=user(0), event_time_ms=HOUR_START_MS, stage="opened", **common
    )
    corrected = TicketObservation(
        event_id="explained:INC9:1",
        user_id=user(0),
        event_time_ms=HOUR_START_MS,
        stage="explained",
        explained_by="vpn",
        signal_time_lost_ms=300_000,
        **common,
    )
    frustrated = [sample(n, "vpn", Band.FRUSTRATING, 300_000) for n in range(5)]
    others = [opened_ticket(n, explained_by=None) for n in range(1, 5)]
    desk = by_measurement(
        cell_records(cell_with([*frustrated, *others, opened]), CONFIG), "service_desk"
    )
    assert desk[0].fields["without_signal"] == 5
    desk = by_measurement(
        cell_records(cell_with([*frustrated, *others, opened, corrected]), CONFIG), "service_desk"
    )
    assert (
        desk[0].fields["tickets_opened"],
        desk[0].fields["without_signal"],
        desk[0].fields["explained_by_vpn"],
        desk[0].fields["signal_time_lost_ms"],
    ) == (5, 4, 1, 300_000)


def handled_ticket(n: int, stage: str = "handled", band: Band = Band.GOOD) -> TicketObservation:
    return TicketObservation(
        event_id=f"t-{stage}-{n}",
        user_id=user(n),
        persona="call_centre_agent",
        site="utrecht",
        event_time_ms=HOUR_START_MS,
        ticket_id=f"INC{n}",
        stage=stage,
        band=band,
        first_contact_ms=600_000,
        resolution_ms=3_600_000,
        reassignments=2,
    )


def test_a_retraction_takes_back_exactly_what_its_handling_added() -> None:
    before = cell_with([handled_ticket(n) for n in range(5)])
    cell = cell_with([handled_ticket(n) for n in range(6)] + [handled_ticket(5, "retracted")])
    assert cell.to_dict() | {"event_ids": []} == before.to_dict() | {
        "event_ids": [],
        "ticket_users": [*before.ticket_users, user(5)],
    }


def test_a_retraction_without_its_handling_changes_no_count() -> None:
    cell = cell_with([handled_ticket(n) for n in range(5)])
    counts = cell.to_dict()
    add_observation(cell, handled_ticket(7, "retracted"), TARGET_MS)
    add_observation(cell, handled_ticket(0, "retracted", Band.FRUSTRATING), TARGET_MS)
    assert cell.to_dict() | {"event_ids": []} == counts | {"event_ids": []}


def answer(n: int, score: int, about_ticket: bool) -> SurveyObservation:
    return SurveyObservation(
        event_id=f"s-{n}",
        user_id=user(n),
        persona="executive",
        site="utrecht",
        event_time_ms=HOUR_START_MS,
        score=score,
        about_ticket=about_ticket,
    )


def test_service_desk_happiness_counts_only_answers_about_tickets() -> None:
    """Executives: delighted with their tickets (10), furious after a VPN outage (0)."""
    cell = Cell("executive", "utrecht", 3600, HOUR_START_MS)
    for n in range(10):
        add_observation(cell, answer(n, 10 if n < 5 else 0, about_ticket=n < 5), TARGET_MS)
    records = cell_records(cell, JUDGE_EVERY_SAMPLE)
    [desk] = by_measurement(records, "xla_compliance", objective="service-desk-happiness")
    assert (desk.fields["value"], desk.fields["met"], desk.fields["samples"]) == (100.0, 1, 5)
    assert by_measurement(records, "sentiment")[0].fields["happiness"] == 0.0, "all answers"


def test_service_desk_happiness_needs_five_people_answering_about_tickets() -> None:
    cell = Cell("executive", "utrecht", 3600, HOUR_START_MS)
    for n in range(10):
        add_observation(cell, answer(n, 10, about_ticket=n < 4), TARGET_MS)
    records = cell_records(cell, JUDGE_EVERY_SAMPLE)
    assert not by_measurement(records, "xla_compliance", objective="service-desk-happiness")


def test_a_compliance_point_needs_five_people_on_its_touch_point() -> None:
    """The issue's defect: a field worker's vpn-failures compliance of 1.0 from one sample."""
    cell = Cell("field_worker", "utrecht", 300, HOUR_START_MS)
    for n in range(5):
        add_observation(
            cell, replace(sample(n, "app", Band.GOOD), persona="field_worker"), TARGET_MS
        )
    vpn_drop = SampleObservation(
        event_id="v",
        user_id=user(0),
        persona="field_worker",
        site="utrecht",
        event_time_ms=HOUR_START_MS,
        touch_point="vpn",
        band=Band.FRUSTRATING,
        time_lost_ms=600_000,
        objective_hits=(("vpn-failures", False),),
    )
    add_observation(cell, vpn_drop, TARGET_MS)
    records = cell_records(cell, JUDGE_EVERY_SAMPLE)
    assert by_measurement(records, "experience_score", touch_point="app")
    assert not by_measurement(records, "xla_compliance", touch_point="vpn")


def test_a_ticket_moved_to_another_explanation_zeroes_the_old_one() -> None:
    """InfluxDB keeps a field a rewritten point leaves out: the old touch point's count
    must be written as 0, or the dashboards keep showing it."""
    frustrated = [sample(n, "vpn", Band.FRUSTRATING, 300_000) for n in range(5)]
    opened = [
        TicketObservation(
            event_id=f"t-{n}",
            user_id=user(n),
            persona="call_centre_agent",
            site="utrecht",
            event_time_ms=HOUR_START_MS + 10_000,
            ticket_id=f"INC{n}",
            stage="opened",
            explained_by="boot" if n == 0 else "vpn",
            signal_time_lost_ms=60_000,
        )
        for n in range(5)
    ]
    moved = TicketObservation(
        event_id="t-0-vpn",
        user_id=user(0),
        persona="call_centre_agent",
        site="utrecht",
        event_time_ms=HOUR_START_MS + 10_000,
        ticket_id="INC0",
        stage="explained",
        explained_by="vpn",
        previous_explained_by="boot",
        signal_time_lost_ms=240_000,
    )
    cell = cell_with([*frustrated, *opened])
    before = by_measurement(cell_records(cell, CONFIG), "service_desk")[0].fields
    assert (before["explained_by_boot"], before["explained_by_vpn"]) == (1, 4)
    add_observation(cell, moved, TARGET_MS)
    after = by_measurement(cell_records(cell, CONFIG), "service_desk")[0].fields
    assert (after["explained_by_boot"], after["explained_by_vpn"]) == (0, 5)
    assert {f"explained_by_{p}" for p in ("boot", "logon", "app", "call", "print")} <= set(after)


def test_score_sums_and_means_are_the_same_in_every_arrival_order() -> None:
    """Graded scores of three decimals, counted in many orders: plain float addition
    gives sums that differ in the last bits, and a score rounded from them differs by
    0.001 (62.849 against 62.848 in the fault suite's takeovers); the cell's sums, the
    published scores and the journey means are bit-identical in every order."""
    rng = random.Random(5)
    scores = [round(rng.uniform(0, 100), 3) for _ in range(400)]
    observations = [
        replace(sample(n % 7, "app", Band.TOLERATING, event=n), score=score)
        for n, score in enumerate(scores)
    ]
    journeys = [
        JourneyObservation(
            event_id=f"j-{n}",
            user_id=user(n),
            persona="call_centre_agent",
            site="utrecht",
            event_time_ms=HOUR_START_MS,
            day_start_ms=HOUR_START_MS,
            score=round(rng.uniform(0, 100), 3),
            mean=round(rng.uniform(0, 100), 3),
            worst=round(rng.uniform(0, 100), 3),
            end=round(rng.uniform(0, 100), 3),
            moments=3,
        )
        for n in range(40)
    ]
    naive_sums, cell_sums, published = set(), set(), []
    for _ in range(12):
        rng.shuffle(observations)
        naive_sums.add(sum(observation.score for observation in observations))
        rng.shuffle(journeys)
        day = Cell("call_centre_agent", "utrecht", 86_400, HOUR_START_MS)
        for observation in [*observations, *journeys]:
            add_observation(day, observation, TARGET_MS)
        cell_sums.add(day.touch_points["app"][SCORE_SUM])
        published.append(
            {
                (r.measurement, r.tags.get("touch_point")): r.fields
                for r in cell_records(day, CONFIG)
            }
        )
    assert len(naive_sums) > 1, "the orders chosen must show float addition's order"
    assert cell_sums == {round(math.fsum(scores), 3)}
    assert all(fields == published[0] for fields in published)


def test_per_person_scores_and_sufferers_match_their_definitions_on_a_simulated_day() -> None:
    """``user_scores`` and the service desk's sufferer counts are written as one pass per
    person for speed; here they are checked against their definitions, written plainly,
    on every cell of a simulated day (random weights make ties unlikely)."""
    pipeline = InProcessPipeline()
    for event in Fleet(60, seed=11).events(date(2025, 3, 4), 1):
        pipeline.feed_event(event)
    cells = [cell for cell in pipeline.cells.values() if cell.user_touch_points]
    assert len(cells) > 50
    significant_ms = CURRENT_FORMULA.significant_tolerating_lost_ms
    assert significant_ms is not None
    published = 0
    for cell in cells:
        weights = CONFIG.persona(cell.persona).weights
        expected = {}
        for person, per_point in cell.user_touch_points.items():
            scores = {p: c[SCORE_SUM] / sum(c[:3]) for p, c in per_point.items()}
            total = fsum(weights.get(p, 0.0) for p in scores)
            if total > 0:
                expected[person] = fsum(s * weights.get(p, 0.0) for p, s in scores.items()) / total
        assert user_scores(cell, CONFIG) == expected
        telemetry = {
            person: [c for p, c in per_point.items() if p != SERVICE_DESK]
            for person, per_point in cell.user_touch_points.items()
        }
        telemetry = {person: counts for person, counts in telemetry.items() if counts}
        suffering = {
            person
            for person, counts in telemetry.items()
            if any(c[FRUSTRATING] for c in counts)
            or sum(c[TIME_LOST_MS] for c in counts) >= significant_ms
        }
        desk = [r for r in cell_records(cell, CONFIG) if r.measurement == "service_desk"]
        if len(telemetry) >= 5:
            (record,) = desk
            assert record.fields["users_suffering"] == len(suffering)
            silent = len(suffering - set(cell.ticket_users))
            assert record.fields["silent_sufferers"] == silent
            published += 1
        else:
            assert all("users_suffering" not in r.fields for r in desk)
    assert published >= 10, "enough cells publish sufferers to compare"
