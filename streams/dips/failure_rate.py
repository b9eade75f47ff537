"""The seasonal detector on failures per exposed hour: an app release that crashes and
hangs for one persona at every site at once.

Such a release has no peer to stand out from (every site is hit), and the app's badness
is a share among reported failures (collectors report no ordinary transaction), so it
barely moves. Its rate per exposed hour does: crashes and hangs over the time people
were active (``exposure_minutes.py``). :func:`seasonal_rate` compares the window's rate
with the scope's own rate at this hour in past weeks (or working days), robustly (median
and MAD, as :func:`~xlapulse.streams.dips.detectors.seasonal`), and asks how unlikely the
window's failure count is under the usual rate (a Poisson tail). Reads window totals and
the past hours' rates; writes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import median

from xlapulse.streams.dips.detectors import Finding, WindowTotals, robust_z
from xlapulse.streams.dips.settings import DipSettings
from xlapulse.streams.scoring.exposure_clock import HOUR_MS

METRIC = "failures_per_hour"


def poisson_tail(count: int, mean: float) -> float:
    """P(X >= count) for X ~ Poisson(mean), summed in log space from ``count`` up."""
    if count <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    log_mean = math.log(mean)
    terms = []
    k = count
    while True:
        term = k * log_mean - mean - math.lgamma(k + 1)
        terms.append(term)
        if k > mean and term < terms[0] - 40:  # the rest adds nothing measurable
            break
        k += 1
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(term - top) for term in terms))


def seasonal_rate(
    totals: WindowTotals,
    past_rates: Sequence[float],
    min_depth: int,
    settings: DipSettings,
    open_p_value: float | None = None,
) -> Finding | None:
    """The window's failures per exposed hour against the scope's past rates at this
    hour; judged once ``min_depth`` past hours are known and the window has
    ``min_rate_exposed_hours`` of exposure."""
    exposed_hours = totals.exposed_ms / HOUR_MS
    if (
        len(past_rates) < min_depth
        or exposed_hours < settings.min_rate_exposed_hours
        or len(totals.affected_users) < settings.min_people_in_window
    ):
        return None
    rate = totals.failures / exposed_hours
    usual = max(median(past_rates), settings.baseline_failures_per_hour)
    z, _ = robust_z(rate, past_rates, METRIC)
    delta = rate - usual
    p_value = poisson_tail(totals.failures, usual * exposed_hours)
    open_p_value = settings.open_p_value if open_p_value is None else open_p_value
    return Finding(
        "seasonal",
        fires=z >= settings.open_z
        and delta >= settings.min_failure_rate_delta_per_hour
        and p_value <= open_p_value,
        holds=z >= settings.hold_z
        and delta >= settings.min_failure_rate_delta_per_hour / 2
        and p_value <= settings.hold_p_value,
        metric=METRIC,
        value=rate,
        reference=usual,
        strength=z,
    )
