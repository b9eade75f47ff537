"""Prometheus metrics of dip detection and alerting (served with the engine's own)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

DIPS = Counter(
    "xlapulse_dip_transitions_total",
    "Dip transitions published.",
    ["state", "detector", "touch_point"],
)
ALERTS_PENDING = Gauge(
    "xlapulse_alertmanager_pending_alerts",
    "Alerts the forwarder holds: open dips plus resolutions not yet delivered.",
)
ALERT_FAILURES = Counter(
    "xlapulse_alertmanager_send_failures_total", "Failed posts to Alertmanager (retried)."
)
