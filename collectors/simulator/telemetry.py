"""One endpoint's workday of telemetry: boot, logon, VPN, apps, calls, printing, probes.

Reads: the endpoint, its seeded RNG for the day and the scenario's incidents.
Writes: contract events into a list, plus ``Hurt`` records (moments that cost the
user time) from which the service desk model files tickets and survey answers, and
into ``DayContext.hits`` who each incident touched when (the scenario's truth).
Calls are drawn in ``calls.py``, the session's state changes in ``sessions.py``.

Baseline draws come from the endpoint-day RNG in a fixed order; incident effects
draw from a separate RNG per incident, so a scenario changes only what falls
inside an incident's scope and window.
"""

from __future__ import annotations

import math
import random

from xlapulse.collectors.contract.events import BootEvent, EventBase, LogonEvent
from xlapulse.collectors.simulator.build import event
from xlapulse.collectors.simulator.calls import draw_calls
from xlapulse.collectors.simulator.day import DayContext, Hurt, Workday
from xlapulse.collectors.simulator.profiles import (
    APPS,
    PERSONA_PROFILES,
    SITE_CODES,
    App,
    Endpoint,
)
from xlapulse.collectors.simulator.rhythm import (
    WEEKEND_WORKER_SHARE,
    LocalDay,
    activity_minutes,
    poisson,
)
from xlapulse.collectors.simulator.samples import SAMPLE_BITS
from xlapulse.collectors.simulator.sessions import session_events
from xlapulse.collectors.simulator.vpn import vpn_day

LOGON_SPREAD_SIGMA = 0.35  # lognormal sigma of logon duration
BOOT_MEDIAN_S = 40.0
WEEKEND_SESSION_MIN = (45.0, 180.0)
PRINT_FAILURE_CHANCE = 0.02
PROBE_TIMEOUT_MS = 15_000
TCP_CONNECT_TIMEOUT_MS = 21_000


def plan_workday(
    endpoint: Endpoint, day: LocalDay, rng: random.Random, remote_day_factor: float = 1.0
) -> Workday | None:
    """The person's hours today: every weekday, rarely a short session at the weekend."""
    behaviour = endpoint.behaviour
    if not day.is_workday:
        if rng.random() >= WEEKEND_WORKER_SHARE:
            return None
        start_min = rng.uniform(9 * 60, 15 * 60)
        return Workday(start_min, start_min + rng.uniform(*WEEKEND_SESSION_MIN), remote=True)
    start_min = behaviour.start_local_h * 60 + rng.gauss(0, behaviour.start_spread_min)
    start_min = min(max(start_min, 6 * 60), 12 * 60)
    length_min = behaviour.workday_h * 60 + rng.gauss(0, 30)
    remote_share = behaviour.remote_day_share * remote_day_factor
    return Workday(start_min, start_min + length_min, rng.random() < remote_share)


def morning(
    endpoint: Endpoint, ctx: DayContext, rng: random.Random, hurts: list[Hurt]
) -> tuple[Workday | None, BootEvent | None, LogonEvent | None]:
    """The day plan, the boot and the logon: always the first draws of an endpoint-day."""
    remote_day_factor = ctx.incidents.site(endpoint.site).remote_day_factor
    workday = plan_workday(endpoint, ctx.day, rng, remote_day_factor)
    if workday is None:
        return None, None, None
    boot = _boot(endpoint, ctx, rng, workday, hurts)
    logon = _logon(endpoint, ctx, rng, workday, hurts)
    return workday, boot, logon


