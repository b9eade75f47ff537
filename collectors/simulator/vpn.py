"""A simulated endpoint's VPN day: sessions that connect, drop and disconnect, and the
failed attempts during a concentrator outage.

Read by ``telemetry.endpoint_day``; writes the day's VPN events into its list.
"""

from __future__ import annotations

import math
import random

from xlapulse.collectors.contract.events import EventBase
from xlapulse.collectors.simulator.build import event
from xlapulse.collectors.simulator.day import DayContext, Hurt
from xlapulse.collectors.simulator.incidents import Window
from xlapulse.collectors.simulator.profiles import (
    SITE_CODES,
    Endpoint,
)

VPN_CONNECT_FAILURE_CHANCE = 0.02
VPN_DROP_CHANCE = 0.05


def vpn_day(
    endpoint: Endpoint,
    ctx: DayContext,
    rng: random.Random,
    start_min: float,
    end_min: float,
    out: list[EventBase],
    hurts: list[Hurt],
) -> list[tuple[float, float]]:
    """VPN sessions of a remote day; returns the offline intervals (local minutes)."""
    gateway = f"vpn-{SITE_CODES[endpoint.site]}-01"
    connect_fails = rng.random() < VPN_CONNECT_FAILURE_CHANCE
    retry_min = rng.uniform(1.0, 2.0)
    drop_min = rng.uniform(start_min, end_min) if rng.random() < VPN_DROP_CHANCE else None
    reconnect_min = rng.uniform(0.5, 3.0)
    outage = _vpn_outage(endpoint, ctx, start_min, end_min)
    vpn = _VpnWriter(endpoint, ctx, rng, gateway, out)
    offline: list[tuple[float, float]] = []
    t = start_min
    if connect_fails:
        vpn.emit("failed", t, reason="connection attempt timed out", error_code=809)
        hurts.append(Hurt(ctx.day.at(t), "vpn", retry_min * 60, 0.03))
        t += retry_min
    connected_since: float | None = None
    if outage is not None and outage[1].start <= ctx.day.at(t):
        t = connected_since = _outage_attempts(
            endpoint, ctx, outage, (t, end_min), None, vpn, offline, hurts
        )
        outage = None
    while t < end_min:
        if connected_since is None:
            vpn.emit("connected", t)
            connected_since = t
        outage_start = outage[0] if outage is not None and outage[0] > t else math.inf
        next_break = min(end_min, outage_start, drop_min if drop_min and drop_min > t else math.inf)
        if next_break == end_min:
            vpn.emit("disconnected", end_min, reason="user disconnected", since=connected_since)
            break
        if next_break == outage_start and outage is not None:
            t = connected_since = _outage_attempts(
                endpoint, ctx, outage, (t, end_min), connected_since, vpn, offline, hurts
            )
            outage = None
            continue
        vpn.emit("dropped", next_break, "network lost", 829, since=connected_since)
        hurts.append(Hurt(ctx.day.at(next_break), "vpn", reconnect_min * 60, 0.05))
        offline.append((next_break, next_break + reconnect_min))
        t, drop_min, connected_since = next_break + reconnect_min, None, None
    return offline


def _vpn_outage(
    endpoint: Endpoint, ctx: DayContext, start_min: float, end_min: float
) -> tuple[float, Window] | None:
    """The first concentrator failure hitting this user's session: (start minute, window)."""
    session = (ctx.day.at(start_min), ctx.day.at(end_min))
    for window in ctx.incidents.vpn_outages:
        if window.hits(endpoint.site, endpoint.persona) and window.overlaps(*session):
            return ctx.day.minute_of(window.start), window
    return None


def _outage_attempts(
    endpoint: Endpoint,
    ctx: DayContext,
    outage: tuple[float, Window],
    span: tuple[float, float],
    session_start: float | None,
    vpn: _VpnWriter,
    offline: list[tuple[float, float]],
    hurts: list[Hurt],
) -> float:
    """Drop (if connected), failed reconnects until the concentrator is back, a long reconnect.

    Every event here draws from the incident's own RNG, so the endpoint's baseline
    draws (and so its events outside the window) stay as they were.
    """
    window = outage[1]
    t, end_min = span
    incident_rng = ctx.incident_rng(endpoint, window.name)
    outage_end = ctx.day.minute_of(window.end)
    down_at = max(t, outage[0] + incident_rng.uniform(0.0, 3.0))
    if session_start is not None:
        vpn.emit("dropped", down_at, "concentrator unreachable", 829, session_start, incident_rng)
    attempt = down_at + incident_rng.uniform(0.5, 2.0)
    while attempt < outage_end:
        vpn.emit("failed", attempt, "gateway did not respond", 809, None, incident_rng)
        attempt += incident_rng.uniform(2.0, 8.0)
    back_at = max(attempt, outage_end + incident_rng.uniform(2.0, 15.0))
    ctx.hit(window.name, endpoint, ctx.day.at(down_at))
    offline.append((down_at, back_at))
    hurts.append(Hurt(ctx.day.at(down_at), "vpn", (back_at - down_at) * 60, 0.3, window.name))
    if back_at < end_min:
        vpn.emit("connected", back_at, None, None, None, incident_rng)
    return back_at


class _VpnWriter:
    """Writes vpn_session events of one endpoint-day."""

    def __init__(
        self,
        endpoint: Endpoint,
        ctx: DayContext,
        rng: random.Random,
        gateway: str,
        out: list[EventBase],
    ) -> None:
        self._endpoint, self._ctx, self._rng = endpoint, ctx, rng
        self._gateway, self._out = gateway, out

    def emit(
        self,
        state: str,
        minute: float,
        reason: str | None = None,
        error_code: int | None = None,
        since: float | None = None,
        rng: random.Random | None = None,
    ) -> None:
        fields: dict[str, object] = {"state": state, "vpn_gateway": self._gateway}
        if reason is not None:
            fields["reason"] = reason
        if error_code is not None:
            fields["error_code"] = error_code
        if since is not None:
            fields["session_duration_s"] = round((minute - since) * 60)
        self._out.append(
            event(
                "vpn_session",
                rng or self._rng,
                self._ctx.day.at(minute),
                self._endpoint.user_id,
                self._endpoint.device_id,
                fields,
            )
        )


# --- applications ---------------------------------------------------------------
