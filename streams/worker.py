"""Run one engine worker: the Faust app plus a Prometheus scrape endpoint.

Reads ``XLAPULSE_*`` settings; serves metrics on ``XLAPULSE_METRICS_HOST``
(default 127.0.0.1) and ``XLAPULSE_METRICS_PORT`` (0 disables) at ``/metrics``.
"""

from __future__ import annotations

import asyncio
import logging

from faust import Worker
from prometheus_client import start_http_server

from xlapulse.collectors.settings import XlapulseSettings
from xlapulse.streams.app import build_app
from xlapulse.streams.dips.agents import alert_forwarder
from xlapulse.streams.dips.alertmanager import AlertmanagerError


def check_alertmanager(settings: XlapulseSettings) -> None:
    """Fail at start-up, with the reason, when the configured Alertmanager cannot be used."""
    try:
        forwarder = alert_forwarder(settings)
        if forwarder is None:
            return
        version = asyncio.run(forwarder.client.check())
    except AlertmanagerError as error:
        raise SystemExit(f"xlapulse worker: Alertmanager: {error}") from error
    logging.getLogger(__name__).info("alertmanager %s at %s", version, settings.alertmanager_url)


def run_worker(settings: XlapulseSettings) -> None:
    """Start the worker and block until it is stopped by a signal."""
    check_alertmanager(settings)
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.metrics_host)
    app = build_app(settings)
    Worker(app, loglevel="info").execute_from_commandline()