def endpoint_day(
    endpoint: Endpoint, ctx: DayContext, rng: random.Random, out: list[EventBase]
) -> list[Hurt]:
    """Append the endpoint's telemetry for the day to ``out``; return what hurt."""
    hurts: list[Hurt] = []
    workday, boot, logon = morning(endpoint, ctx, rng, hurts)
    if workday is None or boot is None or logon is None:
        return hurts
    out.append(boot)
    out.append(logon)
    session_start_min = workday.start_min + logon.logon_duration_ms / 60_000
    session_events(endpoint, ctx, session_start_min, workday.end_min, out)
    offline: list[tuple[float, float]] = []
    if workday.remote:
        offline = vpn_day(endpoint, ctx, rng, session_start_min, workday.end_min, out, hurts)
    for app_name in endpoint.behaviour.apps:
        _app(endpoint, ctx, rng, app_name, session_start_min, workday.end_min, out, hurts)
    draw_calls(endpoint, ctx, rng, workday, session_start_min, out, hurts)
    if not workday.remote:
        _prints(endpoint, ctx, rng, session_start_min, workday.end_min, out, hurts)
    _probes(endpoint, ctx, rng, workday, session_start_min, offline, out)
    return hurts


# --- boot and logon -----------------------------------------------------------


def _boot(
    endpoint: Endpoint, ctx: DayContext, rng: random.Random, workday: Workday, hurts: list[Hurt]
) -> BootEvent:
    core_ms = BOOT_MEDIAN_S * 1000 * math.exp(rng.gauss(0, 0.3))
    scan_ms = rng.uniform(15_000, 70_000) if endpoint.antivirus_boot_scan else 0.0
    boot_ms = round(core_ms + scan_ms)
    main_path_ms = round(core_ms * rng.uniform(0.45, 0.65))
    when = ctx.day.at(workday.start_min - rng.uniform(1.0, 4.0))
    degraded = boot_ms > 60_000
    fields = {
        "boot_duration_ms": boot_ms,
        "main_path_duration_ms": main_path_ms,
        "post_boot_duration_ms": boot_ms - main_path_ms,
        "profile_processing_duration_ms": round(rng.uniform(2_000, 8_000)),
        "explorer_init_duration_ms": round(rng.uniform(800, 3_000)),
        "startup_app_count": rng.randint(8, 25),
        "is_degradation": degraded,
    }
    if degraded:
        fields["degrading_components"] = (
            ["Microsoft Defender Antivirus (MsMpEng.exe)"] if scan_ms else ["OneDrive.exe"]
        )
    if scan_ms:
        fields["antivirus_scan_duration_ms"] = round(scan_ms)
        fields["antivirus_scan_share_ratio"] = round(scan_ms / boot_ms, 3)
    if boot_ms > 120_000:
        hurts.append(Hurt(when, "boot", (boot_ms - 60_000) / 1000, 0.02))
    return event("boot", rng, when, endpoint.user_id, endpoint.device_id, fields)  # type: ignore[return-value]


def _logon(
    endpoint: Endpoint, ctx: DayContext, rng: random.Random, workday: Workday, hurts: list[Hurt]
) -> LogonEvent:
    when = ctx.day.at(workday.start_min)
    median_s = PERSONA_PROFILES[endpoint.persona][1]
    everyday_s = ctx.incidents.everyday_logon_s(
        endpoint.site, workday.start_min, ctx.day.is_workday
    )
    base_s = median_s * math.exp(rng.gauss(0, LOGON_SPREAD_SIGMA)) + everyday_s
    group_policy_share = rng.uniform(0.2, 0.4)
    extra_s = ctx.incidents.extra_logon_s(endpoint.site, when)
    duration_ms = round((base_s + extra_s) * 1000)
    base_ms = round(base_s * 1000)
    fields = {
        "logon_duration_ms": duration_ms,
        "group_policy_duration_ms": round(base_ms * group_policy_share) + duration_ms - base_ms,
        "profile_load_duration_ms": round(base_ms * 0.25),
        "shell_start_duration_ms": round(base_ms * 0.15),
    }
    logon = event("logon", rng, when, endpoint.user_id, endpoint.device_id, fields)
    incident = next((i.name for i in ctx.incidents.logons if i.extra_at(endpoint.site, when)), None)
    if incident is not None:
        ctx.hit(incident, endpoint, when)
    lost_s = base_s + extra_s - 2 * median_s
    if lost_s > 0:
        hurts.append(Hurt(when, "logon", lost_s, 0.03, incident))
    return logon  # type: ignore[return-value]


