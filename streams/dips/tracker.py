"""Stage 2 of dip detection: the detectors over every scope of a persona, and each
dip's life cycle (candidate, opened, updated, closed).

Reads finished :class:`~xlapulse.streams.dips.buckets.MinuteBucket` s of one persona's
scopes (all its sites, so the peer detector sees them all) and the persona's XLA
objectives. Returns :class:`Dip` transitions; the caller publishes them (dip event,
InfluxDB point, alert, notice). Pure: no Faust, Kafka or InfluxDB.

Rules every dip follows (``DipSettings``):

* a detector *fires* on a scope: a candidate starts, with its onset at that minute;
* the candidate opens when it fires again at least ``min_firing_minutes`` - 1 minutes
  after its onset (a minimum duration in event time) and at least
  ``min_affected_people`` distinct people had a tolerating or frustrating sample in the
  scope since the onset (so a sparse print outage opens when the fifth person is hit);
  a candidate that stops firing for ``candidate_grace_minutes`` is dropped unseen;
* an open dip is *updated* when its severity or affected people changed, at most every
  ``update_every_minutes``, and *closed* once no detector held it for
  ``close_after_minutes`` (hysteresis: holding needs less than firing).

One scope has at most one dip at a time; the detector that opened it names it. What a
dip is and says (its onset, people, time lost, cause) is ``dip.py``'s. Besides each
site, every persona's touch points are judged over all sites at once (``all_sites.py``,
with its rules).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from xlapulse.streams.dips.all_sites import (
    MAX_SITE_SHARE,
    all_sites_clock,
    largest_site_share,
    rebuild,
    sum_without,
    worst_site,
)
from xlapulse.streams.dips.buckets import ALL_SITES, MINUTE_MS, MinuteBucket, Scope
from xlapulse.streams.dips.detectors import (
    Budget,
    Finding,
    WindowTotals,
    burn_rate,
    peer,
    seasonal,
)
from xlapulse.streams.dips.dip import (
    Dip,
    PersonaSeries,
    accumulate,
    describe,
    dip_id_for,
    first_bad_minute,
)
from xlapulse.streams.dips.failure_rate import METRIC as RATE_METRIC
from xlapulse.streams.dips.failure_rate import seasonal_rate
from xlapulse.streams.dips.history import HOUR_MS
from xlapulse.streams.dips.settings import DipSettings

#: the all-sites clock waits for sites at most this far behind the latest one
ALL_SITES_CLOCK_TOLERANCE_MS = 2 * MINUTE_MS


@dataclass
class DipTracker:
    """Detectors and dip life cycles for every persona fed to it."""

    settings: DipSettings
    #: persona -> objective id -> (touch point, error budget)
    budgets: dict[str, dict[str, Budget]]
    personas: dict[str, PersonaSeries] = field(default_factory=dict)
    #: scope keys whose durable state (dip or history, ``state.py``) changed since the
    #: caller last took them
    changed: set[str] = field(default_factory=set)

    def add(self, bucket: MinuteBucket) -> list[Dip]:
        """Store a finished bucket (replacing an earlier copy); transitions it caused.

        A bucket that moves its site's clock on evaluates that site's scopes at the new
        minute; the other sites are their peers as far as their own clocks have come.
        Then, once per minute of the slowest current site, the persona's all-sites scopes.
        """
        series = self._store(bucket)
        site = bucket.scope.site
        previous = series.site_clock_ms.get(site, 0)
        if bucket.minute_ms <= previous:
            # A late minute (its observations came from a slower input partition, as in
            # a catch-up) still counts: inside the window, judge the site again at its
            # clock; further back, judge it at that minute, so an outage whose minutes
            # all arrive late is found as it would have been, dated at its own minutes.
            if bucket.minute_ms <= previous - self.settings.history_minutes() * MINUTE_MS:
                return []
            inside = bucket.minute_ms > previous - self.settings.window_minutes * MINUTE_MS
            series.clock_ms = previous if inside else bucket.minute_ms
            return self._evaluate(series, site)
        series.site_clock_ms[site] = series.clock_ms = bucket.minute_ms
        series.latest_ms = max(series.latest_ms, bucket.minute_ms)
        if previous and bucket.minute_ms // HOUR_MS > previous // HOUR_MS:
            self._remember_hours(series, previous, site)
        transitions = self._evaluate(series, site)
        return transitions + self._evaluate_all_sites(series)

    def preload(self, bucket: MinuteBucket) -> None:
        """Store a bucket an earlier worker already judged, without judging it: a
        restarted worker refills its windows from the buckets topic (``rewind.py``), so
        a burn rate's long window is not just the minutes since the restart."""
        series = self._store(bucket)
        site = bucket.scope.site
        series.site_clock_ms[site] = max(series.site_clock_ms.get(site, 0), bucket.minute_ms)
        series.latest_ms = max(series.latest_ms, bucket.minute_ms)

    def _store(self, bucket: MinuteBucket) -> PersonaSeries:
        """Keep the bucket (replacing an earlier copy) and mark its minute for the
        all-sites sums; the persona's series."""
        series = self.personas.setdefault(bucket.scope.persona, PersonaSeries(bucket.scope.persona))
        series.buckets.setdefault(bucket.scope.key(), {})[bucket.minute_ms] = bucket
        series.all_sites_dirty.add((bucket.scope.touch_point, bucket.minute_ms))
        return series

    def take_changed(self) -> list[str]:
        """The scope keys whose durable state changed since the last call (``state.py``)."""
        changed, self.changed = sorted(self.changed), set()
        return changed

    def finish(self) -> list[Dip]:
        """Close every open dip at the clock (the end of a back-test); drop candidates."""
        closed = []
        for series in self.personas.values():
            for key, dip in list(series.dips.items()):
                del series.dips[key]
                self.changed.add(key)
                if dip.state in ("opened", "updated"):
                    dip.state, dip.event_time_ms = "closed", series.latest_ms + MINUTE_MS
                    closed.append(dip)
        return closed

    # --- evaluation --------------------------------------------------------

    def _window(
        self,
        series: PersonaSeries,
        key: str,
        minutes: int,
        *,
        counts_only: bool = False,
        end_ms: int | None = None,
    ) -> WindowTotals:
        """The scope's totals over ``minutes`` ending at ``end_ms`` (the clock)."""
        end_ms = series.clock_ms if end_ms is None else end_ms
        per_minute = series.buckets.get(key, {})
        if len(per_minute) < minutes:
            first = end_ms - (minutes - 1) * MINUTE_MS
            chosen = (b for minute, b in per_minute.items() if first <= minute <= end_ms)
        else:
            wanted = (per_minute.get(end_ms - back * MINUTE_MS) for back in range(minutes))
            chosen = (bucket for bucket in wanted if bucket is not None)
        return WindowTotals.of(chosen, counts_only=counts_only)

    def _evaluate_all_sites(self, series: PersonaSeries) -> list[Dip]:
        """Judge the persona's all-sites scopes when the slowest current site finished a
        new minute (the series' clock is the site's again afterwards)."""
        clock_ms = all_sites_clock(series.site_clock_ms, ALL_SITES_CLOCK_TOLERANCE_MS)
        previous = series.all_sites_clock_ms
        if clock_ms <= previous:
            return []
        rebuild(series, series.all_sites_dirty)
        series.all_sites_dirty.clear()
        site_clock_ms, series.clock_ms = series.clock_ms, clock_ms
        series.all_sites_clock_ms = clock_ms
        if previous and clock_ms // HOUR_MS > previous // HOUR_MS:
            self._remember_hours(series, previous, ALL_SITES)
        transitions = self._evaluate(series, ALL_SITES)
        series.clock_ms = site_clock_ms
        return transitions

    def _evaluate(self, series: PersonaSeries, site: str) -> list[Dip]:
        """Judge the scopes of one site (or of ``ALL_SITES``: no peers) at the clock."""
        settings = self.settings
        if series.latest_ms // HOUR_MS != series.pruned_hour:
            self._prune(series)
        here = {key for key in series.buckets if Scope.from_key(key).site == site}
        here |= {key for key, dip in series.dips.items() if dip.scope.site == site}
        windows = {key: self._window(series, key, settings.window_minutes) for key in here}
        candidates = [
            key
            for key in sorted(here)
            if key in series.dips
            or len(windows[key].affected_users) >= settings.min_people_in_window
        ]
        if not candidates:
            return []  # no detector can fire on fewer people: skip the work
        everywhere = site == ALL_SITES
        touch_points = {Scope.from_key(key).touch_point for key in candidates}
        # A peer is compared over its last ``reference_minutes`` up to the evaluated
        # minute, or up to its own clock when it is behind: input partitions do not run in
        # step (a catch-up, a slower partition), and a peer a few minutes behind must still
        # be a peer. A site with nothing in that hour is no peer.
        reference_ms = settings.reference_minutes * MINUTE_MS
        current = {
            site_name: min(clock, series.clock_ms)
            for site_name, clock in series.site_clock_ms.items()
            if clock > series.clock_ms - reference_ms
        }
        peers_of = [
            key
            for key in series.buckets
            if (scope := Scope.from_key(key)).touch_point in touch_points
            and scope.site != site
            and scope.site in current
            and not everywhere
        ]
        short_windows = {
            key: self._window(series, key, settings.short_window_minutes) for key in candidates
        }
        references = {
            key: self._window(
                series,
                key,
                settings.reference_minutes,
                counts_only=True,
                end_ms=current[Scope.from_key(key).site],
            )
            for key in peers_of
        }
        transitions = []
        for key in candidates:
            scope = Scope.from_key(key)
            peers = None if everywhere else self._peers(references, scope)
            findings = self._findings(series, scope, short_windows[key], windows[key], peers)
            if key in series.dips and not everywhere:
                findings.append(self._still_bad(series, scope, references))
            transition = self._advance(
                series,
                scope,
                [finding for finding in findings if finding is not None],
                windows[key],
            )
            if transition is not None:
                transitions.append(transition)
        return transitions

    def _findings(
        self,
        series: PersonaSeries,
        scope: Scope,
        short_window: WindowTotals,
        window: WindowTotals,
        peers: list[WindowTotals] | None,
    ) -> list[Finding | None]:
        """Every detector's verdict on the scope at the clock (no peer detector without
        ``peers``: the all-sites scopes)."""
        settings = self.settings
        findings = [self._burn(series, scope)]
        history, min_depth, open_p_value = series.history.at(scope.key(), series.clock_ms, settings)
        past_rates = history.get(RATE_METRIC, [])
        for totals in (short_window, window):
            if peers is not None:
                findings.append(peer(totals, peers, settings))
            findings.append(seasonal(totals, history, min_depth, settings, open_p_value))
            findings.append(seasonal_rate(totals, past_rates, min_depth, settings, open_p_value))
        return findings

    def _fires_without_worst_site(self, series: PersonaSeries, dip: Dip) -> bool:
        """Whether the all-sites scope still fires with the site that had the most bad
        samples and failures since the dip's onset left out: if not, it is that site's
        problem (a quiet site's outage can hold few of the persona's affected people)."""
        scope, settings = dip.scope, self.settings
        key = scope.key()
        first_ms = series.clock_ms - settings.history_minutes() * MINUTE_MS
        worst = worst_site(series, scope.touch_point, dip.onset_ms)
        kept = series.buckets[key]
        series.buckets[key] = sum_without(series, scope.touch_point, worst, first_ms)
        try:
            short_window = self._window(series, key, settings.short_window_minutes)
            window = self._window(series, key, settings.window_minutes)
            findings = self._findings(series, scope, short_window, window, None)
        finally:
            series.buckets[key] = kept
        return any(finding is not None and finding.fires for finding in findings)

    def _still_bad(
        self, series: PersonaSeries, scope: Scope, references: dict[str, WindowTotals]
    ) -> Finding | None:
        """Whether the site's last ``hold_window_minutes`` still hold its dip against the
        peers: during an outage at a quiet site few people retry in a quarter hour, and
        the dip must not close and reopen between their attempts. Holds, never fires."""
        window = self._window(series, scope.key(), self.settings.hold_window_minutes)
        finding = peer(window, self._peers(references, scope), self.settings)
        return None if finding is None else replace(finding, fires=False)

    def _peers(self, windows: dict[str, WindowTotals], scope: Scope) -> list[WindowTotals]:
        return [
            totals
            for key, totals in windows.items()
            if (other := Scope.from_key(key)).touch_point == scope.touch_point
            and other.site != scope.site
        ]

    def _burn(self, series: PersonaSeries, scope: Scope) -> Finding | None:
        budgets = {
            objective_id: budget
            for objective_id, budget in self.budgets.get(scope.persona, {}).items()
            if budget.touch_point == scope.touch_point
            and (
                budget.per_exposed_hour
                or budget.touch_point not in self.settings.burn_rate_skip_touch_points
            )
        }
        if not budgets:
            return None
        key = scope.key()
        pairs = []
        for window in self.settings.burn_rate_windows:
            short = self._window(series, key, window.short_minutes)
            # holding needs the short window to burn at least half the rate: skip the
            # long window's work when no objective does
            if not any(
                (ratio := budget.ratio(short, objective_id)) is not None
                and ratio >= budget.limit(window.burn_rate, self.settings) / 2
                for objective_id, budget in budgets.items()
                if budget.budget > 0
            ):
                continue
            pairs.append((window, self._window(series, key, window.long_minutes), short))
        return burn_rate(pairs, budgets, self.settings)

    def _advance(
        self, series: PersonaSeries, scope: Scope, findings: list[Finding], totals: WindowTotals
    ) -> Dip | None:
        settings, now = self.settings, series.clock_ms
        key = scope.key()
        firing = [f for f in findings if f.fires]
        holding = [f for f in findings if f.holds]
        dip = series.dips.get(key)
        if dip is None and not firing:
            return None
        if dip is None and now <= series.closed_at_ms.get(key, -1):
            # a late minute judged at its own time, which the scope's last dip covered
            # and closed after: that dip was it, no second one over the same minutes
            return None
        self.changed.add(key)
        if dip is None:
            first = max(firing, key=lambda f: (f.severity == "critical", f.strength))
            onset = first_bad_minute(series, key, self.settings.window_minutes)
            dip = series.dips[key] = Dip(
                dip_id_for(scope, first.detector, onset), scope, first.detector, onset
            )
            describe(dip, first, series, self.settings.window_minutes)
        if firing:
            dip.last_firing_ms = now
        if holding:
            dip.last_holding_ms = now
        accumulate(dip, series)
        severity = self._severity(dip, findings, totals)
        if dip.state == "candidate":
            if now - dip.last_firing_ms >= settings.candidate_grace_minutes * MINUTE_MS:
                del series.dips[key]
                return None
            lasted = now - dip.onset_ms >= (settings.min_firing_minutes - 1) * MINUTE_MS
            if (
                firing
                and lasted
                and dip.affected_people >= settings.min_affected_people
                and self._may_open(series, dip)
            ):
                dip.state, dip.severity = "opened", severity
                return self._emit(dip, now)
            return None
        if now - dip.last_holding_ms >= settings.close_after_minutes * MINUTE_MS:
            del series.dips[key]
            series.closed_at_ms[key] = now
            dip.state = "closed"
            return self._emit(dip, now)
        changed = severity != dip.severity or dip.affected_people != dip.published_people
        if changed and now - dip.last_update_ms >= settings.update_every_minutes * MINUTE_MS:
            dip.state, dip.severity = "updated", severity
            return self._emit(dip, now)
        return None

    def _may_open(self, series: PersonaSeries, dip: Dip) -> bool:
        """An all-sites dip is not one site's outage; a site's dip is not part of an open
        all-sites dip of its persona and touch point (``all_sites.py``)."""
        if dip.scope.all_sites:
            not_one_site = largest_site_share(series, dip) <= MAX_SITE_SHARE
            return not_one_site and self._fires_without_worst_site(series, dip)
        everywhere = Scope(dip.scope.persona, ALL_SITES, dip.scope.touch_point).key()
        covering = series.dips.get(everywhere)
        return covering is None or covering.state == "candidate"

    def _emit(self, dip: Dip, now: int) -> Dip:
        dip.last_update_ms = dip.event_time_ms = now
        dip.published_people = dip.affected_people
        return replace(dip, affected_users=set(dip.affected_users))

    def _severity(self, dip: Dip, findings: list[Finding], totals: WindowTotals) -> str:
        settings = self.settings
        if (
            any(f.severity == "critical" and f.holds for f in findings)
            or totals.metric("badness") >= settings.critical_badness
            or dip.affected_people >= settings.critical_people
        ):
            return "critical"
        return (
            dip.severity if dip.state != "candidate" and dip.severity == "critical" else "warning"
        )

    # --- history -----------------------------------------------------------

    def _prune(self, series: PersonaSeries) -> None:
        series.pruned_hour = series.latest_ms // HOUR_MS
        keep_from = series.latest_ms - self.settings.history_minutes() * MINUTE_MS
        for key in list(series.buckets):
            per_minute = series.buckets[key]
            for minute in [m for m in per_minute if m < keep_from]:
                del per_minute[minute]
            if not per_minute and key not in series.dips:
                del series.buckets[key]

    def _remember_hours(self, series: PersonaSeries, previous_clock_ms: int, site: str) -> None:
        """At an hour's end, the site's scopes' totals of that hour join their history."""
        hour_start = previous_clock_ms - previous_clock_ms % HOUR_MS
        for key, per_minute in series.buckets.items():
            if Scope.from_key(key).site != site:
                continue
            totals = WindowTotals.of(
                b for minute, b in per_minute.items() if hour_start <= minute < hour_start + HOUR_MS
            )
            if series.history.remember(key, hour_start, totals, self.settings):
                self.changed.add(key)
