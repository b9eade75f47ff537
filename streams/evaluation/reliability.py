"""Reliability on simulated days: failures per exposed hour, calm against an incident.

Reads: a calm run and an incident run of the fleet simulator (``--endpoints``, ``--seed``,
``--first-day``, ``--days``), scored in-process (the worker's code). Writes: a table to
stdout, per touch point (app, vpn) and persona: the calm and the incident run's
``failures_per_hour`` over hourly and daily cells (lowest, median, highest), and, per XLA
objective of the ``failures_per_hour_at_most`` kind, the windows judged and missed in
each run. Rerun it when the exposure rules, the simulator or the default XLA file change:

    .venv/bin/python -m xlapulse.streams.evaluation.reliability \\
        --scenario app-release-hang --days 1          # the incident against a calm day
    .venv/bin/python -m xlapulse.streams.evaluation.reliability --days 7   # a calm week
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from datetime import date
from statistics import median

from xlapulse.collectors.simulator.fleet import Fleet
from xlapulse.collectors.simulator.scenario import Scenario
from xlapulse.streams.evaluation.harness import find_scenario
from xlapulse.streams.inprocess import InProcessPipeline
from xlapulse.streams.scoring.exposure import FAILURE_EXPOSURE
from xlapulse.streams.scoring.published import RELIABILITY, XLA_COMPLIANCE
from xlapulse.streams.scoring.xla import default_xla_config


def scored(scenario: Scenario, endpoints: int, seed: int, first_day: date, days: int):
    pipeline = InProcessPipeline()
    for event in Fleet(endpoints, seed=seed, scenario=scenario).events(first_day, days):
        pipeline.feed_event(event)
    return pipeline


def rates(pipeline: InProcessPipeline) -> dict[tuple[str, str, str], list[float]]:
    """(touch point, persona, window) -> failures per hour of every published cell."""
    found: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for touch_point in FAILURE_EXPOSURE:
        for record in pipeline.latest(RELIABILITY, touch_point=touch_point):
            if record.tags["window"] in ("1h", "1d"):
                key = (touch_point, record.tags["persona"], record.tags["window"])
                found[key].append(float(record.fields["failures_per_hour"]))
    return found


def verdicts(pipeline: InProcessPipeline) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(objective, persona, window) -> (windows judged, missed) of the rate objectives."""
    found: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for record in pipeline.latest(XLA_COMPLIANCE, kind="failures_per_hour_at_most"):
        tally = found[(record.tags["objective"], record.tags["persona"], record.tags["window"])]
        tally[0] += 1
        tally[1] += 1 - int(record.fields["met"])
    return {key: (judged, missed) for key, (judged, missed) in found.items()}


def _spread(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{min(values):.3f} / {median(values):.3f} / {max(values):.3f} ({len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=None, help="incident scenario (name or file)")
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--first-day", type=date.fromisoformat, default=date(2026, 11, 24))
    parser.add_argument("--days", type=int, default=1)
    args = parser.parse_args()
    runs = {"calm": Scenario.empty()}
    if args.scenario:
        runs[args.scenario] = find_scenario(args.scenario)
    results = {
        name: scored(scenario, args.endpoints, args.seed, args.first_day, args.days)
        for name, scenario in runs.items()
    }
    config = default_xla_config()
    print(f"# failures per exposed hour, lowest / median / highest (cells); XLA {config.version}")
    print(f"| touch point | persona | window | {' | '.join(results)} |")
    print(f"| --- | --- | --- | {' | '.join('---' for _ in results)} |")
    per_run = {name: rates(pipeline) for name, pipeline in results.items()}
    for key in sorted({key for found in per_run.values() for key in found}):
        cells = " | ".join(_spread(found.get(key, [])) for found in per_run.values())
        print(f"| {' | '.join(key)} | {cells} |")
    print()
    print(f"| objective | persona | window | {' | '.join(f'{n} judged/missed' for n in results)} |")
    print(f"| --- | --- | --- | {' | '.join('---' for _ in results)} |")
    judged = {name: verdicts(pipeline) for name, pipeline in results.items()}
    for key in sorted({key for found in judged.values() for key in found}):
        cells = " | ".join("{} / {}".format(*found.get(key, (0, 0))) for found in judged.values())
        print(f"| {' | '.join(key)} | {cells} |")


if __name__ == "__main__":
    main()
