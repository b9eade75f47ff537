"""The three dip detectors, as pure functions over a scope's recent minutes.

* :func:`burn_rate`: an XLA objective's error budget burning too fast, on a long window
  confirmed by a short one (Google SRE Workbook, "Alerting on SLOs", multiwindow,
  multi-burn-rate alerts: 14.4x over 1 h and 5 min, 6x over 6 h and 30 min). No
  baseline: a chronic problem keeps firing.
* :func:`peer`: a site far worse than the same persona and touch point at the other
  sites in the same window, robustly (median and MAD of the peers, as the "robust"
  strategy of Grafana's promql-anomaly-detection). Works from the first day.
* :func:`seasonal`: a scope far worse than its own past at the same hour of the week
  (median and MAD of the past weeks' values, as GitLab's Prometheus anomaly rules and
  Datadog's "robust" algorithm). Needs a few weeks of history.

Two metrics are compared: *badness* (1 - Apdex: frustrating 1, tolerating 1/2) and
*time lost per sample* (seconds over the persona's threshold). Time lost moves with a
+40 s logon that stays within 4T, where the Apdex band does not. Reads window totals;
writes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median

from xlapulse.streams.dips.buckets import MinuteBucket
from xlapulse.streams.dips.settings import BurnRateWindow, DipSettings
from xlapulse.streams.scoring.exposure_clock import HOUR_MS
from xlapulse.streams.scoring.xla import XlaConfig

#: MAD x 1.4826 estimates the standard deviation of normally distributed values.
MAD_TO_SIGMA = 1.4826
#: the least spread assumed, per metric, so that identical peers (MAD 0) do not make
#: every small difference infinitely significant
MIN_SPREAD = {"badness": 0.05, "time_lost_s": 3.0, "failures_per_hour": 0.05}
#: the least badness a reference is assumed to have (a site with no failures at all
#: still fails now and then), so one failure against a spotless reference is no dip
BASELINE_BADNESS_FLOOR = 0.02


@dataclass
class WindowTotals:
    """A scope's sums over some minutes."""

    samples: int = 0
    tolerating: int = 0
    frustrating: int = 0
    time_lost_ms: int = 0
    time_lost_sq_s2: float = 0.0
    affected_users: set[str] = field(default_factory=set)
    objectives: dict[str, list[int]] = field(default_factory=dict)
    #: failures (crashes, hangs, drops) and the time people were exposed to them
    failures: int = 0
    exposed_ms: int = 0

    @classmethod
    def of(cls, buckets: Iterable[MinuteBucket], *, counts_only: bool = False) -> WindowTotals:
        """The buckets' sums; ``counts_only`` skips people and objectives (references)."""
        totals = cls()
        for bucket in buckets:
            totals.samples += bucket.samples
            totals.tolerating += bucket.tolerating
            totals.frustrating += bucket.frustrating
            totals.time_lost_ms += bucket.time_lost_ms
            totals.time_lost_sq_s2 += bucket.time_lost_sq_s2
            if counts_only:
                continue
            totals.failures += bucket.failures
            totals.exposed_ms += bucket.exposed_ms
            totals.affected_users |= bucket.affected_users
            for objective_id, (samples, misses) in bucket.objectives.items():
                tally = totals.objectives.setdefault(objective_id, [0, 0])
                tally[0] += samples
                tally[1] += misses
        return totals

    def add(self, other: WindowTotals) -> None:
        """Pool another scope's totals into these (objectives and people excepted)."""
        self.samples += other.samples
        self.tolerating += other.tolerating
        self.frustrating += other.frustrating
        self.time_lost_ms += other.time_lost_ms
        self.time_lost_sq_s2 += other.time_lost_sq_s2

    def time_lost_variance_s2(self) -> float:
        if self.samples < 2:
            return 0.0
        mean = self.time_lost_ms / 1000 / self.samples
        return max(0.0, self.time_lost_sq_s2 / self.samples - mean * mean)

    def failures_per_hour(self) -> float | None:
        """Failures per exposed hour; None without exposed time."""
        if not self.exposed_ms:
            return None
        return self.failures * HOUR_MS / self.exposed_ms

    def metric(self, name: str) -> float:
        if not self.samples:
            return 0.0
        if name == "badness":
            return (self.frustrating + self.tolerating / 2) / self.samples
        return self.time_lost_ms / 1000 / self.samples


METRICS = ("badness", "time_lost_s")


@dataclass(frozen=True)
class Finding:
    """A detector's verdict on one scope at one minute."""

    detector: str
    #: fires: strong enough to open a dip; holds: strong enough to keep one open
    fires: bool
    holds: bool
    metric: str
    value: float
    reference: float
    #: robust z-score, or the burn rate for the burn-rate detector
    strength: float
    severity: str = "warning"


def _min_delta(metric: str, settings: DipSettings) -> float:
    return settings.min_badness_delta if metric == "badness" else settings.min_time_lost_delta_s


def _judgeable(totals: WindowTotals, settings: DipSettings) -> bool:
    return (
        totals.samples >= settings.min_samples
        and len(totals.affected_users) >= settings.min_people_in_window
    )


