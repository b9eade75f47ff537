"""How fast the fleet simulator generates events (target: well above 50k events/s).

Run: .venv/bin/python tests/benchmarks/simulator_throughput.py [--endpoints 1000 --days 7]

Generates the default scenario's week for the fleet three times and reports the
median rate of (a) generation alone and (b) generation plus encoding each event
to its contract JSON (what ``xlapulse simulate --output`` writes), and the peak
resident memory of the process. Pure Python, one core.

Rates are given per wall-clock second and per CPU second of this process: on a
shared machine other processes take the core away, and the CPU-second rate is
what one uncontended core does. The load average printed says how busy it was.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from collections.abc import Callable
from datetime import date

from xlapulse.collectors.contract.codec import encode_event
from xlapulse.collectors.simulator.fleet import Fleet
from xlapulse.collectors.simulator.scenario import default_scenario_path, load_scenario

FIRST_DAY = date(2026, 11, 23)  # a Monday


def _rates(run: Callable[[], int], repeats: int) -> tuple[float, float, int]:
    """Median (events per wall second, events per CPU second) over ``repeats`` runs."""
    wall_rates, cpu_rates, count = [], [], 0
    for _ in range(repeats):
        wall_started, cpu_started = time.perf_counter(), time.process_time()
        count = run()
        wall_rates.append(count / (time.perf_counter() - wall_started))
        cpu_rates.append(count / (time.process_time() - cpu_started))
    return statistics.median(wall_rates), statistics.median(cpu_rates), count


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

    load_before = os.getloadavg()[0]
    generated_wall, generated_cpu, count = _rates(generate, args.repeats)
    encoded_wall, encoded_cpu, _ = _rates(generate_and_encode, args.repeats)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.endpoints} endpoints x {args.days} days: {count:,} events")
    print(f"median of {args.repeats} runs      per wall second   per CPU second")
    print(f"generate:             {generated_wall:12,.0f} {generated_cpu:16,.0f}")
    print(f"generate + encode:    {encoded_wall:12,.0f} {encoded_cpu:16,.0f}")
    print(
        f"peak RSS: {peak_mib:,.0f} MiB; 1-min load average before/after: "
        f"{load_before:.1f}/{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
