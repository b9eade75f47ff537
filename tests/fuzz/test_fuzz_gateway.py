"""Each gateway adapter and the survey endpoint under hostile bodies: 200 or 400, no 500.

The app runs in process with an in-memory producer (``tests/unit/test_gateway_http``),
on its own event loop for the whole module. Each request is an authenticated POST of a
vendor sample (tests/data/itsm, provenance next to it) with hostile values, keys or
bytes, or of random bytes. It must answer 200 with valid contract events stored, or 400
with the body dead-lettered; the dead letter (record and reason header) and the
gateway's log lines must not name the identities planted in the body.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.hostile import (
    assert_nothing_personal,
    count,
    dumps,
    fuzz_settings,
    mutated_json,
    mutated_text,
)
from tests.unit.test_gateway_http import DATA, MemoryProducer, authenticated, endpoint, start
from xlapulse.collectors.contract.codec import parse_event
from xlapulse.collectors.contract.topics import DEAD_LETTER_TOPIC

SOURCES = ("servicenow", "topdesk", "jira", "zendesk", "generic", "survey")
SAMPLES = {
    source: [path.read_text() for path in sorted(DATA.glob(f"{source}_*.json"))]
    for source in SOURCES
}


class InProcessGateway:
    """The gateway app and its test client on a loop of their own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.producer = MemoryProducer()
        self.client = self.loop.run_until_complete(
            start(self.producer, gateway_rate_burst=10**9, gateway_rate_per_source_per_s=10**9)
        )

    def post(self, source: str, body: bytes) -> int:
        async def send() -> int:
            response = await self.client.post(
                endpoint(source), data=body, headers=authenticated(source, body)
            )
            await response.read()
            return response.status

        return self.loop.run_until_complete(send())

    def close(self) -> None:
        self.loop.run_until_complete(self.client.close())
        self.loop.close()


@pytest.fixture(scope="module")
def gateway() -> Iterator[InProcessGateway]:
    running = InProcessGateway()
    yield running
    running.close()


@st.composite
def hostile_body(draw: st.DrawFn, source: str) -> bytes:
    sample = draw(st.sampled_from(SAMPLES[source]))
    kind = draw(st.sampled_from(["values", "values", "values", "text", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "text":
        text = draw(mutated_text(sample))
    else:
        text = dumps(draw(mutated_json(json.loads(sample))), draw(st.booleans()))
    return text.encode("utf-8", "surrogatepass")


def post_and_check(gateway: InProcessGateway, source: str, body: bytes, caplog) -> None:
    count(f"gateway {source}")
    caplog.clear()
    stored_before = len(gateway.producer.stored)
    reasons_before = len(gateway.producer.dead_letter_reasons)
    with caplog.at_level(logging.INFO):
        status = gateway.post(source, body)
    stored = gateway.producer.stored[stored_before:]
    assert status in (200, 400), f"{source} answered {status}"
    if status == 400:
        assert [topic for topic, _ in stored] == [DEAD_LETTER_TOPIC], "400 without a dead letter"
        (reason,) = gateway.producer.dead_letter_reasons[reasons_before:]
        orjson.loads(stored[0][1])
        assert_nothing_personal([reason, stored[0][1].decode()], "a dead letter")
    else:
        for _topic, value in stored:
            parse_event(value)
    assert_nothing_personal([r.getMessage() for r in caplog.records], "a log line")


@pytest.mark.parametrize("source", SOURCES)
@fuzz_settings(250)
@given(data=st.data())
def test_hostile_bodies(source: str, data: st.DataObject, gateway, caplog) -> None:
    post_and_check(gateway, source, data.draw(hostile_body(source)), caplog)
