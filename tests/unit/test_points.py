"""InfluxDB points: tags carry no identities, timestamps make writes idempotent."""

from __future__ import annotations

from influxdb_client import WritePrecision

from xlapulse.streams.scoring.windows import ScorePoint
from xlapulse.streams.sink.points import SCORE_FIELD_KEYS, SCORE_TAG_KEYS, score_to_point

POINT = ScorePoint(
    touch_point="logon",
    persona="developer",
    site="utrecht",
    window="1h",
    window_start_ms=1_795_334_400_000,
    score=62.5,
    apdex=0.625,
    good=3,
    tolerating=4,
    frustrating=1,
    samples=8,
    users=6,
    time_lost_ms=123_000,
)


def test_line_protocol_has_tags_fields_and_window_timestamp() -> None:
    line = score_to_point(POINT).to_line_protocol(precision=WritePrecision.MS)
    assert line == (
        "experience_score,formula_version=1.0,persona=developer,site=utrecht,"
        "touch_point=logon,window=1h apdex=0.625,frustrating=1i,good=3i,samples=8i,"
        "score=62.5,time_lost_ms=123000i,tolerating=4i,users=6i 1795334400000"
    )


def test_the_same_cell_gives_the_same_point() -> None:
    assert score_to_point(POINT).to_line_protocol() == score_to_point(POINT).to_line_protocol()


def test_no_identity_or_overlap_in_the_schema() -> None:
    assert not set(SCORE_TAG_KEYS) & set(SCORE_FIELD_KEYS)
    assert not {"user_id", "device_id"} & (set(SCORE_TAG_KEYS) | set(SCORE_FIELD_KEYS))
