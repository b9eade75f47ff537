"""A user's journey of the day, scored one moment at a time.

Every scored telemetry sample of a user is a moment of that user's journey of the
(UTC) day: it lasts until the user's next sample (at least ``MIN_MOMENT_MS``, at
most ``MAX_MOMENT_MS``; samples of one call get a second each), and the day's last
moment lasts ``LAST_MOMENT_MS``. :class:`DayJourney` keeps the day's moments and the
totals of all but the last one (``journey.JourneyTotals``), so a sample in time order
costs the same however long the day already is: the journey of 24,000 samples no
longer rebuilds each user's day on every sample. A sample out of time order, a day
beyond ``MAX_JOURNEY_MOMENTS`` (the oldest moments go) and a state stored before the
totals were kept recompute the totals from the moments. Either way the score has the
same bits as ``journey_score`` of the whole day (``tests/unit/test_day_journey.py``).

A moment carries a 32-bit tag of its sample's event id (:func:`moment_tag`): a sample
the user's state no longer remembers (replayed more than ``DEDUP_WINDOW_MS`` later)
finds its moment by time and tag and changes nothing, as a duplicate within the window
does.

Past days are kept compacted (:meth:`DayJourney.compacted`: totals and last moment, a
constant size) for ``PAST_DAYS_KEPT_MS``: a sample of a past day that comes later than
its last moment (yesterday's straggler after midnight, or a day replayed after a newer
one, in time order) goes on with its journey; one before its last moment changes nothing.

Reads and writes nothing; the per-user state (``user_model.UserState``) holds one.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right, insort_right
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from xlapulse.streams.scoring.journey import JourneyScore, JourneyTotals, Moment

MINUTE_MS = 60_000
DAY_MS = 24 * 60 * MINUTE_MS
MAX_JOURNEY_MOMENTS = 500
MIN_MOMENT_MS = 1000
MAX_MOMENT_MS = 30 * MINUTE_MS
LAST_MOMENT_MS = MINUTE_MS
#: Past days' journeys are kept this long before the latest day (the engine's default
#: late-event horizon: an older sample is dead-lettered anyway).
PAST_DAYS_KEPT_MS = 7 * DAY_MS


@dataclass
class DayJourney:
    """The moments of the user's latest day with a sample, and their running totals."""

    day_start_ms: int | None = None
    #: The day's moments in time order: [time_ms, score, tag] (the latest
    #: ``MAX_JOURNEY_MOMENTS``; a state stored before tags were kept has [time_ms, score]).
    moments: list[list[float]] = field(default_factory=list)
    #: Totals of every moment but the last (whose duration the next sample decides);
    #: None: not known (moments reordered or dropped, or a state stored before they
    #: were kept), recomputed from ``moments`` when next needed.
    settled: JourneyTotals | None = None

    def add(self, when_ms: int, score: float, tag: int) -> bool:
        """Add a sample of ``score`` at ``when_ms`` (``tag``: :func:`moment_tag` of its
        event id): a later day starts a new journey. False (nothing changes) for an
        earlier day, whose journey is over, and for a moment the day already holds."""
        day_ms = when_ms - when_ms % DAY_MS
        if self.day_start_ms is None or day_ms > self.day_start_ms:
            self.day_start_ms, self.moments, self.settled = day_ms, [], JourneyTotals()
        if day_ms != self.day_start_ms:
            return False
        moments = self.moments
        if moments and when_ms <= moments[-1][0] and self._holds(when_ms, tag):
            return False
        if moments and when_ms < moments[-1][0]:
            # after the samples of the same time, as a stable sort by time puts it
            insort_right(moments, [when_ms, score, tag], key=_time_ms)
            self.settled = None
        else:
            if moments and self.settled is not None:
                self.settled = self.settled.plus(_moment(moments[-1], when_ms))
            moments.append([when_ms, score, tag])
        if len(moments) > MAX_JOURNEY_MOMENTS:
            del moments[:-MAX_JOURNEY_MOMENTS]
            self.settled = None
        return True

    def _holds(self, when_ms: int, tag: int) -> bool:
        """Whether the day has the moment of ``tag`` at ``when_ms`` already (a sample
        later than the last moment never has: the common case skips this search)."""
        at = float(when_ms)
        moments = self.moments
        same_time = moments[
            bisect_left(moments, at, key=_time_ms) : bisect_right(moments, at, key=_time_ms)
        ]
        return any(moment[2:] == [tag] for moment in same_time)

    def score(self) -> JourneyScore:
        """The peak-end score of the day so far (at least one moment added)."""
        if self.settled is None:
            self.settled = settled_totals(self.moments)
        return self.settled.ending_with(Moment(LAST_MOMENT_MS / 1000, self.moments[-1][1]))

    @property
    def last_ms(self) -> int:
        """The time of the day's latest moment."""
        return int(self.moments[-1][0])

    def compacted(self) -> DayJourney:
        """The day with only its totals and last moment: what a later sample of a past
        day needs (:meth:`extend`), at a constant size."""
        if self.settled is None:
            self.settled = settled_totals(self.moments)
        return DayJourney(self.day_start_ms, [self.moments[-1]], self.settled)

    def extend(self, when_ms: int, score: float, tag: int) -> bool:
        """Add a sample to a :meth:`compacted` day; False (nothing changes) for one
        before its last moment, which would need the moments it no longer keeps, and
        for the last moment itself."""
        last = self.moments[-1]
        if when_ms < last[0] or (when_ms == last[0] and last[2:] == [tag]):
            return False
        totals = self.settled if self.settled is not None else JourneyTotals()
        self.settled = totals.plus(_moment(last, when_ms))
        self.moments = [[when_ms, score, tag]]
        return True

    def settled_dict(self) -> dict[str, Any] | None:
        """``settled`` in the JSON-friendly form :func:`totals_from_dict` reads."""
        return None if self.settled is None else vars(self.settled)


def totals_from_dict(data: dict[str, Any] | None) -> JourneyTotals | None:
    return None if data is None else JourneyTotals(**data)


def settled_totals(moments: list[list[float]]) -> JourneyTotals:
    """The totals of every moment but the last, from the whole list."""
    totals = JourneyTotals()
    for moment, next_moment in pairwise(moments):
        totals = totals.plus(_moment(moment, next_moment[0]))
    return totals


def _moment(moment: list[float], next_ms: float) -> Moment:
    """A stored moment, lasting until ``next_ms``."""
    at_ms, score = moment[0], moment[1]
    return Moment(min(max(next_ms - at_ms, MIN_MOMENT_MS), MAX_MOMENT_MS) / 1000, score)


def _time_ms(moment: list[float]) -> float:
    return moment[0]


def past_day(day_start_ms: int, when_ms: int, score: float, tag: int) -> DayJourney:
    """A compacted journey of a past day this user had no journey of, from its first
    sample here."""
    return DayJourney(day_start_ms, [[when_ms, score, tag]], JourneyTotals())


def moment_tag(event_id: str) -> int:
    """A 32-bit hash of a sample's event id: tells apart the moments of one user at one
    millisecond (a day holds at most ``MAX_JOURNEY_MOMENTS``)."""
    return int.from_bytes(hashlib.blake2b(event_id.encode(), digest_size=4).digest())
