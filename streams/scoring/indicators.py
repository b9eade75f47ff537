"""Touch-point indicators: the published Apdex bands and time lost over threshold.

Apdex (apdex.org): a sample is *satisfied* at or under the target T,
*tolerating* above T up to 4T, *frustrated* above 4T or when it failed.
Apdex = (satisfied + tolerating / 2) / total.
"""

from __future__ import annotations

from enum import StrEnum

APDEX_TOLERATING_FACTOR = 4


class Band(StrEnum):
    """How one experience sample felt."""

    GOOD = "good"
    TOLERATING = "tolerating"
    FRUSTRATING = "frustrating"


def classify_duration(duration_ms: int, target_ms: int) -> Band:
    """Apdex band of a duration against target T (good <= T < tolerating <= 4T < frustrating)."""
    if target_ms <= 0:
        raise ValueError(f"Apdex target must be positive, got {target_ms} ms")
    if duration_ms <= target_ms:
        return Band.GOOD
    if duration_ms <= APDEX_TOLERATING_FACTOR * target_ms:
        return Band.TOLERATING
    return Band.FRUSTRATING


def time_lost_ms(duration_ms: int, threshold_ms: int) -> int:
    """Time lost over the threshold (Nexthink): ``max(0, duration - threshold)``."""
    return max(0, duration_ms - threshold_ms)


def apdex(satisfied: int, tolerating: int, total: int) -> float:
    """Apdex score in 0..1; ``total`` includes frustrated and failed samples."""
    if total <= 0:
        raise ValueError("Apdex needs at least one sample")
    if satisfied < 0 or tolerating < 0 or satisfied + tolerating > total:
        raise ValueError(f"inconsistent Apdex counts: {satisfied=} {tolerating=} {total=}")
    return (satisfied + tolerating / 2) / total
