"""How fast the fleet simulator generates events (target: well above 50k events/s).

Run: .venv/bin/python tests/benchmarks/simulator_throughput.py [--endpoints 1000 --days 7]

Generates the default scenario's week for the fleet three times and reports the
median rate of (a) generation alone and (b) generation plus encoding each event
to its contract JSON (what ``xlapulse simulate --output`` writes), and the peak
resident memory of the process. Pure Python, one core.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections.abc import Callable
from datetime import date

from xlapulse.collectors.contract.codec import encode_event
from xlapulse.collectors.simulator.fleet import Fleet
from xlapulse.collectors.simulator.scenario import default_scenario_path, load_scenario

FIRST_DAY = date(2026, 11, 23)  # a Monday


def _rate(run: Callable[[], int], repeats: int) -> tuple[float, int]:
    rates, count = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        count = run()
        rates.append(count / (time.perf_counter() - started))
    return statistics.median(rates), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    fleet = Fleet(args.endpoints, seed=7, scenario=load_scenario(default_scenario_path()))

    def generate() -> int:
        return sum(1 for _ in fleet.events(FIRST_DAY, args.days))

    def generate_and_encode() -> int:
        return sum(1 for event in fleet.events(FIRST_DAY, args.days) if encode_event(event))

    generated, count = _rate(generate, args.repeats)
    encoded, _ = _rate(generate_and_encode, args.repeats)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.endpoints} endpoints x {args.days} days: {count} events")
    print(f"generate:          {generated:10,.0f} events/s (median of {args.repeats})")
    print(f"generate + encode: {encoded:10,.0f} events/s (median of {args.repeats})")
    print(f"peak RSS:          {peak_mib:10,.0f} MiB")


if __name__ == "__main__":
    main()
