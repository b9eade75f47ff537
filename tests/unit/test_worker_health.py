"""A crashed agent is loud, readiness follows the worker, the last write is timed.

The agents run under ``agent.test_context()`` (the in-memory Faust test double) with a
recording InfluxDB sink; ``/ready`` and ``/metrics`` are served on a free local port.
The crash itself, against real Kafka, is in tests/integration/test_worker_fails_loudly.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client import REGISTRY

from tests.unit.test_agents import RecordingSink, logon_sample
from xlapulse.streams import health, metrics
from xlapulse.streams.app import build_app
from xlapulse.streams.settings import EngineSettings


@pytest.fixture()
def app(tmp_path):
    app = build_app(
        EngineSettings(engine_data_dir=str(tmp_path), topic_partitions=1), sink=RecordingSink()
    )
    app.finalize()
    app.conf.store = "memory://"
    app.flow_control.resume()
    return app


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_a_crashed_agent_is_counted_logged_and_handed_to_the_worker(app, caplog) -> None:
    """A record on an internal topic that is not JSON makes ``follow_devices`` raise."""
    crashes: list[BaseException] = []
    app.on_agent_crash = crashes.append
    metrics.WORKER_READY.set(1)
    before = sample("xlapulse_agent_crashes_total", agent="follow_devices") or 0.0
    agent = app.agents["xlapulse.streams.state_agents.follow_devices"]
    with caplog.at_level(logging.CRITICAL, logger="xlapulse.streams.app"):
        # The test context replaces the agent's error handler; give it the app's back
        # (Faust's app.agent wires it so in the worker; the integration test shows that).
        async with agent.test_context(on_error=app._on_agent_error) as context:
            await context.put(b"{not json", key=b"d_1")
            # the agent handles records in batches: the crash follows the put
            for _ in range(100):
                if crashes:
                    break
                await asyncio.sleep(0.05)
    assert len(crashes) == 1 and isinstance(crashes[0], json.JSONDecodeError)
    assert sample("xlapulse_agent_crashes_total", agent="follow_devices") == before + 1
    assert sample("xlapulse_worker_ready") == 0
    assert any("agent follow_devices crashed" in r.getMessage() for r in caplog.records)


async def test_the_last_write_to_influxdb_is_timed(app) -> None:
    agent = app.agents["xlapulse.streams.cell_agent.aggregate_cells"]
    metrics.SINK_LAST_WRITE.set(0)
    started_s = time.time()
    async with agent.test_context() as context:
        for n in range(5):
            observation = logon_sample(n, "developer", "utrecht", 1_795_420_800_000 + n * 1000)
            await context.put(json.dumps(observation.to_dict()).encode(), key=b"developer|utrecht")
    assert sample("xlapulse_sink_last_write_timestamp_seconds") >= started_s


def fetch(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_ready_answers_200_only_while_the_worker_is_ready_and_metrics_are_served() -> None:
    server = health.serve("127.0.0.1", 0)
    port = server.server_address[1]
    try:
        metrics.WORKER_READY.set(0)
        assert fetch(port, "/ready") == (503, "not ready\n")
        metrics.WORKER_READY.set(1)
        assert fetch(port, "/ready") == (200, "ready\n")
        status, page = fetch(port, "/metrics")
        assert status == 200 and "xlapulse_worker_ready 1.0" in page
    finally:
        server.shutdown()
        server.server_close()
        metrics.WORKER_READY.set(0)


def test_the_worker_runs_on_uvloop_where_it_is_installed() -> None:
    """Faust's loop and its consumer thread's loop come from the policy set here."""
    import uvloop

    from xlapulse.streams.worker import use_uvloop

    before = asyncio.get_event_loop_policy()
    try:
        use_uvloop()
        loop = asyncio.new_event_loop()
        assert isinstance(loop, uvloop.Loop)
        loop.close()
    finally:
        asyncio.set_event_loop_policy(before)
