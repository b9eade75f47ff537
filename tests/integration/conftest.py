"""Session fixtures that give integration tests the real Kafka and InfluxDB.

If nothing answers on the test ports, the fixture starts both servers with
``deploy/local/services`` (fetching and building them on first use) in a fresh
data directory, and stops them at the end of the session. Nothing is skipped:
a server that cannot be started fails the tests, on a laptop and in CI alike.
"""

from __future__ import annotations

import os
import socket
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from xlapulse.collectors.delivery.topics_admin import ensure_topics

from .helpers import WorkerProcess, engine_env
from .secure_services import secure_influx, secure_kafka  # noqa: F401 (session fixtures)

REPO = Path(__file__).resolve().parents[2]
#: All integration tests share one Kafka, so they all create the contract's topics with
#: this partition count (``ensure_topics`` refuses input topics that disagree).
TOPIC_PARTITIONS = 3
SERVICES_SCRIPT = REPO / "deploy" / "local" / "services"


@dataclass(frozen=True)
class Services:
    """Where the real servers listen, and the environment that controls them."""

    kafka_bootstrap: str
    influx_url: str
    script_env: dict[str, str]

    def control(self, action: str, service: str) -> None:
        """``deploy/local/services <action> <service>``, e.g. to take InfluxDB down."""
        subprocess.run([SERVICES_SCRIPT, action, service], env=self.script_env, check=True)


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _influx_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ping", timeout=2) as response:
            return response.status == 204
    except OSError:
        return False


@pytest.fixture(scope="session")
def services() -> Iterator[Services]:
    kafka_port = int(os.environ.get("KAFKA_PORT", "19092"))
    influx_port = int(os.environ.get("INFLUX_PORT", "18086"))
    env = {
        **os.environ,
        "KAFKA_PORT": str(kafka_port),
        "KAFKA_CONTROLLER_PORT": os.environ.get("KAFKA_CONTROLLER_PORT", str(kafka_port + 1)),
        "INFLUX_PORT": str(influx_port),
        "INFLUX_RPC_PORT": os.environ.get("INFLUX_RPC_PORT", str(influx_port + 2)),
        "XLAPULSE_SERVICES_DIR": os.environ.get(
            "XLAPULSE_SERVICES_DIR", str(REPO / ".xlapulse" / "test-services")
        ),
    }
    found = Services(f"127.0.0.1:{kafka_port}", f"http://127.0.0.1:{influx_port}", env)
    if _port_open(kafka_port) and _influx_healthy(found.influx_url):
        yield found  # already running, e.g. from a previous `services start`
        return
    subprocess.run([SERVICES_SCRIPT, "reset"], env=env, check=True)
    started = subprocess.run([SERVICES_SCRIPT, "start"], env=env, check=False)
    try:
        if started.returncode != 0:
            pytest.fail(f"deploy/local/services start failed (exit {started.returncode})")
        yield found
    finally:
        subprocess.run([SERVICES_SCRIPT, "stop"], env=env, check=False)


@dataclass(frozen=True)
class Engine:
    """The session's Faust engine worker and where its results go."""

    process: WorkerProcess
    metrics_port: int
    database: str
    engine_id: str


@pytest.fixture(scope="session")
def engine(services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One engine worker for the whole session.

    Every test shares the input topics, so a worker started later would first have to
    catch up with everything earlier tests sent. One worker that keeps up with all of
    them is both faster and closer to production. Engine tests use days of the week no
    other engine test uses, so their InfluxDB results never mix. It reads the topics
    from their start (unlike the single-purpose engines of other tests): the tests using
    it send a whole day at once, and a user's telemetry read before their directory
    assignment is held only up to ``MAX_HELD_EVENTS``; the earlier days in the topics
    already assigned the fleet's users (starting at the end, a CI check's dashboard test
    never saw its cells complete).
    """
    ensure_topics(services.kafka_bootstrap, TOPIC_PARTITIONS)
    data_dir = tmp_path_factory.mktemp("engine")
    env, metrics_port, database = engine_env(
        services.kafka_bootstrap,
        services.influx_url,
        uuid.uuid4().hex[:10],
        data_dir,
        TOPIC_PARTITIONS,
    )
    process = WorkerProcess(env=env, log_path=data_dir / "worker.log")
    process.start()
    yield Engine(process, metrics_port, database, env["XLAPULSE_ENGINE_ID"])
    exit_code = process.stop()
    assert exit_code in (0, -15), f"worker exit code {exit_code}:\n{process.log_tail()}"
