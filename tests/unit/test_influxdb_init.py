"""helm/xlapulse/files/influxdb_init.py, the InfluxDB init Job's script: settings, durations,
and the InfluxDB 2.x calls (bucket, retention, DBRP mapping) against a recording HTTP double.

The 1.x path runs against the real InfluxDB 1.8 in tests/integration/test_influxdb_init.py;
no InfluxDB 2.x server is available here, so the 2.x API is exercised only by this double,
which follows the documented /api/v2 shapes.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "helm" / "xlapulse" / "files" / "influxdb_init.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("influxdb_init", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


init = load_script()


@pytest.mark.parametrize(
    ("text", "seconds"), [("400d", 34_560_000), ("1w2d", 777_600), ("90m", 5400), ("INF", 0)]
)
def test_durations(text: str, seconds: int) -> None:
    assert init.duration_s(text) == seconds


@pytest.mark.parametrize("text", ["400", "4 d", "400days", "", "100ms"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(init.InitError, match="INFLUX_RETENTION"):
        init.duration_s(text)


def test_settings_refuse_2x_without_org_or_token() -> None:
    with pytest.raises(init.InitError, match="INFLUX_ORG and INFLUX_TOKEN"):
        init.Settings.from_env({"INFLUX_VERSION": "2", "INFLUX_ORG": "o"})
    with pytest.raises(init.InitError, match="1 or 2"):
        init.Settings.from_env({"INFLUX_VERSION": "3"})


class FakeInflux2:
    """The /api/v2 endpoints the script calls, with state, recording each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.buckets: dict[str, dict[str, Any]] = {}
        self.dbrps: list[dict[str, Any]] = []

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        self.calls.append((method, path, body))
        route, _, query = path.partition("?")
        params = dict(pair.split("=", 1) for pair in query.split("&") if pair)
        if route == "/api/v2/orgs":
            return 200, {
                "orgs": [{"id": "org1", "name": "xlapulse"}] if params["org"] == "xlapulse" else []
            }
        if route == "/api/v2/buckets" and method == "GET":
            name = params["name"].replace("%2F", "/")
            return 200, {"buckets": [b for b in self.buckets.values() if b["name"] == name]}
        if route == "/api/v2/buckets" and method == "POST":
            bucket = {**body, "id": f"b{len(self.buckets) + 1}"}
            self.buckets[bucket["id"]] = bucket
            return 201, bucket
        if route.startswith("/api/v2/buckets/") and method == "PATCH":
            self.buckets[route.rsplit("/", 1)[1]].update(body)
            return 200, {}
        if route == "/api/v2/dbrps" and method == "GET":
            return 200, {"content": self.dbrps}
        if route == "/api/v2/dbrps" and method == "POST":
            self.dbrps.append(body)
            return 201, body
        return 404, {"message": "not found"}


@pytest.fixture
def influx2() -> Iterator[tuple[FakeInflux2, str]]:
    fake = FakeInflux2()

    class Handler(http.server.BaseHTTPRequestHandler):
        def handle_any(self) -> None:
            assert self.headers["Authorization"] == "Token t0ken"
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, payload = fake.answer(self.command, self.path, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = handle_any

        def log_message(self, *args: object) -> None:
            return

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield fake, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def settings_2x(url: str, org: str = "xlapulse", retention: str = "400d") -> Any:
    return init.Settings.from_env(
        {
            "INFLUX_URL": url,
            "INFLUX_VERSION": "2",
            "INFLUX_ORG": org,
            "INFLUX_TOKEN": "t0ken",
            "INFLUX_RETENTION": retention,
        }
    )


def test_2x_creates_bucket_and_dbrp_once(influx2: tuple[FakeInflux2, str]) -> None:
    fake, url = influx2
    init.init_v2(settings_2x(url))
    (bucket,) = fake.buckets.values()
    assert bucket["name"] == "xlapulse/autogen"  # the engine's bucket name (sink/influx.py)
    assert bucket["retentionRules"] == [{"type": "expire", "everySeconds": 34_560_000}]
    assert fake.dbrps == [
        {"orgID": "org1", "bucketID": bucket["id"], "database": "xlapulse",
         "retention_policy": "autogen", "default": True}
    ]  # fmt: skip
    init.init_v2(settings_2x(url, retention="INF"))  # a rerun: changes retention only
    assert len(fake.buckets) == 1 and len(fake.dbrps) == 1
    assert bucket["retentionRules"] == []
    assert [c[0] for c in fake.calls].count("PATCH") == 1


def test_2x_unknown_org_is_an_error(influx2: tuple[FakeInflux2, str]) -> None:
    _, url = influx2
    with pytest.raises(init.InitError, match="organisation 'nobody' not found"):
        init.init_v2(settings_2x(url, org="nobody"))