# --- VPN --------------------------------------------------------------------------


def _app(
    endpoint: Endpoint,
    ctx: DayContext,
    rng: random.Random,
    app_name: str,
    start_min: float,
    end_min: float,
    out: list[EventBase],
    hurts: list[Hurt],
) -> None:
    app = APPS[app_name]
    hours = (end_min - start_min) / 60
    rate = endpoint.behaviour.slow_transactions_per_app_hour
    plan = [
        ("slow_transaction", activity_minutes(rng, poisson(rng, rate * hours), start_min, end_min)),
        ("hang", activity_minutes(rng, poisson(rng, 0.05), start_min, end_min)),
        ("crash", activity_minutes(rng, poisson(rng, 0.02), start_min, end_min)),
    ]
    releases = [
        (
            release,
            max(start_min, ctx.day.minute_of(release.start)),
            min(end_min, ctx.day.minute_of(release.end)),
        )
        for release in ctx.incidents.app_releases
        if release.app == app_name and endpoint.index in ctx.release_users[release.name]
    ]
    releases = [(release, first, last) for release, first, last in releases if first < last]
    versions = [(first, last, release.version) for release, first, last in releases]
    writer = _AppWriter(endpoint, ctx, app, versions, out, hurts)
    for kind, minutes in plan:
        for minute in minutes:
            writer.emit(rng, kind, minute, None)
    for release, first, last in releases:
        if release.harmless:
            continue
        release_rng = ctx.incident_rng(endpoint, release.name)
        hours_hit = (last - first) / 60
        rates = (
            ("hang", release.hangs_per_hour),
            ("crash", release.crashes_per_hour),
            ("slow_transaction", release.slow_transactions_per_hour),
        )
        for kind, per_hour in rates:
            count = poisson(release_rng, per_hour * hours_hit)
            for minute in activity_minutes(release_rng, count, first, last):
                writer.emit(release_rng, kind, minute, release.name)


class _AppWriter:
    """Writes app_responsiveness events of one app on one endpoint-day (release-aware)."""

    def __init__(
        self,
        endpoint: Endpoint,
        ctx: DayContext,
        app: App,
        release_versions: list[tuple[float, float, str]],
        out: list[EventBase],
        hurts: list[Hurt],
    ) -> None:
        self._endpoint, self._ctx, self._out, self._hurts = endpoint, ctx, out, hurts
        self._app, self._releases = app, release_versions

    def _version_at(self, minute: float) -> str:
        for first, last, version in self._releases:
            if first <= minute < last:
                return version
        return self._app.version

    def emit(self, rng: random.Random, kind: str, minute: float, incident: str | None) -> None:
        app = self._app
        fields: dict[str, object] = {
            "kind": kind,
            "app_name": app.name,
            "app_version": self._version_at(minute),
            "transaction_name": app.transactions[int(rng.random() * len(app.transactions))],
        }
        when = self._ctx.day.at(minute)
        if kind == "slow_transaction":
            duration_ms = round(app.slow_transaction_ms * math.exp(rng.gauss(0, 0.5)))
            if duration_ms > 30_000:
                self._hurts.append(Hurt(when, "application", duration_ms / 1000, 0.01, incident))
        elif kind == "hang":
            duration_ms = round(rng.uniform(5_000, 90_000))
            self._hurts.append(Hurt(when, "application", duration_ms / 1000, 0.05, incident))
        else:
            duration_ms = None
            fields["exception_code"] = "0xc0000005"
            self._hurts.append(Hurt(when, "application", rng.uniform(120, 600), 0.1, incident))
        if duration_ms is not None:
            fields["duration_ms"] = duration_ms
        if incident is not None:
            self._ctx.hit(incident, self._endpoint, when)
        user, device = self._endpoint.user_id, self._endpoint.device_id
        self._out.append(event("app_responsiveness", rng, when, user, device, fields))


