"""Run one engine worker: the Faust app plus its metrics and readiness endpoint.

Reads ``XLAPULSE_*`` settings; serves ``/metrics`` and ``/ready`` (``streams/health.py``)
on ``XLAPULSE_METRICS_HOST`` (default 127.0.0.1) and ``XLAPULSE_METRICS_PORT`` (0
disables).

How the worker ends:

* SIGTERM or SIGINT: Faust's graceful stop (leave the group, flush the producer, commit
  what was processed), exit code 0. If that takes longer than ``STOP_DEADLINE_S`` the
  process exits with code 1 at once, as kill -9 would: what was committed is done, the
  rest is redelivered (at least once).
* An agent raised (``EngineApp``): :func:`exit_after_crash` freezes the worker, so it
  commits nothing more (the records in hand, the one that crashed included, are
  redelivered to the next worker), shows the crash on ``/metrics`` and ``/ready`` for
  ``CRASH_VISIBLE_S``, then exits with code 1 for systemd or Kubernetes to restart it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time

from faust import Worker

from xlapulse.collectors.delivery.kafka_security import login_refusal
from xlapulse.streams import health
from xlapulse.streams.app import build_app
from xlapulse.streams.dips.agents import alert_forwarder
from xlapulse.streams.dips.alertmanager import AlertmanagerError
from xlapulse.streams.settings import EngineSettings

log = logging.getLogger(__name__)

#: The longest a stop may take before the process exits anyway (under Kubernetes'
#: default 30 s termination grace period, so the worker, not SIGKILL, ends it).
STOP_DEADLINE_S = 25.0
#: How long a crashed worker shows its crash on /metrics and /ready before it exits.
CRASH_VISIBLE_S = 10.0
EXIT_FAILURE = 1


class EngineWorker(Worker):
    """A Faust worker that never takes longer than ``STOP_DEADLINE_S`` to stop."""

    def __init__(self, *args: object, stop_deadline_s: float = STOP_DEADLINE_S, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._stop_deadline_s = stop_deadline_s
        self._deadline: threading.Timer | None = None

    def _schedule_shutdown(self, signal: signal.Signals) -> None:
        """SIGTERM, SIGINT (mode's handler): stop gracefully, within the deadline."""
        if self._deadline is None:
            self._deadline = threading.Timer(self._stop_deadline_s, self._deadline_passed)
            self._deadline.daemon = True
            self._deadline.start()
        super()._schedule_shutdown(signal)

    def _deadline_passed(self) -> None:
        log.critical(
            "the worker did not stop within %.0f s; exiting with code %d (what was not "
            "committed is redelivered to the next worker)",
            self._stop_deadline_s,
            EXIT_FAILURE,
        )
        _exit_now(EXIT_FAILURE)


def exit_after_crash(reason: BaseException) -> None:
    """Freeze the event loop for ``CRASH_VISIBLE_S`` (no fetch, no commit: Faust would
    otherwise commit the crashed record as handled once its agent is torn down, and the
    other agents would go on), while the metrics thread still answers; then exit.

    Called on the event loop by the crashed agent's error handler, before anything else
    runs there.
    """
    log.critical(
        "exiting with code %d in %.0f s, committing nothing more: %r",
        EXIT_FAILURE,
        CRASH_VISIBLE_S,
        reason,
    )
    time.sleep(CRASH_VISIBLE_S)
    _exit_now(EXIT_FAILURE)


def _exit_now(code: int) -> None:
    logging.shutdown()
    os._exit(code)


def check_alertmanager(settings: EngineSettings) -> None:
    """Fail at start-up, with the reason, when the configured Alertmanager cannot be used."""
    try:
        forwarder = alert_forwarder(settings)
        if forwarder is None:
            return
        version = asyncio.run(forwarder.client.check())
    except AlertmanagerError as error:
        raise SystemExit(f"xlapulse worker: Alertmanager: {error}") from error
    logging.getLogger(__name__).info("alertmanager %s at %s", version, settings.alertmanager_url)


def check_kafka_login(settings: EngineSettings) -> None:
    """Fail at start-up, with the reason, when the brokers refuse the TLS or SASL
    settings (Faust would otherwise reconnect for ever, logging each refusal)."""
    refusal = login_refusal(settings)
    if refusal is not None:
        raise SystemExit(f"xlapulse worker: {refusal}")


def use_uvloop() -> None:
    """uvloop's event loops for the worker and its consumer thread (the engine extra
    installs it everywhere but on Windows): 201-232 us of CPU per event against 223-267
    on asyncio's loop, in three pairs side by side (2026-12-07)."""
    try:
        import uvloop
    except ImportError:
        log.warning("uvloop is not installed: the worker runs on the slower asyncio loop")
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def run_worker(settings: EngineSettings) -> None:
    """Start the worker and block until it stops; exit code 0 after a signal, 1 after a
    crash or a stop that overran its deadline."""
    check_kafka_login(settings)
    check_alertmanager(settings)
    if settings.metrics_port:
        health.serve(settings.metrics_host, settings.metrics_port)
    use_uvloop()
    app = build_app(settings)
    app.on_agent_crash = exit_after_crash
    EngineWorker(app, loglevel="info").execute_from_commandline()
