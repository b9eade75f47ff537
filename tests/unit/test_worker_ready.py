"""The engine worker's readiness: the assigned-partitions gauge and ``/ready`` beside ``/metrics``.

Reads nothing from disk; builds the Faust app with a recording sink (no Kafka) and serves
the worker's WSGI endpoint on a free local port. The end-to-end case (a real worker
joining a real group) is in tests/integration/test_container_install.py.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from faust.types import TP
from prometheus_client import REGISTRY

from xlapulse.collectors.settings import XlapulseSettings
from xlapulse.streams import metrics
from xlapulse.streams.app import build_app
from xlapulse.streams.worker import serve_metrics


class NoSink:
    async def write(self, points: object) -> None:
        return None

    async def stop(self) -> None:
        return None


@pytest.fixture
def server() -> Iterator[str]:
    metrics.ASSIGNED_PARTITIONS.set(0)
    httpd = serve_metrics("127.0.0.1", 0)
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    metrics.ASSIGNED_PARTITIONS.set(0)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_ready_follows_the_assigned_partitions(server: str) -> None:
    assert get(f"{server}/ready") == (503, "assigned input partitions: 0\n")
    metrics.ASSIGNED_PARTITIONS.set(4)
    assert get(f"{server}/ready") == (200, "assigned input partitions: 4\n")
    status, body = get(f"{server}/metrics")
    assert status == 200 and "xlapulse_assigned_partitions 4.0" in body


async def test_the_app_counts_only_input_partitions_on_assignment(tmp_path: Path) -> None:
    settings = XlapulseSettings(engine_data_dir=str(tmp_path), topic_partitions=3)
    app = build_app(settings, sink=NoSink())  # type: ignore[arg-type]
    assigned = {
        TP("xlapulse.telemetry.v1", 0),
        TP("xlapulse.tickets.v1", 0),
        TP(f"{settings.engine_id}-observations", 0),
        TP(f"{settings.engine_id}-user-state-changelog", 0),
    }
    await app.on_partitions_assigned.send(assigned)
    assert REGISTRY.get_sample_value("xlapulse_assigned_partitions") == 2
    await app.on_partitions_assigned.send(set())
    assert REGISTRY.get_sample_value("xlapulse_assigned_partitions") == 0


def test_an_ipv6_metrics_host_is_served() -> None:
    httpd = serve_metrics("::1", 0)
    try:
        status, _ = get(f"http://[::1]:{httpd.server_port}/metrics")
        assert status == 200
    finally:
        httpd.shutdown()
