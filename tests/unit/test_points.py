"""Records become InfluxDB points with declared tags only, and keep integer fields integer."""

from __future__ import annotations

import pytest

from xlapulse.streams.scoring.published import Record
from xlapulse.streams.sink.points import PointSchemaError, record_to_point

TAGS = {"persona": "developer", "site": "utrecht", "window": "1h", "formula_version": "2.0"}


def test_record_becomes_line_protocol_with_typed_fields() -> None:
    record = Record(
        "experience_score",
        {**TAGS, "touch_point": "logon"},
        {"score": 87.5, "samples": 8},
        1_795_420_800_000_000_000,
    )
    line = record_to_point(record).to_line_protocol()
    assert line == (
        "experience_score,formula_version=2.0,persona=developer,site=utrecht,touch_point=logon,"
        "window=1h samples=8i,score=87.5 1795420800000000000"
    )


def test_user_ids_are_never_tags() -> None:
    with pytest.raises(PointSchemaError, match="tags"):
        record_to_point(Record("sentiment", {**TAGS, "user_id": "u_1"}, {"happiness": 1.0}, 0))


def test_there_is_no_per_user_measurement() -> None:
    """A per-user point would let anyone rank individuals; the engine publishes none."""
    with pytest.raises(PointSchemaError, match="unknown measurement"):
        record_to_point(Record("user_score", TAGS, {"user_id": "u_1", "score": 1.0}, 0))


def test_unknown_measurement_and_tag_field_overlap_are_refused() -> None:
    with pytest.raises(PointSchemaError, match="unknown measurement"):
        record_to_point(Record("nope", TAGS, {"x": 1}, 0))
    with pytest.raises(PointSchemaError, match="both tag and field"):
        record_to_point(Record("sentiment", TAGS, {"site": "x"}, 0))
