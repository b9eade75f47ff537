"""Run one engine worker: the Faust app plus its Prometheus scrape and readiness endpoint.

Reads ``XLAPULSE_*`` settings; serves on ``XLAPULSE_METRICS_HOST`` (default 127.0.0.1)
and ``XLAPULSE_METRICS_PORT`` (0 disables): ``/metrics`` (Prometheus text) and
``/ready`` (200 while the consumer group has assigned this worker input partitions,
``xlapulse_assigned_partitions`` > 0, else 503; the Kubernetes readiness probe).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from faust import Worker
from prometheus_client import REGISTRY, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

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


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _QuietHandler(WSGIRequestHandler):
    """No access log line per scrape or probe."""

    def log_message(self, format: str, *args: Any) -> None:
        return


class _ThreadingWSGIServerV6(ThreadingWSGIServer):
    """For an IPv6 metrics host such as ``::`` (prometheus-client's server chose it too)."""

    address_family = socket.AF_INET6


def metrics_and_ready_app() -> WsgiApp:
    """A WSGI app: ``/ready`` answers from the assigned-partitions gauge, the rest is metrics."""
    metrics_app = make_wsgi_app(REGISTRY)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/ready":
            return metrics_app(environ, start_response)
        assigned = int(REGISTRY.get_sample_value("xlapulse_assigned_partitions") or 0)
        status = "200 OK" if assigned > 0 else "503 Service Unavailable"
        start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
        return [f"assigned input partitions: {assigned}\n".encode()]

    return app


def serve_metrics(host: str, port: int) -> WSGIServer:
    """Serve ``/metrics`` and ``/ready`` on a daemon thread; returns the server."""
    server_class = _ThreadingWSGIServerV6 if ":" in host else ThreadingWSGIServer
    server = make_server(
        host, port, metrics_and_ready_app(), server_class, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, daemon=True, name="metrics").start()
    return server


def run_worker(settings: XlapulseSettings) -> None:
    """Start the worker and block until it is stopped by a signal."""
    check_alertmanager(settings)
    if settings.metrics_port:
        serve_metrics(settings.metrics_host, settings.metrics_port)
    app = build_app(settings)
    Worker(app, loglevel="info").execute_from_commandline()
