"""The seasonal detector's memory: each scope's past hours, by hour of the week and, on
working days, by hour of the day.

Reads the minute buckets of an hour that just ended (through their window totals);
keeps per scope and hour the hour's badness and time lost (when it had ``min_samples``)
and its failures per exposed hour (when it had ``min_rate_exposed_hours``: a calm app
hour has exposure but few samples). Answers what the seasonal detectors compare a window
with (:meth:`SeasonalHistory.at`). Kept per scope in the worker's ``dip-state`` table
(``state.py``), so a restart does not forget it. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xlapulse.streams.dips.detectors import METRICS, WindowTotals
from xlapulse.streams.dips.failure_rate import METRIC as RATE_METRIC
from xlapulse.streams.dips.settings import DipSettings

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
WEEK_MS = 7 * DAY_MS

#: hour -> metric -> past values (oldest first)
PastHours = dict[int, dict[str, list[float]]]


@dataclass
class SeasonalHistory:
    """Past hours of every scope of one persona."""

    #: scope key -> hour of week -> metric -> past weeks' values
    weekly: dict[str, PastHours] = field(default_factory=dict)
    #: scope key -> hour of the day -> metric -> past working days' values
    daily: dict[str, PastHours] = field(default_factory=dict)
    #: scope key -> the start of the latest hour remembered: an hour is remembered once,
    #: also when a restarted worker sees its end again (``state.py``)
    last_hour_ms: dict[str, int] = field(default_factory=dict)

    def remember(
        self, key: str, hour_start_ms: int, totals: WindowTotals, settings: DipSettings
    ) -> bool:
        """The scope's totals of the hour that starts at ``hour_start_ms`` join its past;
        False when it had too little to say, or that hour (or a later one) is in already."""
        values = hour_values(totals, settings)
        if not values or hour_start_ms <= self.last_hour_ms.get(key, -1):
            return False
        self.last_hour_ms[key] = hour_start_ms
        hour_of_week = (hour_start_ms % WEEK_MS) // HOUR_MS
        _append(self.weekly.setdefault(key, {}).setdefault(hour_of_week, {}), values,
                settings.seasonal_weeks)  # fmt: skip
        if working_day(hour_start_ms):
            hour_of_day = (hour_start_ms % DAY_MS) // HOUR_MS
            _append(self.daily.setdefault(key, {}).setdefault(hour_of_day, {}), values,
                    settings.seasonal_days)  # fmt: skip
        return True

    def at(
        self, key: str, clock_ms: int, settings: DipSettings
    ) -> tuple[dict[str, list[float]], int, float]:
        """The scope's values at this hour of the week in past weeks, or, until there are
        enough of those, at this hour of the day on past working days (on a working day
        only); with the depth each needs before it is judged and the p-value it fires at."""
        weekly = self.weekly.get(key, {}).get((clock_ms % WEEK_MS) // HOUR_MS, {})
        weeks = min((len(values) for values in weekly.values()), default=0)
        if weeks >= settings.seasonal_min_weeks or not working_day(clock_ms):
            return weekly, settings.seasonal_min_weeks, settings.open_p_value
        daily = self.daily.get(key, {}).get((clock_ms % DAY_MS) // HOUR_MS, {})
        return daily, settings.seasonal_min_days, settings.seasonal_days_open_p_value


def hour_values(totals: WindowTotals, settings: DipSettings) -> dict[str, float]:
    """What an hour adds to a scope's history (see the module docstring)."""
    values = {}
    if totals.samples >= settings.min_samples:
        values = {metric: totals.metric(metric) for metric in METRICS}
    rate = totals.failures_per_hour()
    if rate is not None and totals.exposed_ms >= settings.min_rate_exposed_hours * HOUR_MS:
        values[RATE_METRIC] = rate
    return values


def _append(past: dict[str, list[float]], values: dict[str, float], keep: int) -> None:
    for metric, value in values.items():
        kept = past.setdefault(metric, [])
        kept.append(value)
        del kept[:-keep]


def working_day(time_ms: int) -> bool:
    """Monday to Friday (UTC date; 1970-01-01 was a Thursday)."""
    return (time_ms // DAY_MS + 3) % 7 < 5
