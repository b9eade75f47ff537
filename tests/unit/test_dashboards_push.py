"""``xlapulse dashboards push`` against a stand-in Grafana HTTP API (a test double: no
Grafana server is available here). The stand-in answers the endpoints the push uses,
as Grafana 11 documents them, and keeps what was written."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from xlapulse.collectors.cli import main
from xlapulse.dashboards.main import render_dashboards

TOKEN = "glsa_test_token"


@dataclass
class FakeGrafana:
    version: str = "11.6.0"
    folders: dict[str, dict] = field(default_factory=dict)
    datasources: dict[str, dict] = field(default_factory=dict)
    dashboards: dict[str, dict] = field(default_factory=dict)
    writable: bool = True


def _handler(state: FakeGrafana) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict:
            return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

        def _authorised(self) -> bool:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._answer(401, {"message": "invalid API key"})
                return False
            if self.command != "GET" and not state.writable:
                self._answer(403, {"message": "Access denied"})
                return False
            return True

        def do_GET(self) -> None:
            if self.path == "/api/health":
                return self._answer(200, {"database": "ok", "version": state.version})
            if not self._authorised():
                return None
            kind, _, uid = self.path.removeprefix("/api/").partition("/")
            store = {"folders": state.folders, "datasources": state.datasources}.get(kind)
            uid = uid.removeprefix("uid/")
            if store is not None and uid in store:
                return self._answer(200, store[uid])
            return self._answer(404, {"message": "not found"})

        def do_POST(self) -> None:
            if not self._authorised():
                return
            body = self._body()
            if self.path == "/api/folders":
                state.folders[body["uid"]] = body
            elif self.path == "/api/datasources":
                state.datasources[body["uid"]] = body
            elif self.path == "/api/dashboards/db":
                assert body["overwrite"] is True and body["folderUid"] == "xlapulse"
                state.dashboards[body["dashboard"]["uid"]] = body["dashboard"]
            else:
                return self._answer(404, {"message": "not found"})
            return self._answer(200, {"status": "success"})

        def do_PUT(self) -> None:
            if self._authorised():
                body = self._body()
                state.datasources[body["uid"]] = body
                self._answer(200, {"message": "Datasource updated"})

    return Handler


@pytest.fixture
def grafana() -> Iterator[tuple[FakeGrafana, str]]:
    state = FakeGrafana()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _push(url: str, *extra: str, token: str = TOKEN) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["dashboards", "push", "--url", url, "--token", token, *extra]
    )
    return result.exit_code, result.output


def test_push_creates_folder_data_source_and_every_dashboard_once(grafana) -> None:
    state, url = grafana
    code, output = _push(url, "--influx-url", "http://influx:8086")
    assert code == 0, output
    assert "created folder xlapulse" in output and "created data source" in output
    assert set(state.dashboards) == {name.removesuffix(".json") for name in render_dashboards()}
    assert state.datasources["xlapulse-influxdb"]["jsonData"]["dbName"] == "xlapulse"
    code, again = _push(url)
    assert code == 0, again
    assert "created" not in again, "a second push creates nothing"
    assert len(state.folders) == 1


def test_a_wrong_token_is_one_clear_line(grafana) -> None:
    _, url = grafana
    code, output = _push(url, token="wrong")
    assert code == 1
    assert output.strip() == (
        "Error: Grafana refused the token (401): pass a valid service-account token"
    )


def test_a_missing_data_source_is_named_with_the_fix(grafana) -> None:
    state, url = grafana
    code, output = _push(url)
    assert code == 1
    assert "no data source with uid 'xlapulse-influxdb': pass --influx-url" in output
    assert not state.dashboards


def test_an_older_grafana_is_refused_before_anything_is_written(grafana) -> None:
    state, url = grafana
    state.version = "10.4.3"
    code, output = _push(url, "--influx-url", "http://influx:8086")
    assert code == 1
    assert "Grafana 10.4.3 is older than 11.6" in output
    assert not state.folders and not state.dashboards


def test_a_read_only_token_is_told_which_role_it_needs(grafana) -> None:
    state, url = grafana
    state.writable = False
    code, output = _push(url, "--influx-url", "http://influx:8086")
    assert code == 1
    assert "(403)" in output and "Editor role" in output


def test_an_unreachable_grafana_and_a_bad_url_are_clear() -> None:
    code, output = _push("http://127.0.0.1:9")
    assert code == 1 and "cannot talk to Grafana" in output
    code, output = _push("grafana:3000")
    assert code == 1 and "--url must look like http://" in output