# --- printing, probes ---------------------------------------------------------------


def _prints(
    endpoint: Endpoint,
    ctx: DayContext,
    rng: random.Random,
    start_min: float,
    end_min: float,
    out: list[EventBase],
    hurts: list[Hurt],
) -> None:
    code = SITE_CODES[endpoint.site]
    count = poisson(rng, endpoint.behaviour.prints_per_office_day)
    for minute in activity_minutes(rng, count, start_min, end_min):
        when = ctx.day.at(minute)
        fields: dict[str, object] = {
            # a Windows printer connection through the site's print server
            "printer": f"\\\\prt-{code}\\prn-{code}-{rng.randint(1, 4):02d}",
            "page_count": rng.randint(1, 20),
        }
        baseline_failure = rng.random() < PRINT_FAILURE_CHANCE
        error_code = rng.choice((5, 1801, 1804))
        outage = next(
            (
                window
                for window in ctx.incidents.print_outages
                if window.site == endpoint.site and window.start <= when < window.end
            ),
            None,
        )
        if outage is not None:
            fields.update(outcome="failed", error_code=1722)  # RPC server unavailable
            hurts.append(Hurt(when, "printing", 600, 0.15, outage.name))
            ctx.hit(outage.name, endpoint, when)
        elif baseline_failure:
            fields.update(outcome="failed", error_code=error_code)
            hurts.append(Hurt(when, "printing", 300, 0.15))
        else:
            fields["outcome"] = "printed"
        out.append(event("print_job", rng, when, endpoint.user_id, endpoint.device_id, fields))


def _probes(
    endpoint: Endpoint,
    ctx: DayContext,
    rng: random.Random,
    workday: Workday,
    start_min: float,
    offline: list[tuple[float, float]],
    out: list[EventBase],
) -> None:
    """Every ``probe_interval_min`` during the session, one timed probe per persona app."""
    interval = ctx.probe_interval_min
    vpn_connect_ms = 25 if workday.remote else 0
    vpn_connect_ms += ctx.incidents.site(endpoint.site).extra_connect_ms
    minute = start_min + rng.uniform(0, interval)
    user, device = endpoint.user_id, endpoint.device_id
    apps = [APPS[name] for name in endpoint.behaviour.apps]
    samples, pick = ctx.samples.probes, rng.getrandbits
    while minute < workday.end_min:
        when = ctx.day.at(minute)
        is_offline = bool(offline) and any(down <= minute < up for down, up in offline)
        for app in apps:
            roll, dns_ms, connect_ms, tls_ms, backend_factor = samples[pick(SAMPLE_BITS)]
            fields: dict[str, object] = {"app_name": app.name, "target_host": app.probe_host}
            if is_offline:
                fields.update(outcome="connection_error", total_ms=TCP_CONNECT_TIMEOUT_MS)
            elif roll < 0.002:
                fields.update(outcome="timeout", dns_ms=dns_ms, total_ms=PROBE_TIMEOUT_MS)
            else:
                # Phase marks are cumulative from the start, as the collector measures them.
                connected_at_ms = dns_ms + connect_ms + vpn_connect_ms
                tls_done_at_ms = connected_at_ms + tls_ms
                first_byte_at_ms = tls_done_at_ms + round(app.backend_ms * backend_factor)
                fields["dns_ms"] = dns_ms
                fields["connect_ms"] = connected_at_ms
                fields["tls_ms"] = tls_done_at_ms
                fields["first_byte_ms"] = first_byte_at_ms
                fields["total_ms"] = first_byte_at_ms + 20
                ok = roll >= 0.004
                fields["outcome"] = "ok" if ok else "http_error"
                fields["status_code"] = 200 if ok else 503
            out.append(event("synthetic_probe", rng, when, user, device, fields))
        minute += interval
