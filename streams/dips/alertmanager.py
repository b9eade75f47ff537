"""Dips as Prometheus Alertmanager alerts: one alert per open dip, resolved when it closes.

Reads dip events (``collectors/contract/outputs.py``); writes to Alertmanager's API,
``POST /api/v2/alerts``. Routing, grouping, silences and inhibition are then
Alertmanager's. Alertmanager resolves an alert that is not re-sent within its
``resolve_timeout`` (5 min by default), so every open dip is re-sent each
``resend_interval_s``, as Prometheus re-sends firing alerts. While Alertmanager is down
the forwarder keeps every open and every resolved alert and retries with exponential
backoff: nothing is dropped (a dip that opened and closed during the outage arrives
as one resolved alert with its start and end).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp

from xlapulse.collectors.contract.outputs import DipEvent
from xlapulse.streams.dips import metrics
from xlapulse.streams.dips.buckets import ALL_SITES

log = logging.getLogger(__name__)

ALERT_NAME = "XlapulseJourneyDip"
LIVE_DIPS_DASHBOARD_UID = "xlapulse-live-dips"


class AlertmanagerError(RuntimeError):
    """Alertmanager cannot be used as configured (wrong URL, credentials, or down)."""


def _rfc3339(event_time: Any) -> str:
    return event_time.isoformat().replace("+00:00", "Z")


def alert_for(event: DipEvent, dashboard_url: str) -> dict[str, Any]:
    """The Alertmanager alert of a dip event (``postableAlert`` of the v2 API)."""
    # a dip over all sites links to every site ("$__all" is Grafana's "All" in a URL)
    site = "$__all" if event.site == ALL_SITES else event.site
    link = f"{dashboard_url.rstrip('/')}/d/{LIVE_DIPS_DASHBOARD_UID}?" + urlencode(
        {"var-persona": event.persona, "var-site": site, "var-touch_point": event.touch_point}
    )
    alert: dict[str, Any] = {
        "labels": {
            "alertname": ALERT_NAME,
            "touch_point": event.touch_point,
            "site": event.site,
            "persona": event.persona,
            "severity": event.severity,
            "detector": event.detector,
            "dip_id": event.dip_id,
        },
        "annotations": {
            "summary": event.summary,
            "likely_cause": event.likely_cause or "unknown",
            "affected_people": str(event.affected_people),
            "dashboard": link,
        },
        "startsAt": _rfc3339(event.onset_time),
        "generatorURL": link,
    }
    if event.state == "closed":
        alert["endsAt"] = _rfc3339(event.event_time)
    return alert


@dataclass
class AlertmanagerClient:
    """The v2 API with the configured credentials."""

    url: str
    bearer_token: str = ""
    username: str = ""
    password: str = ""
    timeout_s: float = 5.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise AlertmanagerError(
                f"XLAPULSE_ALERTMANAGER_URL={self.url!r}: not an http(s) URL such as "
                "http://alertmanager:9093"
            )
        if self.bearer_token and self.username:
            raise AlertmanagerError("set a bearer token or a user name and password, not both")

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.bearer_token:
            headers["Authorization"] = f"Bearer {self.bearer_token}"
        elif self.username:
            pair = f"{self.username}:{self.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        return headers

    async def _request(self, method: str, path: str, body: Any = None) -> Any:
        url = self.url.rstrip("/") + path
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                data = None if body is None else json.dumps(body)
                async with session.request(method, url, data=data, headers=self._headers()) as r:
                    text = await r.text()
                    if r.status in (401, 403):
                        raise AlertmanagerError(
                            f"{method} {url}: {r.status}: the credentials were refused"
                        )
                    if r.status >= 400:
                        raise AlertmanagerError(f"{method} {url}: {r.status}: {text[:300]}")
                    return json.loads(text) if text else None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise AlertmanagerError(f"{method} {url}: {error or type(error).__name__}") from error

    async def check(self) -> str:
        """Fail loudly at start-up: the API answers and accepts the credentials."""
        status = await self._request("GET", "/api/v2/status")
        if not isinstance(status, dict) or "versionInfo" not in status:
            raise AlertmanagerError(f"{self.url}: /api/v2/status is not Alertmanager's answer")
        return str(status["versionInfo"].get("version", "?"))

    async def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        await self._request("POST", "/api/v2/alerts", alerts)

    async def alerts(self, **filters: str) -> list[dict[str, Any]]:
        """Alertmanager's current alerts, filtered by label equality."""
        query = "&".join(f"filter={key}%3D%22{value}%22" for key, value in filters.items())
        return await self._request("GET", "/api/v2/alerts" + (f"?{query}" if query else ""))


@dataclass
class AlertForwarder:
    """Keeps open dips' alerts alive in Alertmanager and delivers every resolution."""

    client: AlertmanagerClient
    dashboard_url: str
    resend_interval_s: float = 60.0
    max_backoff_s: float = 60.0
    #: dip id -> alert, for open dips
    firing: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: dip id -> alert with endsAt, not yet delivered
    resolved: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: int = 0
    last_sent_monotonic: float = 0.0
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, event: DipEvent) -> None:
        """Take a dip transition; the next :meth:`send_once` delivers it."""
        alert = alert_for(event, self.dashboard_url)
        if event.state == "closed":
            self.firing.pop(event.dip_id, None)
            self.resolved[event.dip_id] = alert
        else:
            self.firing[event.dip_id] = alert
        self._wake.set()

    @property
    def pending(self) -> int:
        return len(self.firing) + len(self.resolved)

    async def send_once(self) -> None:
        """Post every firing and resolved alert in one request; raises AlertmanagerError."""
        delivered_resolutions = dict(self.resolved)
        alerts = list(self.firing.values()) + list(delivered_resolutions.values())
        if not alerts:
            return
        await self.client.post_alerts(alerts)
        for dip_id in delivered_resolutions:
            self.resolved.pop(dip_id, None)
        self.last_sent_monotonic = time.monotonic()

    async def run(self) -> None:
        """Forever: send on news and every ``resend_interval_s``, backing off on failure."""
        backoff = 1.0
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.resend_interval_s)
            self._wake.clear()
            while True:
                try:
                    await self.send_once()
                    self.failures, backoff = 0, 1.0
                    break
                except AlertmanagerError as error:
                    self.failures += 1
                    metrics.ALERT_FAILURES.inc()
                    log.warning("alertmanager: %s; retrying in %.0f s", error, backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self.max_backoff_s)
