"""Map one telemetry event to a touch-point indicator: a band and the time it cost.

Reads a validated contract event and the persona's :class:`Thresholds`; writes
nothing. Each touch point follows a published rule where one exists:

==========  =================================================================
boot        Windows Diagnostics-Performance: <= 60 s good, <= 120 s tolerating
            (minor degradation), above that frustrating (major); time lost
            is the part above 60 s.
logon       Apdex: <= T good, <= 4T tolerating, above frustrating; time lost
            over T.
vpn         a connection is good; a drop or a failed connect is frustrating
            and costs ``vpn_drop_cost_ms``; a user's own disconnect is no
            experience sample.
app         slow transactions by Apdex against the app target; a hang costs
            its duration (or ``app_hang_cost_ms``), a crash ``app_crash_cost_ms``.
call        Teams Call Quality Dashboard: a stream is poor (frustrating) if
            any rule is broken (network MOS degradation > 1.0, round trip
            > 500 ms, packet loss > 10 %, jitter > 30 ms, concealed samples
            > 7 %) or a segment dropped; its duration is time lost. A stream
            with no metrics is unclassified, as in CQD, and not scored.
print       printed is good; a failure is frustrating and costs
            ``print_failure_cost_ms``.
probe       a synthetic transaction by Apdex on its total time; an error
            is frustrating and costs ``probe_failure_cost_ms``.
==========  =================================================================

The Apdex score of a sample is its Apdex weight times 100: good 100, tolerating
50, frustrating 0, so the mean of sample scores is 100 x Apdex. Its graded score
(formula 3.0) follows its time lost instead: 100 up to the threshold, then falling
linearly to 0 where frustrating begins (4T; boot: the major degradation), so a
sample just over T scores near 100 and one near 4T near 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from xlapulse.collectors.contract.events import (
    AppResponsivenessEvent,
    BootEvent,
    CallQualityEvent,
    LogonEvent,
    PrintJobEvent,
    SessionEvent,
    SyntheticProbeEvent,
    TelemetryEvent,
    VpnSessionEvent,
)
from xlapulse.streams.scoring.formulas import time_lost_ms
from xlapulse.streams.scoring.indicators import APDEX_TOLERATING_FACTOR, Band, classify_duration
from xlapulse.streams.scoring.personas import Thresholds

SAMPLE_SCORE = {Band.GOOD: 100.0, Band.TOLERATING: 50.0, Band.FRUSTRATING: 0.0}
#: A boot counts as slowed by the antivirus when its start-up scan ran this share of it.
ANTIVIRUS_BLAME_SHARE_RATIO = 0.3


@dataclass(frozen=True)
class Indicator:
    """How one event felt at its touch point.

    ``measured_ms`` is the duration compared with ``threshold_ms`` (``None`` for
    outcomes without a duration, such as a VPN drop); ``cause`` names what went
    wrong when the band is not good, for ticket correlation and dashboards.
    """

    touch_point: str
    band: Band
    measured_ms: int | None
    threshold_ms: int | None
    time_lost_ms: int
    cause: str | None = None
    #: Where frustrating begins (4T; boot: the major degradation), for a duration.
    frustrating_above_ms: int | None = None

    @property
    def score(self) -> float:
        """The Apdex score: good 100, tolerating 50, frustrating 0."""
        return SAMPLE_SCORE[self.band]

    @property
    def graded_score(self) -> float:
        """The score by time lost: 100 at or under the threshold, linear down to 0 at
        ``frustrating_above_ms``, 0 when frustrating (formula 3.0)."""
        if self.band is not Band.TOLERATING:
            return self.score
        if None in (self.measured_ms, self.threshold_ms, self.frustrating_above_ms):
            return self.score
        assert self.measured_ms is not None and self.threshold_ms is not None
        assert self.frustrating_above_ms is not None
        span_ms = self.frustrating_above_ms - self.threshold_ms
        return 100.0 * (self.frustrating_above_ms - self.measured_ms) / span_ms


def _boot(event: BootEvent, limits: Thresholds) -> Indicator:
    duration = event.boot_duration_ms
    if duration <= limits.boot_minor_ms:
        band = Band.GOOD
    elif duration <= limits.boot_major_ms:
        band = Band.TOLERATING
    else:
        band = Band.FRUSTRATING
    cause = None
    if band is not Band.GOOD:
        scan_share = event.antivirus_scan_share_ratio or 0.0
        cause = "antivirus_scan" if scan_share >= ANTIVIRUS_BLAME_SHARE_RATIO else "slow_boot"
    return Indicator(
        "boot",
        band,
        duration,
        limits.boot_minor_ms,
        time_lost_ms(duration, limits.boot_minor_ms),
        cause,
        limits.boot_major_ms,
    )


def _logon(event: LogonEvent, limits: Thresholds) -> Indicator:
    duration, target = event.logon_duration_ms, limits.logon_target_ms
    band = classify_duration(duration, target)
    cause = None
    if band is not Band.GOOD:
        phases = {
            "group_policy": event.group_policy_duration_ms or 0,
            "profile_load": event.profile_load_duration_ms or 0,
            "shell_start": event.shell_start_duration_ms or 0,
        }
        slowest = max(phases, key=phases.__getitem__)
        cause = slowest if phases[slowest] * 2 >= duration else "slow_logon"
    return Indicator(
        "logon",
        band,
        duration,
        target,
        time_lost_ms(duration, target),
        cause,
        APDEX_TOLERATING_FACTOR * target,
    )


def _vpn(event: VpnSessionEvent, limits: Thresholds) -> Indicator | None:
    if event.state == "disconnected":
        return None
    if event.state == "connected":
        return Indicator("vpn", Band.GOOD, None, None, 0)
    return Indicator(
        "vpn", Band.FRUSTRATING, None, None, limits.vpn_drop_cost_ms, f"vpn_{event.state}"
    )


def _app(event: AppResponsivenessEvent, limits: Thresholds) -> Indicator | None:
    if event.kind == "crash":
        return Indicator("app", Band.FRUSTRATING, None, None, limits.app_crash_cost_ms, "app_crash")
    if event.kind == "hang":
        lost = event.duration_ms if event.duration_ms is not None else limits.app_hang_cost_ms
        return Indicator("app", Band.FRUSTRATING, event.duration_ms, None, lost, "app_hang")
    if event.duration_ms is None:
        return None
    target = limits.app_transaction_target_ms
    band = classify_duration(event.duration_ms, target)
    cause = None if band is Band.GOOD else "slow_app"
    return Indicator(
        "app",
        band,
        event.duration_ms,
        target,
        time_lost_ms(event.duration_ms, target),
        cause,
        APDEX_TOLERATING_FACTOR * target,
    )


def _broken_call_rules(event: CallQualityEvent, limits: Thresholds) -> list[str]:
    rules = (
        (
            "network_mos_degradation",
            event.network_mos_degradation,
            limits.call_max_network_mos_degradation,
        ),
        ("round_trip", event.round_trip_ms, limits.call_max_round_trip_ms),
        ("packet_loss", event.packet_loss_ratio, limits.call_max_packet_loss_ratio),
        ("jitter", event.jitter_ms, limits.call_max_jitter_ms),
        ("concealed_samples", event.concealed_sample_ratio, limits.call_max_concealed_sample_ratio),
    )
    return [name for name, value, limit in rules if value is not None and value > limit]


def _call(event: CallQualityEvent, limits: Thresholds) -> Indicator | None:
    broken = _broken_call_rules(event, limits)
    if event.dropped_segment:
        broken.insert(0, "dropped_segment")
    metrics = (
        event.network_mos_degradation,
        event.round_trip_ms,
        event.packet_loss_ratio,
        event.jitter_ms,
        event.concealed_sample_ratio,
    )
    if not broken and all(value is None for value in metrics):
        return None  # CQD "unclassified"
    duration_ms = event.duration_s * 1000 if event.duration_s is not None else None
    if not broken:
        return Indicator("call", Band.GOOD, duration_ms, None, 0)
    return Indicator(
        "call", Band.FRUSTRATING, duration_ms, None, duration_ms or 0, f"poor_call:{broken[0]}"
    )


def _print(event: PrintJobEvent, limits: Thresholds) -> Indicator:
    if event.outcome == "printed":
        return Indicator("print", Band.GOOD, None, None, 0)
    return Indicator(
        "print", Band.FRUSTRATING, None, None, limits.print_failure_cost_ms, "print_failed"
    )


def _probe(event: SyntheticProbeEvent, limits: Thresholds) -> Indicator:
    if event.outcome != "ok":
        return Indicator(
            "probe",
            Band.FRUSTRATING,
            event.total_ms,
            limits.probe_target_ms,
            limits.probe_failure_cost_ms,
            f"probe_{event.outcome}",
        )
    target = limits.probe_target_ms
    band = classify_duration(event.total_ms, target)
    cause = None if band is Band.GOOD else "slow_probe"
    return Indicator(
        "probe",
        band,
        event.total_ms,
        target,
        time_lost_ms(event.total_ms, target),
        cause,
        APDEX_TOLERATING_FACTOR * target,
    )


def _exposure(event: SessionEvent, limits: Thresholds) -> None:
    """Session changes (contract 1.3) measure exposure, not experience: no sample yet."""
    return None


_INDICATORS = {
    BootEvent: _boot,
    LogonEvent: _logon,
    VpnSessionEvent: _vpn,
    AppResponsivenessEvent: _app,
    CallQualityEvent: _call,
    PrintJobEvent: _print,
    SyntheticProbeEvent: _probe,
    SessionEvent: _exposure,
}


def indicate(event: TelemetryEvent, limits: Thresholds) -> Indicator | None:
    """The indicator of one telemetry event, or ``None`` when it is no experience sample."""
    try:
        rule = _INDICATORS[type(event)]
    except KeyError:
        raise TypeError(f"no touch-point rule for {type(event).__name__}") from None
    return rule(event, limits)  # type: ignore[operator]
