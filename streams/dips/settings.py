"""Dip-detection settings: thresholds of the three detectors and of the dip life cycle.

Read from a YAML file (``XLAPULSE_DIPS_FILE``) or the built-in defaults. Every mistake
in the file is reported as ``file:line:column: where: what`` (``collectors/yamlfile.py``).
Writes nothing. The meaning of each setting is in ``streams/dips/README.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xlapulse.collectors.yamlfile import load_yaml_model

Positive = Annotated[float, Field(gt=0)]
Minutes = Annotated[int, Field(ge=1, le=24 * 60)]


class BurnRateWindow(BaseModel):
    """One multiwindow burn-rate alert: long window confirmed by a short one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    long_minutes: Minutes
    short_minutes: Minutes
    burn_rate: Positive
    severity: str = Field(pattern="^(warning|critical)$")

    @model_validator(mode="after")
    def _short_within_long(self) -> BurnRateWindow:
        if self.short_minutes >= self.long_minutes:
            raise ValueError("short_minutes must be below long_minutes")
        return self


class DipSettings(BaseModel):
    """All tunables; the defaults are the ones the evaluation measured."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: a dip opens only once this many distinct people were affected since its onset
    min_affected_people: Annotated[int, Field(ge=5)] = 5
    #: the rolling windows the peer and seasonal detectors compare, in minutes: the short
    #: one sees an acute outage at a busy site at once, the long one a sparse trickle
    short_window_minutes: Minutes = 5
    window_minutes: Minutes = 15
    #: an open dip also holds while this many minutes of the site still stand out (a quiet
    #: site's outage must not close and reopen between the few people who retry)
    hold_window_minutes: Minutes = 30
    #: the peers' pooled rate, for the significance test, is taken over this many minutes
    reference_minutes: Minutes = 60
    #: a site needs this many samples in the window to be judged, or to be a peer
    min_samples: Annotated[int, Field(ge=1)] = 3
    #: and bad samples of at least this many people in the window
    min_people_in_window: Annotated[int, Field(ge=1)] = 2
    #: peers: at least this many other sites with data
    min_peers: Annotated[int, Field(ge=1)] = 2
    #: robust z-score (median and MAD) at which a detector fires, and below which it holds
    open_z: Positive = 3.5
    hold_z: Positive = 2.0
    #: how unlikely the scope's own samples must be under the reference's rate (a
    #: p-value: binomial for badness, normal for mean time lost) to fire, and to hold
    open_p_value: Annotated[float, Field(gt=0, lt=1)] = 1e-6
    hold_p_value: Annotated[float, Field(gt=0, lt=1)] = 1e-2
    #: a rise in time lost also needs more samples over the threshold than the reference
    #: explains, this unlikely (detectors.py): a few broken calls are not an incident
    time_lost_backing_p_value: Annotated[float, Field(gt=0, lt=1)] = 1e-3
    #: the least difference from the reference that counts, per metric
    min_badness_delta: Annotated[float, Field(gt=0, le=1)] = 0.2
    #: 20 s per sample: twice the 10 s limit of attention (Nielsen), the same level at
    #: which the scores count a silent sufferer
    min_time_lost_delta_s: Positive = 20.0
    #: failures per exposed hour (app crashes and hangs, VPN drops; dips/failure_rate.py):
    #: the least rise over the usual rate that counts (0.5: one more failure every two
    #: hours of use, ten times the calm maximum of a persona's day), the usual rate
    #: assumed at least (a spotless past still fails now and then: one per 20 hours),
    #: and the exposure a window needs to be judged
    min_failure_rate_delta_per_hour: Positive = 0.5
    baseline_failures_per_hour: Positive = 0.05
    min_rate_exposed_hours: Positive = 1.0
    #: a candidate opens only when it still fires this many minutes after its onset
    #: began (counting the onset's minute: the minimum duration, in event time)
    min_firing_minutes: Minutes = 2
    #: a candidate that has not fired for this long is dropped; an open dip closes
    #: after this many minutes without firing (hysteresis)
    candidate_grace_minutes: Minutes = 20
    close_after_minutes: Minutes = 30
    #: an open dip sends an update at most this often, and only when it changed
    update_every_minutes: Minutes = 5
    #: seasonal baseline: hour of the week over this many past weeks, used from min_weeks on
    seasonal_weeks: Annotated[int, Field(ge=2, le=52)] = 8
    seasonal_min_weeks: Annotated[int, Field(ge=2, le=52)] = 3
    #: until then, on working days: hour of the day over this many past working days,
    #: used from min_days on (an incident everywhere at once has no peer to stand out from)
    seasonal_days: Annotated[int, Field(ge=2, le=30)] = 5
    seasonal_min_days: Annotated[int, Field(ge=2, le=30)] = 3
    #: the working-day baseline is thinner and mixes weekdays: it fires only on samples
    #: this unlikely (instead of open_p_value)
    seasonal_days_open_p_value: Annotated[float, Field(gt=0, lt=1)] = 1e-9
    #: burn-rate alerting of XLA objectives (Google SRE Workbook, "Alerting on SLOs")
    burn_rate_windows: tuple[BurnRateWindow, ...] = (
        BurnRateWindow(long_minutes=60, short_minutes=5, burn_rate=14.4, severity="critical"),
        BurnRateWindow(long_minutes=360, short_minutes=30, burn_rate=6.0, severity="warning"),
    )
    #: touch points whose share-of-samples objectives are not burn-rate checked: app
    #: telemetry reports only crashes, hangs and slow transactions (no ordinary ones),
    #: so a share among them has no denominator and would always burn. Their
    #: ``failures_per_hour_at_most`` objectives divide by exposure and are checked.
    burn_rate_skip_touch_points: tuple[str, ...] = ("app",)
    #: the miss share at which any window burns, whatever the budget (detectors.Budget)
    burn_rate_max_ratio: Annotated[float, Field(gt=0, le=1)] = 0.5
    #: a burn-rate window needs this many objective samples before it is judged
    burn_rate_min_samples: Annotated[int, Field(ge=1)] = 20
    #: ... or, for failures per exposed hour, this much exposed time in its long window
    burn_rate_min_exposed_hours: Annotated[float, Field(gt=0)] = 10.0
    #: a dip is critical at this badness or this many affected people, else a warning
    critical_badness: Annotated[float, Field(gt=0, le=1)] = 0.5
    critical_people: Annotated[int, Field(ge=5)] = 25

    @model_validator(mode="after")
    def _consistent(self) -> DipSettings:
        if self.hold_z > self.open_z:
            raise ValueError("hold_z must not be above open_z")
        if self.short_window_minutes > self.window_minutes:
            raise ValueError("short_window_minutes must not be above window_minutes")
        if self.seasonal_min_weeks > self.seasonal_weeks:
            raise ValueError("seasonal_min_weeks must not be above seasonal_weeks")
        if self.seasonal_min_days > self.seasonal_days:
            raise ValueError("seasonal_min_days must not be above seasonal_days")
        return self

    def history_minutes(self) -> int:
        """How many minutes of buckets a scope must keep for every detector."""
        longest = max((w.long_minutes for w in self.burn_rate_windows), default=0)
        return max(longest, self.window_minutes, self.reference_minutes, self.close_after_minutes)


def load_dip_settings(path: Path | str | None) -> DipSettings:
    """The file's settings, or the defaults when ``path`` is None or empty."""
    if not path:
        return DipSettings()
    return load_yaml_model(path, DipSettings)
