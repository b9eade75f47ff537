"""Pre-drawn network figures, so the hottest loops cost one RNG call per event.

Reads and writes nothing. Synthetic probes and good call streams are the bulk
of the simulated events; drawing their four to seven figures anew for every
event would dominate the run time. Instead each fleet draws 4096 samples once
from its seed and every probe or stream picks one with ``getrandbits(12)``: the
distributions are the same, the run stays deterministic, and it is ~2x faster.
"""

from __future__ import annotations

import math
import random

SAMPLE_BITS = 12
SAMPLE_COUNT = 1 << SAMPLE_BITS


class SampleTables:
    """Probe timings and good-stream call figures drawn once from ``seed``."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"{seed}:samples")
        self.probes = tuple(_probe_sample(rng) for _ in range(SAMPLE_COUNT))
        self.good_streams = tuple(_good_stream(rng) for _ in range(SAMPLE_COUNT))


def _probe_sample(rng: random.Random) -> tuple[float, int, int, int, float]:
    """(outcome roll, dns ms, connect ms, tls ms, back-end time factor) of one probe."""
    return (
        rng.random(),
        1 + int(rng.expovariate(0.2)),
        8 + int(rng.expovariate(0.1)),
        15 + int(rng.expovariate(0.07)),
        math.exp(rng.gauss(0, 0.3)),
    )


def _good_stream(rng: random.Random) -> tuple[float, float, float, float, float, float]:
    """(jitter ms, loss ratio, round trip ms, MOS degradation, MOS, concealed ratio)."""
    degradation = min(rng.expovariate(5.0), 0.9)
    return (
        round(2 + rng.expovariate(0.25), 1),
        round(min(0.05, rng.expovariate(500.0)), 4),
        round(25 + rng.expovariate(0.05), 1),
        round(degradation, 2),
        round(4.4 - degradation, 2),
        round(min(0.06, rng.expovariate(150.0)), 4),
    )
