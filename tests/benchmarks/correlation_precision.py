"""Ticket correlation against the simulator's truth: precision and recall, formula 2.2 and 3.0.

Run from the repository root:
    .venv/bin/python -m tests.benchmarks.correlation_precision [--endpoints 600 --days 5]

Simulates a scenario (default: the packaged default week, a GPO incident at Rotterdam
and a VPN outage at Utrecht followed by a wave of VPN tickets), replays it through the
in-process pipeline once per formula, and compares each ticket's final explanation
with what caused it. The simulator files a ticket in the category of the hurt that
caused it (``collectors/simulator/fleet.py``: a slow logon files ``logon``, a VPN drop
``vpn``, ...) and the background tickets of ``NO_SIGNAL_CATEGORIES`` (password reset,
access, hardware, how-to) have no telemetry cause; ticket-wave tickets are named
``SIM-<wave>-...``. So the truth of a ticket is the touch point of its category.

* precision: explained tickets whose explanation is their true touch point, over
  explained tickets;
* recall: tickets with a telemetry cause explained by it, over those tickets.

Reads the simulator and the engine; writes a table to stdout.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from xlapulse.collectors.contract.events import EventBase, TicketEvent
from xlapulse.collectors.simulator.fleet import Fleet
from xlapulse.collectors.simulator.profiles import NO_SIGNAL_CATEGORIES
from xlapulse.collectors.simulator.scenario import default_scenario_path, load_scenario
from xlapulse.streams.inprocess import InProcessPipeline
from xlapulse.streams.scoring.formula_versions import FORMULA_2_2, FORMULA_3_0, Formula
from xlapulse.streams.scoring.observations import Observation, TicketObservation

#: The simulator's hurt categories and the touch point whose samples the hurt made.
TRUE_TOUCH_POINT = {
    "boot": "boot",
    "logon": "logon",
    "vpn": "vpn",
    "application": "app",
    "call_quality": "call",
    "printing": "print",
    **dict.fromkeys(NO_SIGNAL_CATEGORIES),
}


@dataclass
class Tally:
    """Counts of one group of tickets (all, background or incident)."""

    tickets: int = 0
    with_cause: int = 0
    explained: int = 0
    explained_right: int = 0

    def add(self, truth: str | None, explained_by: str | None) -> None:
        self.tickets += 1
        self.with_cause += truth is not None
        self.explained += explained_by is not None
        self.explained_right += explained_by is not None and explained_by == truth

    @property
    def precision(self) -> float | None:
        return self.explained_right / self.explained if self.explained else None

    @property
    def recall(self) -> float | None:
        return self.explained_right / self.with_cause if self.with_cause else None


@dataclass
class Evaluation:
    formula: str
    groups: dict[str, Tally] = field(default_factory=dict)
    #: (category, explained by) -> tickets explained wrongly so
    wrong: Counter[tuple[str, str]] = field(default_factory=Counter)


def simulated(endpoints: int, days: int, first_day: date, seed: int) -> list[EventBase]:
    fleet = Fleet(endpoints, seed=seed, scenario=load_scenario(default_scenario_path()))
    return list(fleet.events(first_day, days))


def evaluate(events: list[EventBase], formula: Formula) -> Evaluation:
    """Replay ``events`` under ``formula``; tally every created ticket's final explanation."""
    explained: dict[tuple[str, str], str | None] = {}

    def note(observation: Observation) -> None:
        if isinstance(observation, TicketObservation) and observation.stage in (
            "opened",
            "explained",
        ):
            explained[observation.user_id, observation.ticket_id] = observation.explained_by

    pipeline = InProcessPipeline(formula=formula, on_observation=note)
    categories: dict[tuple[str, str], str] = {}
    for event in events:
        if isinstance(event, TicketEvent) and event.action == "created":
            categories[event.user_id, event.ticket_id] = event.category
        pipeline.feed_event(event)
    evaluation = Evaluation(formula.version)
    for key, category in categories.items():
        group = "background" if _background(key[1]) else "incident"
        truth, explained_by = TRUE_TOUCH_POINT[category], explained.get(key)
        for name in ("all", group):
            evaluation.groups.setdefault(name, Tally()).add(truth, explained_by)
        if explained_by is not None and explained_by != truth:
            evaluation.wrong[category, explained_by] += 1
    return evaluation


def _background(ticket_id: str) -> bool:
    """Hurt and no-signal tickets are ``SIM-<yyyymmdd>-...``; wave tickets ``SIM-<wave>-...``."""
    return ticket_id.split("-")[1].isdigit()


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:6.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=600)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--first-day", type=date.fromisoformat, default=date(2026, 11, 23))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    events = simulated(args.endpoints, args.days, args.first_day, args.seed)
    print(
        f"{len(events)} events, {args.endpoints} endpoints x {args.days} days from "
        f"{args.first_day}, seed {args.seed}, scenario default"
    )
    print(
        f"{'formula':<8} {'tickets':<11} {'n':>5} {'with cause':>10} {'explained':>9} "
        f"{'right':>6} {'precision':>9} {'recall':>7}"
    )
    evaluations = [evaluate(events, formula) for formula in (FORMULA_2_2, FORMULA_3_0)]
    for evaluation in evaluations:
        for name in ("background", "incident", "all"):
            tally = evaluation.groups.get(name, Tally())
            print(
                f"{evaluation.formula:<8} {name:<11} {tally.tickets:>5} {tally.with_cause:>10} "
                f"{tally.explained:>9} {tally.explained_right:>6} "
                f"{_ratio(tally.precision):>9} {_ratio(tally.recall):>7}"
            )
    for evaluation in evaluations:
        wrong = ", ".join(
            f"{category} by {point}: {count}"
            for (category, point), count in sorted(evaluation.wrong.items())
        )
        print(f"wrong explanations, formula {evaluation.formula}: {wrong or 'none'}")


if __name__ == "__main__":
    main()
