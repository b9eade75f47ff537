"""Synthetic probes: timed HTTP(S) transactions against the apps of the user's persona.

Reads: nothing from the OS; sends one GET per configured target per round and times
its phases with the standard library: DNS (getaddrinfo), TCP connect, TLS handshake,
first byte of the response, total including the body (read up to a cap).
Writes: synthetic_probe events (outcome ok/http_error/timeout/connection_error/tls_error/
dns_error, status code, the five durations in ms). A target whose answer the contract
rejects (a status above 599) is counted as ``rejected (...)``; the others are probed.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from xlapulse.collectors.contract.wire import telemetry_event
from xlapulse.collectors.sources.base import Collected, Identity, Source, one_record

if TYPE_CHECKING:
    from xlapulse.collectors.sources.synthetic_probe.settings import (
        ProbeTarget,
        SyntheticProbeSettings,
    )

MAX_BODY_BYTES = 256 * 1024


class _Timer:
    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.marks: dict[str, int] = {}

    def mark(self, phase: str) -> None:
        self.marks[phase] = round((time.perf_counter() - self.start) * 1000)

    def since_start_ms(self) -> int:
        return round((time.perf_counter() - self.start) * 1000)


def probe(target: ProbeTarget, timeout_s: float, ssl_context: ssl.SSLContext | None) -> dict:
    """Run one transaction; return the synthetic_probe fields (without the envelope)."""
    url = urlsplit(str(target.url))
    host = url.hostname or ""
    port = url.port or (443 if url.scheme == "https" else 80)
    timer = _Timer()
    result: dict = {"app_name": target.app_name, "target_host": host}
    try:
        address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4]
        timer.mark("dns_ms")
        sock = socket.create_connection(address[:2], timeout=timeout_s)
        timer.mark("connect_ms")
        if url.scheme == "https":
            if ssl_context is None:
                raise ValueError(f"{target.url} needs an SSL context")
            sock = ssl_context.wrap_socket(sock, server_hostname=host)
            timer.mark("tls_ms")
        status = _request(sock, host, url.path or "/", url.query, timer)
        result.update(outcome="ok" if status < 400 else "http_error", status_code=status)
    except socket.gaierror:
        result["outcome"] = "dns_error"
    except TimeoutError:
        result["outcome"] = "timeout"
    except ssl.SSLError:
        result["outcome"] = "tls_error"
    except (OSError, http.client.HTTPException):
        result["outcome"] = "connection_error"
    result.update(timer.marks)
    result["total_ms"] = timer.since_start_ms()
    return result


def _request(sock: socket.socket, host: str, path: str, query: str, timer: _Timer) -> int:
    connection = http.client.HTTPConnection(host)
    connection.sock = sock
    try:
        connection.request(
            "GET", f"{path}?{query}" if query else path, headers={"User-Agent": "xlapulse-probe"}
        )
        response = connection.getresponse()
        timer.mark("first_byte_ms")
        response.read(MAX_BODY_BYTES)
        return response.status
    finally:
        connection.close()


class SyntheticProbeSource(Source):
    """Probes every target once per round."""

    name = "synthetic_probe"
    event_types = ("synthetic_probe",)
    description = "timed HTTP transactions against the persona's apps"

    def __init__(self, settings: SyntheticProbeSettings, identity: Identity) -> None:
        self.settings = settings
        self.identity = identity
        # Loading the system CA store costs about 1.7 MiB of RSS, so only a source with an
        # https target builds the context (once, here: a bad ca_file fails at start-up).
        needs_tls = any(urlsplit(str(t.url)).scheme == "https" for t in settings.targets)
        self.ssl_context = (
            ssl.create_default_context(cafile=settings.ca_file or None) if needs_tls else None
        )

    def collect(self, bookmark: str | None) -> Collected:
        collected = Collected(bookmark=bookmark, unparsed=self.identity.unparsed())
        for target in self.settings.targets:
            with one_record(collected.unparsed, f"probe of {target.app_name}"):
                collected.events.append(self._probe(target))  # a status above 599: rejected
        return collected

    def _probe(self, target: ProbeTarget) -> dict:
        started = datetime.now(UTC)
        fields = probe(target, self.settings.timeout_s, self.ssl_context)
        return telemetry_event(
            "synthetic_probe",
            event_id=self.identity.event_id("probe", f"{target.app_name}|{started.isoformat()}"),
            event_time=started,
            user_id=self.identity.user_id,
            device_id=self.identity.device_id,
            **fields,
        )


def build(settings: SyntheticProbeSettings, identity: Identity) -> SyntheticProbeSource:
    return SyntheticProbeSource(settings, identity)
