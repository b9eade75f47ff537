"""What a dip is and what it says: its fields and id, the persona's series it is read
from, its onset, and what it accumulates since then (affected people, time lost,
tickets, likely cause).

Reads finished minute buckets (``buckets.py``) through a :class:`PersonaSeries`; writes
nothing. The life cycle (when a dip opens, updates and closes) is ``tracker.py``'s.
Pure: no Faust, Kafka or InfluxDB.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from statistics import median

from xlapulse.streams.dips.buckets import MINUTE_MS, MinuteBucket, Scope
from xlapulse.streams.dips.causes import likely_cause
from xlapulse.streams.dips.detectors import Finding
from xlapulse.streams.dips.history import SeasonalHistory


@dataclass
class Dip:
    """One dip (or a candidate) of one scope."""

    dip_id: str
    scope: Scope
    detector: str
    onset_ms: int
    severity: str = "warning"
    state: str = "candidate"
    last_firing_ms: int = 0
    last_holding_ms: int = 0
    last_update_ms: int = 0
    affected_users: set[str] = field(default_factory=set)
    time_lost_ms: int = 0
    tickets: int = 0
    likely_cause: str | None = None
    metric: str = ""
    value: float = 0.0
    reference: float = 0.0
    #: the mean duration of the scope's peers or past when the dip opened, for "+38 s"
    reference_duration_ms: float | None = None
    #: event time of this transition
    event_time_ms: int = 0
    #: affected people when the last transition was published
    published_people: int = 0
    #: a dip restored from the worker's table (``state.py``): the minute it was stored
    #: at, and its time lost and tickets then; only later buckets add to them (the
    #: earlier ones are gone with the old worker, or redelivered and already counted)
    restored_at_ms: int = 0
    carried_time_lost_ms: int = 0
    carried_tickets: int = 0

    @property
    def affected_people(self) -> int:
        return len(self.affected_users)


def dip_id_for(scope: Scope, detector: str, onset_ms: int) -> str:
    """Stable for the same scope, detector and onset, so a replay makes the same dip."""
    digest = hashlib.sha256(f"{scope.key()}|{detector}|{onset_ms}".encode()).hexdigest()
    return f"dip_{digest[:20]}"


@dataclass
class PersonaSeries:
    """Everything the detectors keep for one persona (the unit of a partition)."""

    persona: str
    #: scope key -> minute -> bucket, for the longest window any detector needs
    buckets: dict[str, dict[int, MinuteBucket]] = field(default_factory=dict)
    #: each scope's past hours, for the seasonal detectors
    history: SeasonalHistory = field(default_factory=SeasonalHistory)
    dips: dict[str, Dip] = field(default_factory=dict)
    #: the latest finished minute of each site: stage 1 finishes a (persona, site)'s
    #: minutes in order on one partition, so this is that site's event-time watermark
    site_clock_ms: dict[str, int] = field(default_factory=dict)
    #: the minute being evaluated (a site's clock), and the latest of all sites
    clock_ms: int = 0
    latest_ms: int = 0
    #: scope key -> the minute its last dip closed (a late minute judged at its own time
    #: does not open a second dip over minutes a closed one covered)
    closed_at_ms: dict[str, int] = field(default_factory=dict)
    #: the minute the all-sites scopes were last judged at (``all_sites.py``), and the
    #: (touch point, minute) pairs whose site buckets changed since
    all_sites_clock_ms: int = 0
    all_sites_dirty: set[tuple[str, int]] = field(default_factory=set)
    #: the clock's hour when old buckets were last dropped
    pruned_hour: int = -1


def first_bad_minute(series: PersonaSeries, key: str, window_minutes: int) -> int:
    """The first minute with a bad sample in the window that fired (the clock if none)."""
    first = series.clock_ms - (window_minutes - 1) * MINUTE_MS
    bad_minutes = [
        minute
        for minute, bucket in series.buckets.get(key, {}).items()
        if minute >= first and bucket.bad
    ]
    return min(bad_minutes, default=series.clock_ms)


def describe(dip: Dip, finding: Finding, series: PersonaSeries, window_minutes: int) -> None:
    """What the detector that opened the dip measured, and the peers' mean duration then
    (for \"+38 s\" causes; an all-sites dip has no peers)."""
    dip.metric, dip.value, dip.reference = finding.metric, finding.value, finding.reference
    durations = []
    first = series.clock_ms - (window_minutes - 1) * MINUTE_MS
    for key, per_minute in series.buckets.items():
        other = Scope.from_key(key)
        if (
            other.touch_point != dip.scope.touch_point
            or other.site == dip.scope.site
            or other.all_sites
            or dip.scope.all_sites
        ):
            continue
        total = sum(b.measured_ms_total for m, b in per_minute.items() if m >= first)
        count = sum(b.measured_count for m, b in per_minute.items() if m >= first)
        if count:
            durations.append(total / count)
    dip.reference_duration_ms = median(durations) if durations else None
    dip.published_people = 0


def accumulate(dip: Dip, series: PersonaSeries) -> None:
    """Affected people, lost time, tickets and likely cause since the onset."""
    since = [
        bucket
        for minute, bucket in series.buckets.get(dip.scope.key(), {}).items()
        if minute >= dip.onset_ms and minute > dip.restored_at_ms
    ]
    causes: Counter[str] = Counter()
    details: Counter[str] = Counter()
    measured_total = measured_count = 0
    for bucket in since:
        dip.affected_users |= bucket.affected_users
        causes.update(bucket.causes)
        details.update(bucket.details)
        measured_total += bucket.measured_ms_total
        measured_count += bucket.measured_count
    dip.time_lost_ms = dip.carried_time_lost_ms + sum(bucket.time_lost_ms for bucket in since)
    dip.tickets = dip.carried_tickets + sum(bucket.tickets for bucket in since)
    extra_s = None
    if measured_count and dip.reference_duration_ms is not None:
        extra_s = (measured_total / measured_count - dip.reference_duration_ms) / 1000
    # a restored dip keeps the cause it had until new buckets name one
    dip.likely_cause = likely_cause(causes, details, dip.onset_ms, extra_s) or (
        dip.likely_cause if dip.restored_at_ms else None
    )
