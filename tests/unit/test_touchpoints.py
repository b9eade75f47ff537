"""Every telemetry type maps to a band and time lost by its published rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from xlapulse.collectors.contract.events import (
    AppResponsivenessEvent,
    BootEvent,
    CallQualityEvent,
    LogonEvent,
    PrintJobEvent,
    SyntheticProbeEvent,
    VpnSessionEvent,
)
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.personas import DEFAULT_PERSONAS, Thresholds
from xlapulse.streams.scoring.touchpoints import indicate

WHO = {
    "event_time": datetime(2026, 11, 23, 8, tzinfo=UTC),
    "user_id": "u_" + "a" * 32,
    "device_id": "d_" + "b" * 32,
}
LIMITS = Thresholds()


@pytest.mark.parametrize(
    ("boot_ms", "band", "lost_ms"),
    [
        (60_000, Band.GOOD, 0),
        (60_001, Band.TOLERATING, 1),
        (120_000, Band.TOLERATING, 60_000),
        (120_001, Band.FRUSTRATING, 60_001),
    ],
)
def test_boot_uses_the_windows_degradation_thresholds(boot_ms, band, lost_ms) -> None:
    indicator = indicate(BootEvent(**WHO, boot_duration_ms=boot_ms), LIMITS)
    assert (indicator.band, indicator.time_lost_ms) == (band, lost_ms)


def test_slow_boot_is_blamed_on_the_antivirus_scan_when_it_ran_long() -> None:
    scanned = BootEvent(**WHO, boot_duration_ms=150_000, antivirus_scan_share_ratio=0.6)
    plain = BootEvent(**WHO, boot_duration_ms=150_000, antivirus_scan_share_ratio=0.1)
    assert indicate(scanned, LIMITS).cause == "antivirus_scan"
    assert indicate(plain, LIMITS).cause == "slow_boot"


def test_logon_is_apdex_against_the_persona_target() -> None:
    agent = DEFAULT_PERSONAS["call_centre_agent"].thresholds  # T = 20 s
    event = LogonEvent(**WHO, logon_duration_ms=45_000, group_policy_duration_ms=30_000)
    indicator = indicate(event, agent)
    assert indicator.band is Band.TOLERATING
    assert indicator.time_lost_ms == 25_000
    assert indicator.cause == "group_policy"
    assert indicate(event, DEFAULT_PERSONAS["field_worker"].thresholds).band is Band.GOOD


def test_vpn_drop_costs_time_and_a_user_disconnect_is_no_sample() -> None:
    dropped = indicate(VpnSessionEvent(**WHO, state="dropped"), LIMITS)
    assert (dropped.band, dropped.time_lost_ms, dropped.cause) == (
        Band.FRUSTRATING,
        LIMITS.vpn_drop_cost_ms,
        "vpn_dropped",
    )
    assert indicate(VpnSessionEvent(**WHO, state="connected"), LIMITS).band is Band.GOOD
    assert indicate(VpnSessionEvent(**WHO, state="disconnected"), LIMITS) is None


def test_app_hang_crash_and_slow_transaction() -> None:
    hang = indicate(
        AppResponsivenessEvent(**WHO, kind="hang", app_name="crm", duration_ms=42_000), LIMITS
    )
    crash = indicate(AppResponsivenessEvent(**WHO, kind="crash", app_name="crm"), LIMITS)
    slow = indicate(
        AppResponsivenessEvent(**WHO, kind="slow_transaction", app_name="crm", duration_ms=7_000),
        LIMITS,
    )
    assert (hang.band, hang.time_lost_ms) == (Band.FRUSTRATING, 42_000)
    assert (crash.band, crash.time_lost_ms) == (Band.FRUSTRATING, LIMITS.app_crash_cost_ms)
    assert (slow.band, slow.time_lost_ms) == (Band.TOLERATING, 4_000)


@pytest.mark.parametrize(
    ("metrics", "cause"),
    [
        ({"network_mos_degradation": 1.1}, "poor_call:network_mos_degradation"),
        ({"round_trip_ms": 501.0}, "poor_call:round_trip"),
        ({"packet_loss_ratio": 0.11}, "poor_call:packet_loss"),
        ({"jitter_ms": 31.0}, "poor_call:jitter"),
        ({"concealed_sample_ratio": 0.08}, "poor_call:concealed_samples"),
        ({"jitter_ms": 5.0, "dropped_segment": True}, "poor_call:dropped_segment"),
    ],
)
def test_each_teams_poor_stream_rule_makes_a_call_frustrating(metrics, cause) -> None:
    event = CallQualityEvent(
        **WHO, call_id="c1", media="audio", direction="inbound", duration_s=300, **metrics
    )
    indicator = indicate(event, LIMITS)
    assert (indicator.band, indicator.cause, indicator.time_lost_ms) == (
        Band.FRUSTRATING,
        cause,
        300_000,
    )


def test_call_at_the_limits_is_good_and_without_metrics_unclassified() -> None:
    at_limits = CallQualityEvent(
        **WHO,
        call_id="c1",
        media="audio",
        direction="inbound",
        network_mos_degradation=1.0,
        round_trip_ms=500.0,
        packet_loss_ratio=0.1,
        jitter_ms=30.0,
        concealed_sample_ratio=0.07,
    )
    assert indicate(at_limits, LIMITS).band is Band.GOOD
    bare = CallQualityEvent(**WHO, call_id="c1", media="video", direction="outbound")
    assert indicate(bare, LIMITS) is None


def test_print_and_probe_outcomes() -> None:
    failed = indicate(PrintJobEvent(**WHO, outcome="failed", printer="p1"), LIMITS)
    assert (failed.band, failed.cause) == (Band.FRUSTRATING, "print_failed")
    ok_probe = SyntheticProbeEvent(
        **WHO, app_name="crm", target_host="crm.example", outcome="ok", total_ms=900
    )
    timeout = SyntheticProbeEvent(
        **WHO, app_name="crm", target_host="crm.example", outcome="timeout", total_ms=30_000
    )
    assert indicate(ok_probe, LIMITS).band is Band.GOOD
    assert indicate(timeout, LIMITS).cause == "probe_timeout"


def test_persona_overrides_change_the_band() -> None:
    strict = DEFAULT_PERSONAS["developer"].with_overrides(
        thresholds={"boot_minor_ms": 30_000, "boot_major_ms": 50_000}
    )
    event = BootEvent(**WHO, boot_duration_ms=55_000)
    assert indicate(event, LIMITS).band is Band.GOOD
    assert indicate(event, strict.thresholds).band is Band.FRUSTRATING


@pytest.mark.parametrize(
    ("logon_ms", "graded", "apdex_score"),
    [
        (30_000, 100.0, 100.0),  # at T
        (31_000, pytest.approx(98.889, abs=1e-3), 50.0),  # 1 s over T: almost good
        (75_000, 50.0, 50.0),  # half-way to 4T
        (120_000, 0.0, 50.0),  # at 4T
        (120_001, 0.0, 0.0),  # frustrating
    ],
)
def test_the_graded_score_falls_linearly_with_the_time_lost(logon_ms, graded, apdex_score) -> None:
    """Formula 3.0: 100 x (4T - duration) / 3T across the tolerating band (T = 30 s)."""
    indicator = indicate(LogonEvent(**WHO, logon_duration_ms=logon_ms), LIMITS)
    assert (indicator.graded_score, indicator.score) == (graded, apdex_score)


def test_a_boot_grades_between_the_minor_and_the_major_degradation() -> None:
    assert indicate(BootEvent(**WHO, boot_duration_ms=90_000), LIMITS).graded_score == 50.0
    hang = indicate(AppResponsivenessEvent(**WHO, app_name="crm", kind="hang"), LIMITS)
    assert (hang.graded_score, hang.score) == (0.0, 0.0), "outcomes without a duration"