def robust_z(value: float, reference_values: Sequence[float], metric: str) -> tuple[float, float]:
    """(z, median): how many robust standard deviations ``value`` is above the median."""
    centre = median(reference_values)
    spread = median(abs(other - centre) for other in reference_values) * MAD_TO_SIGMA
    return (value - centre) / max(spread, MIN_SPREAD[metric]), centre


def binomial_tail(successes: int, trials: int, rate: float) -> float:
    """P(X >= successes) for X ~ Binomial(trials, rate), summed in log space."""
    if successes <= 0:
        return 1.0
    if successes > trials:
        return 0.0
    rate = min(max(rate, 1e-9), 1 - 1e-9)
    log_rate, log_miss = math.log(rate), math.log1p(-rate)
    terms = [
        math.lgamma(trials + 1)
        - math.lgamma(k + 1)
        - math.lgamma(trials - k + 1)
        + k * log_rate
        + (trials - k) * log_miss
        for k in range(successes, trials + 1)
    ]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(term - top) for term in terms))


def _significance(totals: WindowTotals, reference: WindowTotals | None, metric: str) -> float:
    """How unlikely the scope's own samples are if the reference's rate held (a p-value).

    Badness: the binomial tail of the scope's bad samples (a tolerating one counts half)
    at the reference's badness. Time lost: the normal tail of the scope's mean at the
    reference's mean and spread. Sparse scopes thus need many bad samples, busy ones
    only a clear shift; a few unlucky calls are not an incident.
    """
    if metric == "badness":
        rate = max(reference.metric("badness") if reference else 0.0, BASELINE_BADNESS_FLOOR)
        bad = round(totals.frustrating + totals.tolerating / 2)
        return binomial_tail(bad, totals.samples, rate)
    reference_mean = reference.metric("time_lost_s") if reference else 0.0
    variance = max(
        reference.time_lost_variance_s2() if reference else 0.0,
        totals.time_lost_variance_s2(),
        MIN_SPREAD["time_lost_s"] ** 2,
    )
    z = (totals.metric("time_lost_s") - reference_mean) / math.sqrt(variance / totals.samples)
    return 0.5 * math.erfc(z / math.sqrt(2))


def _excess_over_threshold(totals: WindowTotals, reference: WindowTotals | None) -> float:
    """How unlikely the scope's samples over the threshold (tolerating or frustrating)
    are at the reference's share of them (a p-value; the binomial tail). Unlike badness,
    a tolerating sample counts whole: a +40 s logon within 4T is over the threshold."""
    reference_share = (
        (reference.tolerating + reference.frustrating) / reference.samples
        if reference is not None and reference.samples
        else 0.0
    )
    rate = max(reference_share, BASELINE_BADNESS_FLOOR)
    return binomial_tail(totals.tolerating + totals.frustrating, totals.samples, rate)


def _strongest(
    detector: str,
    totals: WindowTotals,
    references: Mapping[str, Sequence[float]],
    pooled: WindowTotals | None,
    settings: DipSettings,
    open_p_value: float | None = None,
) -> Finding | None:
    best: Finding | None = None
    open_p_value = settings.open_p_value if open_p_value is None else open_p_value
    # Time lost is heavy-tailed (one broken call costs minutes), so a time-lost finding
    # also needs more samples over the threshold than the reference explains: a few
    # broken calls are not enough, a site whose every logon is slowed (tolerating,
    # within 4T) is.
    excess_bad = _excess_over_threshold(totals, pooled) <= settings.time_lost_backing_p_value
    for metric in METRICS:
        value = totals.metric(metric)
        z, centre = robust_z(value, references[metric], metric)
        delta = value - centre
        p_value = _significance(totals, pooled, metric)
        backed = metric == "badness" or excess_bad
        finding = Finding(
            detector,
            fires=z >= settings.open_z
            and delta >= _min_delta(metric, settings)
            and p_value <= open_p_value
            and backed,
            holds=z >= settings.hold_z
            and delta >= _min_delta(metric, settings) / 2
            and p_value <= settings.hold_p_value
            and backed,
            metric=metric,
            value=value,
            reference=centre,
            strength=z,
        )
        rank = (finding.fires, finding.holds, z)
        if best is None or rank > (best.fires, best.holds, best.strength):
            best = finding
    return best


def peer(
    totals: WindowTotals, peer_totals: Sequence[WindowTotals], settings: DipSettings
) -> Finding | None:
    """The site now against the same persona and touch point at the other sites over the
    last ``reference_minutes`` (robust z across the peers; significance against their
    pooled rate). A longer reference keeps sparse touch points judgeable: few people
    connect to the VPN in any quarter hour, many in an hour.
    """
    peers = [other for other in peer_totals if other.samples >= settings.min_samples]
    if len(peers) < settings.min_peers or not _judgeable(totals, settings):
        return None
    references = {metric: [other.metric(metric) for other in peers] for metric in METRICS}
    pooled = WindowTotals()
    for other in peers:
        pooled.add(other)
    return _strongest("peer", totals, references, pooled, settings)


