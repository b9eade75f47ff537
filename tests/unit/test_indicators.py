"""Published formulas: Apdex bands and score, time lost over threshold."""

from __future__ import annotations

import pytest

from xlapulse.streams.scoring.indicators import Band, apdex, classify_duration, time_lost_ms


def test_apdex_worked_example() -> None:
    # apdex.org: 100 samples, 60 satisfied, 30 tolerating, 10 frustrated -> 0.75.
    assert apdex(60, 30, 100) == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("duration_ms", "band"),
    [
        (0, Band.GOOD),
        (30_000, Band.GOOD),
        (30_001, Band.TOLERATING),
        (120_000, Band.TOLERATING),
        (120_001, Band.FRUSTRATING),
    ],
)
def test_apdex_bands_at_t_and_4t(duration_ms: int, band: Band) -> None:
    assert classify_duration(duration_ms, target_ms=30_000) is band


def test_time_lost_counts_only_over_threshold() -> None:
    # Nexthink: time lost = sum(duration - threshold) over events worse than it.
    durations = [20_000, 45_000, 90_000]
    assert sum(time_lost_ms(d, 30_000) for d in durations) == 15_000 + 60_000


@pytest.mark.parametrize(
    ("args", "message"), [((1, 1, 0), "at least one"), ((5, 6, 10), "inconsistent")]
)
def test_apdex_rejects_impossible_counts(args, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        apdex(*args)


def test_classify_rejects_a_non_positive_target() -> None:
    with pytest.raises(ValueError, match="positive"):
        classify_duration(1000, 0)
