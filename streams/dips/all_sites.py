"""The persona-wide scope: one touch point of one persona over all its sites at once.

An incident that hits a persona everywhere (an app release that hangs for developers at
every site) reaches five people of the persona sooner than five at any one site, and its
failures pool into one rate over more exposed hours; judged over all sites, its dip can
open minutes before any one site's could.

Reads the finished site buckets of one persona (``PersonaSeries.buckets``) and writes
their sum per minute into the same series under the scope
``<persona>|all sites|<touch point>``, so the detectors, a dip's people, time lost and
cause, its history and its durable state (``state.py``) treat it as one more scope. The
tracker (``tracker.py``) applies the rules:

* its clock is the slowest of the sites whose clocks are within the peer tolerance of
  the latest (a site that went quiet for the night does not hold it back); it is judged
  once per minute of that clock;
* only the burn-rate and seasonal detectors judge it: it has no peers;
* it opens only when no single site holds more than ``MAX_SITE_SHARE`` of its affected
  people, and when it still fires with its worst site (most bad samples and failures
  since its onset) left out: an outage at one site is that site's dip, not the
  persona's, also at a quiet site whose few people are a small share;
* while it is open, candidates of the same persona and touch point at single sites do
  not open (one incident, one alert; its people are the dip's people).

Its site is ``ALL_SITES`` ("all sites"), a name the directory contract's site pattern
cannot hold, so it never mixes with a real site.
Pure: no Faust, Kafka or InfluxDB.
"""

from __future__ import annotations

from collections.abc import Iterable

from xlapulse.streams.dips.buckets import ALL_SITES, MinuteBucket, Scope
from xlapulse.streams.dips.dip import Dip, PersonaSeries

#: the largest share of an all-sites dip's affected people one site may hold
MAX_SITE_SHARE = 0.5


def all_sites_clock(site_clock_ms: dict[str, int], tolerance_ms: int) -> int:
    """The minute every current site has finished (0 without sites)."""
    if not site_clock_ms:
        return 0
    latest = max(site_clock_ms.values())
    return min(clock for clock in site_clock_ms.values() if clock >= latest - tolerance_ms)


def rebuild(series: PersonaSeries, dirty: Iterable[tuple[str, int]]) -> None:
    """Sum the site buckets of each (touch point, minute) in ``dirty`` into the
    all-sites bucket of that minute (dropped when no site has one any more)."""
    by_touch_point: dict[str, list[dict[int, MinuteBucket]]] = {}
    for key, per_minute in series.buckets.items():
        scope = Scope.from_key(key)
        if scope.site != ALL_SITES:
            by_touch_point.setdefault(scope.touch_point, []).append(per_minute)
    for touch_point, minute_ms in dirty:
        scope = Scope(series.persona, ALL_SITES, touch_point)
        parts = [
            bucket
            for per_minute in by_touch_point.get(touch_point, [])
            if (bucket := per_minute.get(minute_ms)) is not None
        ]
        target = series.buckets.setdefault(scope.key(), {})
        if parts:
            target[minute_ms] = merged(scope, minute_ms, parts)
        else:
            target.pop(minute_ms, None)


def merged(scope: Scope, minute_ms: int, parts: list[MinuteBucket]) -> MinuteBucket:
    """One bucket counting what ``parts`` count (their event ids are not needed)."""
    total = MinuteBucket(scope, minute_ms)
    for part in parts:
        total.samples += part.samples
        total.tolerating += part.tolerating
        total.frustrating += part.frustrating
        total.time_lost_ms += part.time_lost_ms
        total.time_lost_sq_s2 += part.time_lost_sq_s2
        total.measured_ms_total += part.measured_ms_total
        total.measured_count += part.measured_count
        total.users |= part.users
        total.affected_users |= part.affected_users
        total.causes.update(part.causes)
        total.details.update(part.details)
        for objective_id, (samples, misses) in part.objectives.items():
            tally = total.objectives.setdefault(objective_id, [0, 0])
            tally[0] += samples
            tally[1] += misses
        total.tickets += part.tickets
        total.failures += part.failures
        total.exposed_ms += part.exposed_ms
    return total


def worst_site(series: PersonaSeries, touch_point: str, since_ms: int) -> str | None:
    """The site whose buckets of the touch point had the most bad samples and failures
    from ``since_ms`` on (None when no site had any)."""
    counts: dict[str, int] = {}
    for key, per_minute in series.buckets.items():
        scope = Scope.from_key(key)
        if scope.site == ALL_SITES or scope.touch_point != touch_point:
            continue
        counts[scope.site] = sum(
            bucket.bad + bucket.failures
            for minute_ms, bucket in per_minute.items()
            if minute_ms >= since_ms
        )
    worst = max(counts.items(), key=lambda item: (item[1], item[0]), default=None)
    return worst[0] if worst is not None and worst[1] > 0 else None


def sum_without(
    series: PersonaSeries, touch_point: str, left_out: str | None, since_ms: int
) -> dict[int, MinuteBucket]:
    """The all-sites buckets of the touch point from ``since_ms`` on, summed without
    the site ``left_out``."""
    by_minute: dict[int, list[MinuteBucket]] = {}
    for key, per_minute in series.buckets.items():
        scope = Scope.from_key(key)
        if scope.site in (ALL_SITES, left_out) or scope.touch_point != touch_point:
            continue
        for minute_ms, bucket in per_minute.items():
            if minute_ms >= since_ms:
                by_minute.setdefault(minute_ms, []).append(bucket)
    everywhere = Scope(series.persona, ALL_SITES, touch_point)
    return {
        minute_ms: merged(everywhere, minute_ms, parts) for minute_ms, parts in by_minute.items()
    }


def largest_site_share(series: PersonaSeries, dip: Dip) -> float:
    """The largest share of the dip's affected people that one site's buckets since the
    onset hold (1.0 for a dip without people)."""
    if not dip.affected_users:
        return 1.0
    largest = 0
    for key, per_minute in series.buckets.items():
        scope = Scope.from_key(key)
        if scope.site == ALL_SITES or scope.touch_point != dip.scope.touch_point:
            continue
        here: set[str] = set()
        for minute_ms, bucket in per_minute.items():
            if minute_ms >= dip.onset_ms:
                here |= bucket.affected_users
        largest = max(largest, len(here & dip.affected_users))
    return largest / len(dip.affected_users)
