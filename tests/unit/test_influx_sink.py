"""The InfluxDB sink's answers policy against a stand-in InfluxDB (aiohttp, in process).

Transient answers are retried, refused points are isolated and set aside while the rest
of the batch is written, refused credentials stop with a reason after one attempt. The
real server's field-type conflict is in tests/integration/test_influx_sink.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web
from influxdb_client import Point
from prometheus_client import REGISTRY

from tests.shared_helpers import free_port
from xlapulse.streams.settings import EngineSettings
from xlapulse.streams.sink.influx import InfluxSink, SinkRefused


def point(value: object, name: str = "experience_score") -> Point:
    return Point(name).tag("site", "utrecht").field("score", value).time(1_795_420_800, "s")


class StandIn:
    """Answers /api/v2/write with ``answer(body, attempt)``; records every body."""

    def __init__(self, answer: Callable[[str, int], web.Response]) -> None:
        self.answer = answer
        self.bodies: list[str] = []

    async def write(self, request: web.Request) -> web.Response:
        body = (await request.read()).decode()
        self.bodies.append(body)
        return self.answer(body, len(self.bodies))

    async def query(self, request: web.Request) -> web.Response:
        return web.json_response({"results": [{"statement_id": 0}]})


@pytest.fixture()
async def serve() -> AsyncIterator[Callable[[StandIn], InfluxSink]]:
    runners: list[web.AppRunner] = []

    async def start(stand_in: StandIn) -> InfluxSink:
        app = web.Application()
        app.router.add_post("/api/v2/write", stand_in.write)
        app.router.add_post("/query", stand_in.query)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        return InfluxSink(EngineSettings(influx_url=f"http://127.0.0.1:{port}"))

    yield start
    for runner in runners:
        await runner.cleanup()


def counter(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


async def test_a_transient_answer_is_retried_until_written(serve) -> None:
    stand_in = StandIn(lambda body, attempt: web.Response(status=503 if attempt == 1 else 204))
    sink = await serve(stand_in)
    errors = counter("xlapulse_sink_errors_total")
    await sink.write([point(70.0)])
    await sink.stop()
    assert len(stand_in.bodies) == 2 and stand_in.bodies[0] == stand_in.bodies[1]
    assert counter("xlapulse_sink_errors_total") == errors + 1


async def test_a_refused_point_is_set_aside_and_the_rest_is_written(serve) -> None:
    def answer(body: str, attempt: int) -> web.Response:
        if 'score="oops"' in body:
            return web.json_response(
                {"code": "invalid", "message": "partial write: field type conflict"}, status=400
            )
        return web.Response(status=204)

    stand_in = StandIn(answer)
    sink = await serve(stand_in)
    set_aside: list[tuple[str, str]] = []

    async def on_rejected(line: str, reason: str) -> None:
        set_aside.append((line, reason))

    sink.on_rejected = on_rejected
    rejected = counter("xlapulse_sink_rejected_points_total")
    batch = [point(float(n)) for n in range(6)]
    batch.insert(3, point("oops"))
    await sink.write(batch)
    await sink.stop()
    written = [line for body in stand_in.bodies for line in body.splitlines() if "oops" not in body]
    assert sorted(written) == sorted(p.to_line_protocol() for p in batch if p is not batch[3])
    assert [line for line, _ in set_aside] == [batch[3].to_line_protocol()]
    assert "400" in set_aside[0][1] and "field type conflict" in set_aside[0][1]
    assert counter("xlapulse_sink_rejected_points_total") == rejected + 1


async def test_refused_credentials_stop_after_one_attempt_with_the_reason(serve) -> None:
    stand_in = StandIn(lambda body, attempt: web.json_response({"error": "auth"}, status=401))
    sink = await serve(stand_in)
    with pytest.raises(SinkRefused, match=r"401.*XLAPULSE_INFLUX_USERNAME"):
        await sink.write([point(70.0)])
    await sink.stop()
    assert len(stand_in.bodies) == 1, "no retry storm"