def seasonal(
    totals: WindowTotals,
    history: Mapping[str, Sequence[float]],
    min_depth: int,
    settings: DipSettings,
    open_p_value: float | None = None,
) -> Finding | None:
    """The scope against its own values at this hour in past periods (weeks, or working
    days until enough weeks exist); judged once ``min_depth`` periods are known, firing
    at ``open_p_value`` (default: the settings')."""
    depth = min(len(history.get(metric, ())) for metric in METRICS)
    if depth < min_depth or not _judgeable(totals, settings):
        return None
    typical = WindowTotals(samples=totals.samples)
    typical.frustrating = round(median(history["badness"]) * totals.samples)
    typical.time_lost_ms = round(median(history["time_lost_s"]) * 1000 * totals.samples)
    return _strongest("seasonal", totals, history, typical, settings, open_p_value)


@dataclass(frozen=True)
class Budget:
    """An XLA objective's error budget, as the burn-rate detector reads it."""

    touch_point: str
    #: the share of samples allowed to miss (1 - target for ``share_within``, the target
    #: for ``frustrating_share_at_most``), or, ``per_exposed_hour``, the failures allowed
    #: per exposed hour (``failures_per_hour_at_most``)
    budget: float
    per_exposed_hour: bool = False

    def limit(self, rate: float, settings: DipSettings) -> float:
        """The miss share (or failures per exposed hour) that burns at ``rate``.

        ``rate`` x budget, as the SRE Workbook has it. A share is capped at
        ``burn_rate_max_ratio`` (or halfway from the budget to 1 for a budget above it):
        an objective that allows 15 % misses can never burn 14.4 times its budget, yet a
        window where most samples miss it is an incident.
        """
        if self.per_exposed_hour:
            return rate * self.budget
        ceiling = max(settings.burn_rate_max_ratio, self.budget + (1 - self.budget) / 2)
        return min(rate * self.budget, ceiling)

    def ratio(self, totals: WindowTotals, objective_id: str) -> float | None:
        """The window's miss share or failures per exposed hour; None without data."""
        if self.per_exposed_hour:
            return totals.failures_per_hour()
        samples, misses = totals.objectives.get(objective_id, (0, 0))
        return misses / samples if samples else None

    def judgeable(self, totals: WindowTotals, objective_id: str, settings: DipSettings) -> bool:
        """Whether a long window holds enough data to be judged."""
        if self.per_exposed_hour:
            return totals.exposed_ms >= settings.burn_rate_min_exposed_hours * HOUR_MS
        samples, _ = totals.objectives.get(objective_id, (0, 0))
        return samples >= settings.burn_rate_min_samples


def burn_rate(
    long_and_short: Sequence[tuple[BurnRateWindow, WindowTotals, WindowTotals]],
    budgets: dict[str, Budget],
    settings: DipSettings,
) -> Finding | None:
    """The fastest-burning objective over each (long, short) window pair.

    ``budgets`` maps objective id to its :class:`Budget`. Fires when both windows burn
    at least the window's rate; holds while the short one still burns at least half of
    it.
    """
    best: Finding | None = None
    for window, long_totals, short_totals in long_and_short:
        if len(short_totals.affected_users) < settings.min_people_in_window:
            continue
        for objective_id, budget in budgets.items():
            if budget.budget <= 0 or not budget.judgeable(long_totals, objective_id, settings):
                continue
            long_ratio = budget.ratio(long_totals, objective_id)
            short_ratio = budget.ratio(short_totals, objective_id)
            if long_ratio is None or short_ratio is None:
                continue
            limit = budget.limit(window.burn_rate, settings)
            finding = Finding(
                "burn_rate",
                fires=long_ratio >= limit and short_ratio >= limit,
                holds=long_ratio >= limit and short_ratio >= limit / 2,
                metric=f"{objective_id} over {window.long_minutes} min",
                value=long_ratio / budget.budget,
                reference=limit / budget.budget,
                strength=long_ratio / budget.budget,
                severity=window.severity,
            )
            if best is None or (finding.fires, finding.holds, finding.severity == "critical") > (
                best.fires,
                best.holds,
                best.severity == "critical",
            ):
                best = finding
    return best


def objective_budgets(config: XlaConfig) -> dict[str, dict[str, Budget]]:
    """Per persona, the error budget of each XLA objective the burn rate can check: the
    sample-based ones and failures per exposed hour."""
    budgets: dict[str, dict[str, Budget]] = {}
    for persona, objectives in config.objectives.items():
        for objective in objectives:
            if objective.kind == "share_within":
                budget = Budget(objective.touch_point, 1 - objective.target)
            elif objective.kind == "frustrating_share_at_most":
                budget = Budget(objective.touch_point, objective.target)
            elif objective.kind == "failures_per_hour_at_most":
                budget = Budget(objective.touch_point, objective.target, per_exposed_hour=True)
            else:
                continue
            budgets.setdefault(persona, {})[objective.id] = budget
    return budgets
