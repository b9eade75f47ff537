"""Apdex bands of one sample: good up to T, tolerating up to 4T, frustrating above."""

from __future__ import annotations

import pytest

from xlapulse.streams.scoring.indicators import Band, classify_duration


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


def test_classify_rejects_a_non_positive_target() -> None:
    with pytest.raises(ValueError, match="positive"):
        classify_duration(1000, 0)
