"""The worker's HTTP endpoint: Prometheus metrics on ``/metrics``, readiness on ``/ready``.

Reads the metrics of ``streams/metrics.py`` (``xlapulse_worker_ready`` for readiness);
writes nothing. ``/ready`` answers 200 while the worker processes its partitions and
503 otherwise (starting, rebalancing, an agent crashed, stopping), for a Kubernetes
readiness probe; every other path serves the metrics, as prometheus-client's own
server does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import REGISTRY, make_wsgi_app

READY_METRIC = "xlapulse_worker_ready"  # metrics.WORKER_READY

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes and probes every few seconds are not worth a log line each."""


def is_ready() -> bool:
    """Whether the worker is processing its partitions (``xlapulse_worker_ready`` is 1)."""
    return REGISTRY.get_sample_value(READY_METRIC) == 1


def health_app() -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI app of the endpoint: ``/ready``, else the metrics."""
    metrics_app = make_wsgi_app()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/ready":
            return metrics_app(environ, start_response)
        ready = is_ready()
        status = "200 OK" if ready else "503 Service Unavailable"
        start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
        return [b"ready\n" if ready else b"not ready\n"]

    return app


def serve(host: str, port: int) -> WSGIServer:
    """Serve the endpoint from a daemon thread; the server (``server_address`` has the
    port, useful with port 0)."""
    server = make_server(host, port, health_app(), _ThreadingServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="xlapulse-health", daemon=True).start()
    return server
