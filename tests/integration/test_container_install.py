"""What the container image runs, run from the same install in a venv (no Docker engine here).

Reads deploy/container/Dockerfile and executes its build stage's own ``RUN`` line (the
venv with the engine, gateway and rocksdb extras) in a temporary root that stands in for
the image's ``/``, with the final stage's ``ENV``. Then, as the image's non-root uid
(via setpriv when the tests run as root), it starts the entrypoint with ``worker`` and
``gateway`` against the real Kafka and InfluxDB and checks the image's health check
script against them. Writes only the temporary root (removed at the end) and Kafka
(a consumer group of its own).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.dockerfile import Stage, stages
from tests.integration.conftest import TOPIC_PARTITIONS, Services
from tests.shared_helpers import free_port, wait_until
from xlapulse.collectors.delivery.topics_admin import ensure_topics

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "deploy" / "container" / "Dockerfile"
IMAGE_PATHS = ("/opt/xlapulse", "/var/lib/xlapulse")
#: What the build stage's COPY lines bring into /src (the build context).
CONTEXT = ("pyproject.toml", "README.md", "collectors", "streams", "dashboards")


@dataclass(frozen=True)
class ImageRoot:
    """A directory standing in for the image's ``/``, and how to run things in it."""

    root: Path
    env: dict[str, str]
    uid: int

    def path(self, image_path: str) -> Path:
        return self.root / image_path.lstrip("/")

    def command(self, *args: str) -> list[str]:
        """``args`` as the image's user: setpriv to its uid when we are root."""
        if os.geteuid() != 0:
            return list(args)
        drop = ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups"]
        return [*drop, *args]

    def start(self, *args: str, extra_env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.command(str(self.path("/opt/xlapulse/bin/xlapulse")), *args),
            env={**self.env, **extra_env},
            cwd=self.path("/var/lib/xlapulse"),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def health_check(self, url: str) -> subprocess.CompletedProcess[str]:
        python = str(self.path("/opt/xlapulse/bin/python"))
        script = str(self.path("/opt/xlapulse/healthcheck.py"))
        return subprocess.run(
            self.command(python, script),
            env={**self.env, "XLAPULSE_HEALTHCHECK_URL": url},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )


def in_root(text: str, root: Path) -> str:
    for image_path in IMAGE_PATHS:
        text = text.replace(image_path, str(root / image_path.lstrip("/")))
    return text


def run_build_stage(build: Stage, root: Path) -> None:
    """The build stage's RUN lines in a copy of the context, with /opt/xlapulse under root."""
    source = root / "src"
    for name in CONTEXT:
        if (REPO / name).is_dir():
            shutil.copytree(
                REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            source.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    # The image build downloads without a cache; here pip's cache may speed it up.
    env = {key: value for key, value in build.env().items() if key != "PIP_NO_CACHE_DIR"}
    for run in build.all("RUN"):
        subprocess.run(
            ["sh", "-ec", in_root(run.arguments, root)],
            cwd=source,
            env={**os.environ, **env},
            check=True,
            timeout=1200,
        )
    shutil.rmtree(source)


def prepare_final_stage(final: Stage, root: Path, uid: int) -> dict[str, str]:
    """What the final stage's RUN and COPY do, and its ENV with paths under root."""
    engine_dir = root / "var" / "lib" / "xlapulse" / "engine"
    engine_dir.mkdir(parents=True)
    shutil.copy2(REPO / "deploy" / "container" / "healthcheck.py", root / "opt" / "xlapulse")
    if os.geteuid() == 0:
        for path in (engine_dir.parent, engine_dir):
            os.chown(path, uid, uid)
    env = {key: in_root(value, root) for key, value in final.env().items()}
    env["PATH"] = env["PATH"].replace("$PATH", "/usr/bin:/bin")
    env["HOME"] = str(engine_dir.parent)
    return env


@pytest.fixture(scope="module")
def image() -> Iterator[ImageRoot]:
    build, final = stages(DOCKERFILE)
    uid = int(final.all("ARG")[0].arguments.split("=")[1])
    root = Path(tempfile.mkdtemp(prefix="xlapulse-image-"))
    root.chmod(0o755)  # the image's user must reach /opt and /var/lib below it
    try:
        run_build_stage(build, root)
        yield ImageRoot(root, prepare_final_stage(final, root, uid), uid)
    finally:
        shutil.rmtree(root)


def stop(process: subprocess.Popen[bytes]) -> int:
    process.terminate()
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def test_entrypoint_with_the_default_command_prints_the_subcommands(image: ImageRoot) -> None:
    result = subprocess.run(
        image.command(str(image.path("/opt/xlapulse/bin/xlapulse")), "--help"),
        env=image.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for subcommand in ("worker", "gateway", "topics", "simulate", "collector"):
        assert f"  {subcommand}" in result.stdout


def test_worker_becomes_ready_once_partitions_are_assigned(
    image: ImageRoot, services: Services, tmp_path: Path
) -> None:
    ensure_topics(services.kafka_bootstrap, TOPIC_PARTITIONS)
    metrics_port = free_port()
    ready_url = f"http://127.0.0.1:{metrics_port}/ready"
    engine_id = f"xlapulse-image-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    worker = image.start(
        "worker",
        extra_env={
            "XLAPULSE_KAFKA_BOOTSTRAP": services.kafka_bootstrap,
            "XLAPULSE_INFLUX_URL": services.influx_url,
            "XLAPULSE_ENGINE_ID": engine_id,
            "XLAPULSE_ENGINE_STORE": "rocksdb://",
            "XLAPULSE_ENGINE_SESSION_TIMEOUT_S": "6",
            "XLAPULSE_TOPIC_PARTITIONS": str(TOPIC_PARTITIONS),
            "XLAPULSE_METRICS_PORT": str(metrics_port),
            "XLAPULSE_HEALTHCHECK_URL": ready_url,
        },
        log=log,
    )
    try:
        wait_until(
            lambda: image.health_check(f"http://127.0.0.1:{metrics_port}/metrics").returncode == 0,
            60,
            "the worker's /metrics",
        )
        answers = []

        def ready() -> bool:
            assert worker.poll() is None, log.read_text()[-3000:]
            result = image.health_check(ready_url)
            answers.append(result.stdout.strip())
            return result.returncode == 0

        wait_until(ready, 120, "the worker's /ready", interval_s=1.0)
        assert answers[0] == f"{ready_url}: 503", answers[:3]  # not ready before assignment
        assert answers[-1] == f"{ready_url}: 200"
        tables = image.path("/var/lib/xlapulse/engine")  # Faust: <datadir>/v1/tables/*.db
        wait_until(lambda: list(tables.rglob("*.db")), 60, "rocksdb tables on the volume")
        owners = {path.stat().st_uid for path in tables.rglob("*")}
        assert owners == {image.uid if os.geteuid() == 0 else os.geteuid()}
    finally:
        assert stop(worker) in (0, -15), log.read_text()[-3000:]


def test_gateway_health_and_readiness(image: ImageRoot, services: Services, tmp_path: Path) -> None:
    def run_gateway(bootstrap: str, name: str) -> tuple[subprocess.Popen[bytes], int]:
        port = free_port()
        process = image.start(
            "gateway",
            extra_env={
                "XLAPULSE_KAFKA_BOOTSTRAP": bootstrap,
                "XLAPULSE_GATEWAY_PORT": str(port),
                "XLAPULSE_PSEUDONYM_KEY": "image-test-key-0123456789",
            },
            log=tmp_path / f"{name}.log",
        )
        return process, port

    with_kafka, port = run_gateway(services.kafka_bootstrap, "gateway")
    without_kafka, lonely_port = run_gateway(f"127.0.0.1:{free_port()}", "lonely")
    try:
        health = f"http://127.0.0.1:{port}/health"
        wait_until(lambda: image.health_check(health).returncode == 0, 60, "gateway /health")
        ready = f"http://127.0.0.1:{port}/ready"
        wait_until(lambda: image.health_check(ready).returncode == 0, 60, "gateway /ready")
        lonely = f"http://127.0.0.1:{lonely_port}"
        wait_until(lambda: image.health_check(f"{lonely}/health").returncode == 0, 60, "health")
        not_ready = image.health_check(f"{lonely}/ready")
        assert (not_ready.returncode, not_ready.stdout.split()[-1]) == (1, "503")
    finally:
        for process in (with_kafka, without_kafka):
            assert stop(process) in (0, -15)
