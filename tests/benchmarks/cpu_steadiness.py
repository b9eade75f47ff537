"""How steady this machine's CPU is: the same small unit of work, timed again and again.

Runs a fixed unit of pure-Python arithmetic (about 1.4 ms there) back to back on one core for
``--duration-s`` and prints, as one JSON line: the unit's median, p99 and longest time,
and the *stalls*: runs of units that took over 2.5 times the median, merged when less
than 0.3 s apart, with their start (s), length (ms) and the compute they lost (ms).
Reads and writes nothing else.

On the shared development VM the stalls come every 1.5-1.6 s and lose 30-106 ms each
(three 10 s runs, 2026-12-02; collectors/gateway/README.md quotes the same runs),
on either core, with no other task running and no steal time recorded in /proc/stat:
they widen the gateway's fixed-rate p99 (collectors/gateway/README.md, Benchmark).
Run it before and after a benchmark to know what the machine was doing.

    taskset -c 0 .venv/bin/python tests/benchmarks/cpu_steadiness.py --duration-s 10
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

SLOW_FACTOR = 2.5
MERGE_S = 0.3


def unit() -> int:
    total = 0
    for number in range(20_000):
        total += number * number
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration-s", type=float, default=10.0)
    args = parser.parse_args()
    timed: list[tuple[float, float]] = []  # (start since the beginning, seconds)
    started = time.perf_counter()
    while (now := time.perf_counter()) - started < args.duration_s:
        unit()
        timed.append((now - started, time.perf_counter() - now))
    durations = sorted(seconds for _, seconds in timed)
    median_s = statistics.median(durations)
    stalls: list[dict[str, float]] = []
    for at_s, seconds in timed:
        if seconds <= SLOW_FACTOR * median_s:
            continue
        lost_ms = (seconds - median_s) * 1000
        if stalls and at_s - stalls[-1]["end_s"] < MERGE_S:
            stalls[-1]["end_s"] = at_s + seconds
            stalls[-1]["lost_ms"] += lost_ms
        else:
            stalls.append({"start_s": at_s, "end_s": at_s + seconds, "lost_ms": lost_ms})
    print(
        json.dumps(
            {
                "units": len(durations),
                "unit_median_ms": round(median_s * 1000, 3),
                "unit_p99_ms": round(durations[int(0.99 * (len(durations) - 1))] * 1000, 3),
                "unit_max_ms": round(durations[-1] * 1000, 3),
                "lost_in_stalls_percent": round(
                    sum(stall["lost_ms"] for stall in stalls) / (10 * args.duration_s), 2
                ),
                "stalls": [
                    {
                        "start_s": round(stall["start_s"], 2),
                        "length_ms": round((stall["end_s"] - stall["start_s"]) * 1000),
                        "lost_ms": round(stall["lost_ms"]),
                    }
                    for stall in stalls
                ],
            }
        )
    )


if __name__ == "__main__":
    main()
