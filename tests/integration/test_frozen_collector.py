"""The self-contained collector (PyInstaller, deploy/packages/build_frozen.py) on this Linux.

Builds it once (about a minute) with the PyInstaller of the test environment, then runs
the binary without any Python on its path: the CLI, ``collector check`` against the
real Kafka (kafka-python's protocol data must be bundled), and ``collector run`` with
Kafka unreachable, which takes the lean exec path (the binary re-executes itself with
``-m xlapulse.collectors.agent.runtime``) and spools. Writes pytest's temporary folders.
"""

from __future__ import annotations

import http.server
import json
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import TOPIC_PARTITIONS, Services
from tests.shared_helpers import free_port, wait_until
from xlapulse.collectors.delivery.topics_admin import ensure_topics

pytestmark = pytest.mark.integration

PACKAGES_DIR = Path(__file__).resolve().parents[2] / "deploy" / "packages"
sys.path.insert(0, str(PACKAGES_DIR))  # the build scripts import each other as scripts do
import build_frozen  # noqa: E402

KEY = "frozen-test-key-0123456789"


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = build_frozen.build_frozen(tmp_path_factory.mktemp("frozen"))
    return folder / build_frozen.NAME


def bare_env(**extra: str) -> dict[str, str]:
    """No Python, no venv: only the system's basic tools on PATH."""
    return {"PATH": "/usr/bin:/bin", "XLAPULSE_PSEUDONYM_KEY": KEY, **extra}


def test_the_binary_needs_no_python(binary: Path) -> None:
    result = subprocess.run(
        [binary, "collector", "manifest"], env=bare_env(), capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "logon" in result.stdout
    assert (binary.parent / "_internal").is_dir()
    assert sorted(binary.parent.parent.glob("xlapulse-collector-*.tar.gz"))


def test_the_build_lists_what_it_embeds_with_licences(binary: Path) -> None:
    notice = (binary.parent / "THIRD_PARTY_LICENSES.txt").read_text()
    for row in (r"kafka-python +\S+ +Apache-2\.0", r"CPython +3\.\d+ +PSF-2\.0", r"pyinstaller +"):
        assert re.search(rf"^{row}", notice, re.M), row
    assert "Python Software Foundation" in notice and "Apache License" in notice


@pytest.fixture
def probe_target() -> Iterator[str]:
    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = http.server.HTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/app"
    server.shutdown()


def test_a_probe_round_yields_a_valid_event(
    binary: Path, probe_target: str, tmp_path: Path
) -> None:
    """The sources validate events against the bundled JSON Schemas: a build without
    them fails every round (the first build did, found by the footprint benchmark)."""
    config = tmp_path / "collector.toml"
    config.write_text(
        f'[sources.synthetic_probe]\ntargets = [{{ app_name = "crm", url = "{probe_target}" }}]\n'
    )
    result = subprocess.run(
        [binary, "collector", "once", "--config", str(config)],
        env=bare_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert "synthetic_probe: 1 events" in result.stderr, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if '"synthetic_probe"' in line]
    event = json.loads(line)
    assert (event["app_name"], event["outcome"], event["status_code"]) == ("crm", "ok", 200)


def test_check_reaches_kafka(binary: Path, services: Services, tmp_path: Path) -> None:
    # check reads the telemetry topic's partitions: create the topics first, with the
    # session's partition count, or the broker would auto-create it with its default.
    ensure_topics(services.kafka_bootstrap, TOPIC_PARTITIONS)
    result = subprocess.run(
        [binary, "collector", "check"],
        env=bare_env(
            XLAPULSE_COLLECTOR_KAFKA__BOOTSTRAP_SERVERS=services.kafka_bootstrap,
            XLAPULSE_COLLECTOR_SPOOL__DIRECTORY=str(tmp_path / "spool"),
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert f"kafka {services.kafka_bootstrap}: ok" in result.stdout, result.stdout + result.stderr


def test_run_takes_the_lean_exec_and_spools(binary: Path, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    collector = subprocess.Popen(
        [binary, "collector", "run"],
        env=bare_env(
            XLAPULSE_COLLECTOR_KAFKA__BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}",
            XLAPULSE_COLLECTOR_SPOOL__DIRECTORY=str(spool),
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until(lambda: (spool / "spool.sqlite3").exists(), 60, "the spool database")
        command_line = Path(f"/proc/{collector.pid}/cmdline").read_bytes().split(b"\0")
        assert command_line[1:3] == [b"-m", b"xlapulse.collectors.agent.runtime"]
    finally:
        collector.send_signal(signal.SIGTERM)
        output, _ = collector.communicate(timeout=60)
    assert collector.returncode == 0, output
