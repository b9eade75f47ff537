"""The scoring shortcuts keep the results: problems inserted in time order (not re-sorted),
happiness computed once per cell for the objectives about all answers."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.engine_events import assignment_event, ticket_event
from tests.unit.xla_helpers import JUDGE_EVERY_SAMPLE
from xlapulse.collectors.contract.events import (
    LogonEvent,
    VpnSessionEvent,
)
from xlapulse.streams.scoring import device_state, records, user_state
from xlapulse.streams.scoring.cell_counts import add_observation
from xlapulse.streams.scoring.cells import Cell
from xlapulse.streams.scoring.correlation import remember_in_time_order
from xlapulse.streams.scoring.device_signals import DeviceProblem, DeviceTicket
from xlapulse.streams.scoring.device_state import MAX_DEVICE_PROBLEMS
from xlapulse.streams.scoring.formulas import happiness
from xlapulse.streams.scoring.observations import SurveyObservation
from xlapulse.streams.scoring.personas import SERVICE_DESK
from xlapulse.streams.scoring.records import cell_records

#: The packaged XLA file, every objective judged from its first answer.
CONFIG = JUDGE_EVERY_SAMPLE
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
T0_MS = int(T0.timestamp() * 1000)
USER = "u_" + "1" * 32
DEVICE = "d_" + "2" * 32
TARGET_MS = 3 * 86_400_000


def append_then_sort(problems: list, problem: list) -> None:
    """What the states did before: append, then a stable sort of the whole list by time."""
    problems.append(problem)
    problems.sort(key=lambda known: known[0])


def test_insertion_gives_the_order_of_append_then_stable_sort() -> None:
    rng = random.Random(7)
    for _ in range(300):
        inserted: list[list[int]] = []
        sorted_: list[list[int]] = []
        for arrival in range(rng.randrange(1, 60)):
            problem = [rng.randrange(8), arrival]  # few distinct times: many ties
            remember_in_time_order(inserted, list(problem))
            append_then_sort(sorted_, list(problem))
            assert inserted == sorted_


# --- user state ---------------------------------------------------------------


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def run_user(events, clock_ms: int):
    state, outputs = None, []
    for event in events:
        result = user_state.step(state, event, CONFIG, clock_ms)
        state = result.state
        outputs.append(
            (result.outcome, result.observations, result.invitations, result.device_signals)
        )
    return state.to_dict(), outputs


def user_events(seed: int) -> list:
    """A field worker's day with many problems at the same minute, out of order, logons
    losing exactly what a VPN drop loses (touch-point ties) and tickets in between."""
    rng = random.Random(seed)
    limits = CONFIG.persona("field_worker").thresholds
    tie_logon_ms = limits.logon_target_ms + limits.vpn_drop_cost_ms
    events: list = [assignment_event(USER, at(0), "field_worker", "x")]
    for n in range(400):
        minute = rng.randrange(0, 600, 5)
        kind = rng.random()
        if kind < 0.35:
            duration = rng.choice([tie_logon_ms, limits.logon_target_ms * 2, 5_000])
            events.append(
                LogonEvent(
                    event_time=at(minute),
                    user_id=USER,
                    device_id=DEVICE,
                    logon_duration_ms=duration,
                )
            )
        elif kind < 0.7:
            events.append(
                VpnSessionEvent(
                    event_time=at(minute),
                    user_id=USER,
                    device_id=DEVICE,
                    state=rng.choice(["dropped", "failed", "connected"]),
                )
            )
        else:
            events.append(ticket_event(USER, "created", at(minute), f"INC{n}", device_id=DEVICE))
    return events


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_user_steps_are_those_of_the_re_sorting_version(monkeypatch, seed) -> None:
    events = user_events(seed)
    clock_ms = T0_MS + 11 * 3_600_000
    inserted = run_user(events, clock_ms)
    monkeypatch.setattr(user_state, "remember_in_time_order", append_then_sort)
    assert run_user(events, clock_ms) == inserted


def explained_by(first: str, second: str) -> str | None:
    """The explanation of a ticket after two problems of one minute losing the same time."""
    limits = CONFIG.persona("field_worker").thresholds
    problems = {
        "vpn": VpnSessionEvent(event_time=at(10), user_id=USER, device_id=DEVICE, state="dropped"),
        "logon": LogonEvent(
            event_time=at(10),
            user_id=USER,
            device_id=DEVICE,
            logon_duration_ms=limits.logon_target_ms + limits.vpn_drop_cost_ms,
        ),
    }
    # an unknown category, so that both touch points fit it (ticket_categories.py)
    ticket = ticket_event(USER, "created", at(20), category="uncategorized")
    events = [*user_events(0)[:1], problems[first], problems[second], ticket]
    _, outputs = run_user(events, T0_MS + 3_600_000)
    [opened] = outputs[-1][1]
    return opened.explained_by


def test_a_users_tie_goes_to_the_touch_point_seen_first() -> None:
    assert explained_by("vpn", "logon") == "vpn"
    assert explained_by("logon", "vpn") == "logon"


# --- device state -------------------------------------------------------------


def device_signals(seed: int) -> list:
    """More problems than the cap, few distinct times and losses (ties everywhere)."""
    rng = random.Random(seed)
    signals: list = []
    for n in range(3 * MAX_DEVICE_PROBLEMS):
        time_ms = T0_MS + rng.randrange(0, 300) * 60_000
        if rng.random() < 0.85:
            signals.append(
                DeviceProblem(
                    device_id=DEVICE,
                    user_id=f"u_{rng.randrange(4):032x}",
                    event_id=f"e-{rng.randrange(2 * MAX_DEVICE_PROBLEMS)}",  # some repeats
                    time_ms=time_ms,
                    touch_point=rng.choice(["vpn", "logon", "print"]),
                    time_lost_ms=rng.choice([60_000, 300_000]),
                )
            )
        else:
            signals.append(
                DeviceTicket(
                    device_id=DEVICE,
                    user_id=f"u_{rng.randrange(4):032x}",
                    ticket_id=f"INC{n}",
                    created_ms=time_ms,
                    release=False,
                )
            )
    return signals


def run_device(signals):
    state, explanations = None, []
    for signal in signals:
        result = device_state.step(state, signal, T0_MS + 6 * 3_600_000)
        state = result.state
        explanations.append(result.explanations)
    return state.to_dict(), explanations


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_device_steps_are_those_of_the_re_sorting_version(monkeypatch, seed) -> None:
    signals = device_signals(seed)
    inserted = run_device(signals)
    assert len(inserted[0]["problems"]) == MAX_DEVICE_PROBLEMS, "the cap cut some ties"
    monkeypatch.setattr(device_state, "remember_in_time_order", append_then_sort)
    assert run_device(signals) == inserted


# --- cells --------------------------------------------------------------------


def survey_cell(persona: str, answers: list[tuple[int, int, bool]]) -> Cell:
    """An hourly cell of survey answers given as (user number, score, about a ticket)."""
    cell = Cell(persona, "utrecht", 3600, T0_MS)
    for n, (user, score, about_ticket) in enumerate(answers):
        answer = SurveyObservation(
            event_id=f"s-{n}",
            user_id=f"u_{user:032x}",
            persona=persona,
            site="utrecht",
            event_time_ms=T0_MS,
            score=score,
            about_ticket=about_ticket,
        )
        add_observation(cell, answer, TARGET_MS)
    return cell


def random_answers(seed: int) -> list[tuple[int, int, bool]]:
    rng = random.Random(seed)
    return [
        (rng.randrange(12), rng.randrange(11), rng.random() < 0.5)
        for _ in range(rng.randrange(5, 30))
    ]


HAPPINESS_PERSONAS = sorted(
    persona
    for persona in CONFIG.personas
    if any(o.kind == "happiness_at_least" for o in CONFIG.objectives_for(persona))
)


@pytest.mark.parametrize("persona", HAPPINESS_PERSONAS)
@pytest.mark.parametrize("seed", range(6))
def test_happiness_objectives_measure_the_answers_they_did(persona, seed) -> None:
    """All answers for the sentiment objectives, those about tickets for the service desk,
    each at least five people (as before the cell's happiness was reused)."""
    answers = random_answers(seed)
    records = cell_records(survey_cell(persona, answers), CONFIG)
    published = {
        r.tags["objective"]: r.fields for r in records if r.measurement == "xla_compliance"
    }
    for objective in CONFIG.objectives_for(persona):
        if objective.kind != "happiness_at_least":
            continue
        measured = [  # (user, score) of the answers this objective is about
            (user, score)
            for user, score, about_ticket in answers
            if about_ticket or objective.touch_point != SERVICE_DESK
        ]
        if len({user for user, _ in measured}) < 5:
            assert objective.id not in published
            continue
        expected = happiness([score for _, score in measured])
        fields = published[objective.id]
        assert fields["value"] == round(expected, 5)
        assert fields["samples"] == len(measured)
        assert fields["met"] == int(expected >= objective.target)


def test_a_cells_happiness_is_computed_once_per_set_of_answers(monkeypatch) -> None:
    calls: list[int] = []

    def counted(scores):
        scores = list(scores)
        calls.append(len(scores))
        return happiness(scores)

    monkeypatch.setattr(records, "happiness", counted)
    for persona in HAPPINESS_PERSONAS:
        cell = survey_cell(persona, [(n, 10 if n < 5 else 0, n < 5) for n in range(10)])
        calls.clear()
        cell_records(cell, CONFIG)
        about_tickets = any(
            o.kind == "happiness_at_least" and o.touch_point == SERVICE_DESK
            for o in CONFIG.objectives_for(persona)
        )
        # before: once more per objective about all answers (every persona has one)
        assert calls == ([10, 5] if about_tickets else [10]), persona
