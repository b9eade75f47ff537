"""InfluxDB line-protocol points for published scores (pure, no I/O).

Measurement ``experience_score``:

* tags (low cardinality, never user or device ids): ``touch_point``,
  ``persona``, ``site``, ``window`` (``5m``/``1h``), ``formula_version``;
* fields: ``score`` (0-100) and ``apdex`` (0-1) as floats; ``good``,
  ``tolerating``, ``frustrating``, ``samples``, ``users`` and ``time_lost_ms`` as
  integers, so dashboards can roll cells up with sample weights:
  ``100 * (sum(good) + sum(tolerating) / 2) / sum(samples)``;
* timestamp: the window start, in ms. Tags + timestamp identify the cell, so a
  rewritten cell overwrites its point: replays are idempotent.
"""

from __future__ import annotations

from influxdb_client import Point, WritePrecision

from xlapulse.streams.scoring.windows import ScorePoint

SCORE_MEASUREMENT = "experience_score"
SCORE_TAG_KEYS = ("touch_point", "persona", "site", "window", "formula_version")
INTEGER_FIELD_KEYS = ("good", "tolerating", "frustrating", "samples", "users", "time_lost_ms")
SCORE_FIELD_KEYS = ("score", "apdex", *INTEGER_FIELD_KEYS)

assert not set(SCORE_TAG_KEYS) & set(SCORE_FIELD_KEYS), "a key cannot be both tag and field"


def score_to_point(score: ScorePoint) -> Point:
    """One InfluxDB point for one published score."""
    point = Point(SCORE_MEASUREMENT)
    for tag in SCORE_TAG_KEYS:
        point.tag(tag, getattr(score, tag))
    point.field("score", float(score.score)).field("apdex", float(score.apdex))
    for integer_field in INTEGER_FIELD_KEYS:
        point.field(integer_field, int(getattr(score, integer_field)))
    return point.time(score.window_start_ms, WritePrecision.MS)
