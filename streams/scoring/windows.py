"""Tumbling-window aggregates of observations, and the 0-100 score they yield.

Score formula ``FORMULA_VERSION`` (stored with every point):

    score = 100 * Apdex = 100 * (good + tolerating / 2) / samples

per touch point, persona and site, in tumbling windows aligned to the epoch.
An aggregate is idempotent: an event id is counted once, so a replayed event
(at-least-once delivery) leaves it unchanged. A score is only published for
at least ``MIN_USERS_PER_AGGREGATE`` distinct users (k-anonymity).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from xlapulse.streams.scoring.formulas import apdex
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.observations import Observation

FORMULA_VERSION = "1.0"
MIN_USERS_PER_AGGREGATE = 5
WINDOW_SIZES_S = (300, 3600)


def window_start_ms(event_time_ms: int, window_s: int) -> int:
    """Start of the tumbling window of ``window_s`` seconds that contains the time."""
    size_ms = window_s * 1000
    return event_time_ms - event_time_ms % size_ms


def window_label(window_s: int) -> str:
    """Human label for a window size, used as an InfluxDB tag: 300 -> '5m', 3600 -> '1h'."""
    if window_s % 3600 == 0:
        return f"{window_s // 3600}h"
    if window_s % 60 == 0:
        return f"{window_s // 60}m"
    return f"{window_s}s"


@dataclass(frozen=True)
class WindowAggregate:
    """Counts for one (touch point, persona, site, window) cell."""

    touch_point: str
    persona: str
    site: str
    window_s: int
    window_start_ms: int
    good: int = 0
    tolerating: int = 0
    frustrating: int = 0
    time_lost_ms: int = 0
    user_ids: frozenset[str] = field(default_factory=frozenset)
    event_ids: frozenset[str] = field(default_factory=frozenset)

    @property
    def samples(self) -> int:
        return self.good + self.tolerating + self.frustrating

    def key(self) -> str:
        return aggregate_key(
            self.touch_point, self.persona, self.site, self.window_s, self.window_start_ms
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form for a Faust table."""
        return {
            "touch_point": self.touch_point,
            "persona": self.persona,
            "site": self.site,
            "window_s": self.window_s,
            "window_start_ms": self.window_start_ms,
            "good": self.good,
            "tolerating": self.tolerating,
            "frustrating": self.frustrating,
            "time_lost_ms": self.time_lost_ms,
            "user_ids": sorted(self.user_ids),
            "event_ids": sorted(self.event_ids),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WindowAggregate:
        return cls(
            **{
                **data,
                "user_ids": frozenset(data["user_ids"]),
                "event_ids": frozenset(data["event_ids"]),
            }
        )


def aggregate_key(
    touch_point: str, persona: str, site: str, window_s: int, window_start: int
) -> str:
    """Table key of an aggregate cell."""
    return f"{touch_point}|{persona}|{site}|{window_s}|{window_start}"


def empty_aggregate(observation: Observation, window_s: int) -> WindowAggregate:
    """The empty cell an observation falls into for one window size."""
    return WindowAggregate(
        touch_point=observation.touch_point,
        persona=observation.persona,
        site=observation.site,
        window_s=window_s,
        window_start_ms=window_start_ms(observation.event_time_ms, window_s),
    )


def add_observation(aggregate: WindowAggregate, observation: Observation) -> WindowAggregate:
    """The aggregate with the observation counted; unchanged if its event id was counted."""
    if observation.event_id in aggregate.event_ids:
        return aggregate
    band_counts = {
        Band.GOOD: {"good": aggregate.good + 1},
        Band.TOLERATING: {"tolerating": aggregate.tolerating + 1},
        Band.FRUSTRATING: {"frustrating": aggregate.frustrating + 1},
    }[observation.band]
    return replace(
        aggregate,
        **band_counts,
        time_lost_ms=aggregate.time_lost_ms + observation.time_lost_ms,
        user_ids=aggregate.user_ids | {observation.user_id},
        event_ids=aggregate.event_ids | {observation.event_id},
    )


@dataclass(frozen=True)
class ScorePoint:
    """A publishable score for one aggregate cell (no user ids inside)."""

    touch_point: str
    persona: str
    site: str
    window: str
    window_start_ms: int
    score: float
    apdex: float
    good: int
    tolerating: int
    frustrating: int
    samples: int
    users: int
    time_lost_ms: int
    formula_version: str = FORMULA_VERSION


def score_point(
    aggregate: WindowAggregate, min_users: int = MIN_USERS_PER_AGGREGATE
) -> ScorePoint | None:
    """The score of an aggregate, or ``None`` while fewer than ``min_users`` people are in it."""
    if len(aggregate.user_ids) < min_users or aggregate.samples == 0:
        return None
    apdex_value = apdex(aggregate.good, aggregate.tolerating, aggregate.samples)
    return ScorePoint(
        touch_point=aggregate.touch_point,
        persona=aggregate.persona,
        site=aggregate.site,
        window=window_label(aggregate.window_s),
        window_start_ms=aggregate.window_start_ms,
        score=round(100 * apdex_value, 3),
        apdex=round(apdex_value, 5),
        good=aggregate.good,
        tolerating=aggregate.tolerating,
        frustrating=aggregate.frustrating,
        samples=aggregate.samples,
        users=len(aggregate.user_ids),
        time_lost_ms=aggregate.time_lost_ms,
    )
