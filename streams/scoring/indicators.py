"""Touch-point indicators: the Apdex band of one experience sample.

Apdex (apdex.org): a sample is *satisfied* at or under the target T,
*tolerating* above T up to 4T, *frustrated* above 4T or when it failed. The
Apdex score itself and time lost over a threshold are in ``formulas.py``.
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
