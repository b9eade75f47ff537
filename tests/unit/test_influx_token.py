"""The sink's InfluxDB credentials against a stand-in server (aiohttp, in process): 1.x
user and password as the v2-compatible token ``username:password`` (the real InfluxDB
1.8 with authentication is in tests/integration/test_secure_platform.py), and a 2.x API
token, which replaces them and skips CREATE DATABASE (2.x has none; the bucket exists).
"""

from __future__ import annotations

from aiohttp import web
from influxdb_client import Point

from tests.shared_helpers import free_port
from xlapulse.streams.scoring.published import RELIABILITY, Record
from xlapulse.streams.settings import EngineSettings
from xlapulse.streams.sink.influx import InfluxSink

API_TOKEN = "v2-api-token-for-the-unit-test"


async def write_one(settings: dict[str, str]) -> list[tuple[str, str | None]]:
    """Write one point through a stand-in; return each request's path and Authorization."""
    seen: list[tuple[str, str | None]] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append((request.path, request.headers.get("Authorization")))
        if request.path == "/query":
            return web.json_response({"results": [{"statement_id": 0}]})
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/api/v2/write", answer)
    app.router.add_post("/query", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        sink = InfluxSink(EngineSettings(influx_url=f"http://127.0.0.1:{port}", **settings))
        await sink.write([Point("experience_score").field("score", 1.0).time(1, "s")])
        await sink.stop()
    finally:
        await runner.cleanup()
    return seen


async def test_a_1x_user_writes_with_the_v2_compatible_token() -> None:
    seen = await write_one({"influx_username": "engine", "influx_password": "pw-1x"})
    assert [path for path, _ in seen] == ["/query", "/api/v2/write"]
    assert seen[0][1] == "Basic ZW5naW5lOnB3LTF4"  # engine:pw-1x
    assert seen[1][1] == "Token engine:pw-1x"


async def test_a_2x_api_token_replaces_the_user_and_creates_nothing() -> None:
    seen = await write_one({"influx_username": "engine", "influx_token": API_TOKEN})
    assert seen == [("/api/v2/write", f"Token {API_TOKEN}")]


async def test_a_2x_token_deletes_a_retracted_point_through_the_delete_api() -> None:
    """What 2.x's /api/v2/delete receives: the bucket, the point's time as start and stop,
    and a predicate naming its measurement and every tag (a quote in a tag escaped). The
    real InfluxDB 1.8's InfluxQL DELETE is in tests/integration/test_influx_sink.py."""
    seen: list[tuple[dict[str, str], dict[str, str], str | None]] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(
            (dict(request.query), await request.json(), request.headers.get("Authorization"))
        )
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/api/v2/delete", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    tags = {"persona": "developer", "site": 'the "annex"', "window": "5m"}
    record = Record(
        RELIABILITY, {**tags, "formula_version": "3.0", "touch_point": "app"}, {}, 300 * 10**9
    )
    try:
        settings = EngineSettings(influx_url=f"http://127.0.0.1:{port}", influx_token=API_TOKEN)
        sink = InfluxSink(settings)
        await sink.delete([record])
        await sink.stop()
    finally:
        await runner.cleanup()
    [(query, body, authorization)] = seen
    assert query["bucket"] == "xlapulse/autogen" and authorization == f"Token {API_TOKEN}"
    assert body["start"] == body["stop"] == "1970-01-01T00:05:00+00:00"
    assert body["predicate"] == (
        '_measurement="reliability" AND formula_version="3.0" AND persona="developer" AND '
        'site="the \\"annex\\"" AND touch_point="app" AND window="5m"'
    )
