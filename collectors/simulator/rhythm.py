"""The day-and-week rhythm of an office fleet in Europe/Amsterdam time.

Pure functions over a seeded ``random.Random``; reads and writes nothing.
Work happens on weekdays; logons pile up around 9:00 local (the storm); activity
dips over lunch; after the workday and at weekends very little happens.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")

# Relative activity by local hour of the day (1.0 = a busy office hour).
HOURLY_ACTIVITY = (
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.4,  # 00-07
    0.8, 1.0, 1.0, 1.0, 0.35, 0.8, 1.0, 1.0,  # 08-15 (12:00 lunch dip)
    0.9, 0.7, 0.4, 0.3, 0.2, 0.1, 0.05, 0.0,  # 16-23
)  # fmt: skip
WEEKEND_WORKER_SHARE = 0.03  # people who log on at all on a Saturday or Sunday


class LocalDay:
    """One local calendar day; converts minutes after local midnight to UTC datetimes.

    The UTC offset of local noon is used for the whole day, which is exact for
    every working hour even on the two daylight-saving switch days (at 2:00/3:00).
    """

    def __init__(self, day: date) -> None:
        self.date = day
        noon = datetime.combine(day, time(12), LOCAL_TZ)
        offset = noon.utcoffset() or timedelta(0)
        self.midnight_utc = datetime.combine(day, time(0), UTC) - offset
        self.end_utc = self.midnight_utc + timedelta(days=1)
        self.is_workday = day.weekday() < 5

    def at(self, minute_of_day: float) -> datetime:
        """UTC datetime of a local minute of this day (may run past midnight)."""
        return self.midnight_utc + timedelta(minutes=minute_of_day)

    def minute_of(self, when: datetime) -> float:
        """Local minute of this day of a UTC datetime."""
        return (when - self.midnight_utc).total_seconds() / 60.0


def local_day_of(moment: datetime | date) -> date:
    """The Europe/Amsterdam calendar day of a moment (a plain date is taken as is)."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(LOCAL_TZ).date()
    return moment


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, normal approximation above 30)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def activity_minutes(
    rng: random.Random, count: int, start_min: float, end_min: float
) -> list[float]:
    """About ``count`` local minutes in [start, end), thinned by the hourly rhythm, sorted."""
    if end_min <= start_min:
        return []
    span = end_min - start_min
    minutes = []
    for _ in range(count):
        minute = start_min + rng.random() * span
        if rng.random() < HOURLY_ACTIVITY[int(minute // 60) % 24]:
            minutes.append(minute)
    minutes.sort()
    return minutes
