"""Peak-end journey score: how a user's day (or session) will be remembered.

Kahneman et al. (1993, "When more pain is preferred to less: adding a better
end") had people hold a hand in 14 °C water for 60 s, and in another trial for
60 s at 14 °C followed by 30 s at 15 °C. Most chose to repeat the longer
trial: remembered experience follows the worst moment and the end, and
neglects duration. A journey is therefore scored from three parts of its
moments (each moment: a duration and a 0..100 experience score):

* ``mean``: the duration-weighted mean score, so a long good stretch counts
  more than a short one, but adding time never lowers a score by itself;
* ``worst``: the lowest moment score (the peak of pain);
* ``end``: the duration-weighted mean of the last moment (its final episode,
  as the 30 s at 15 °C were in the cold-water trial).

``score = 0.4 * mean + 0.3 * worst + 0.3 * end`` (:data:`JOURNEY_WEIGHTS`).

The formula is versioned (:data:`JOURNEY_FORMULA_VERSION`, stored with every
journey point) and pure, so stored moments can be re-scored to back-test a
new version. :class:`JourneyTotals` scores a growing journey one moment at a time
with the same arithmetic (``day_journey.py``). Reads and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

JOURNEY_FORMULA_VERSION = "1.0"
#: Weights of (mean, worst, end); they sum to 1, so the score stays in 0..100.
#: The mean keeps the largest single weight so a day of many small frustrations
#: still shows, but worst + end (0.6) dominate, as the peak-end rule says.
JOURNEY_WEIGHTS = (0.4, 0.3, 0.3)


@dataclass(frozen=True)
class Moment:
    """One episode of a journey: how long it lasted and how it felt (100 = perfect)."""

    duration_s: float
    score: float

    def __post_init__(self) -> None:
        if not self.duration_s > 0:
            raise ValueError(f"a moment lasts a positive time, got {self.duration_s} s")
        if not 0 <= self.score <= 100:
            raise ValueError(f"a moment score is within 0..100, got {self.score}")


@dataclass(frozen=True)
class JourneyScore:
    """The remembered experience of a journey and the three parts it blends."""

    score: float
    mean: float
    worst: float
    end: float
    moments: int


@dataclass(frozen=True)
class JourneyTotals:
    """What some moments of a journey add up to, in time order.

    Sums are taken left to right with ``+`` (as ``sum()`` does up to Python 3.11; 3.12
    changed its float algorithm), so totals grown one moment at a time (:meth:`plus`)
    have the same bits as totals of the whole list, and a journey scored moment by
    moment equals one scored at once.
    """

    duration_s: float = 0
    #: The sum of score * duration_s.
    weighted_score_s: float = 0
    #: The lowest score (the first one on a tie); None: no moments.
    worst: float | None = None
    moments: int = 0

    def plus(self, moment: Moment) -> JourneyTotals:
        """These totals and one later moment."""
        return JourneyTotals(
            duration_s=self.duration_s + moment.duration_s,
            weighted_score_s=self.weighted_score_s + moment.score * moment.duration_s,
            worst=moment.score if self.worst is None else min(self.worst, moment.score),
            moments=self.moments + 1,
        )

    def ending_with(self, last: Moment) -> JourneyScore:
        """Peak-end score of these moments followed by ``last``, the journey's end."""
        totals = self.plus(last)
        assert totals.worst is not None  # it has a moment: ``last``
        mean = totals.weighted_score_s / totals.duration_s
        end = _duration_weighted_mean((last,))
        mean_weight, worst_weight, end_weight = JOURNEY_WEIGHTS
        return JourneyScore(
            score=mean_weight * mean + worst_weight * totals.worst + end_weight * end,
            mean=mean,
            worst=totals.worst,
            end=end,
            moments=totals.moments,
        )


def _duration_weighted_mean(moments: Sequence[Moment]) -> float:
    total_s = sum(moment.duration_s for moment in moments)
    return sum(moment.score * moment.duration_s for moment in moments) / total_s


def journey_score(moments: Sequence[Moment]) -> JourneyScore:
    """Peak-end score of moments in time order (formula ``JOURNEY_FORMULA_VERSION``)."""
    if not moments:
        raise ValueError("a journey needs at least one moment")
    totals = JourneyTotals()
    for moment in moments[:-1]:
        totals = totals.plus(moment)
    return totals.ending_with(moments[-1])
