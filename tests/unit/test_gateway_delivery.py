"""Delivery parts: requests waiting for Kafka expire after the timeout, sharing timers;
the dead-letter reason header is cut between characters.

The HTTP-level consequences (503, the circuit, a late ack still counting for dedup) are
in test_gateway_http.py; this checks the timing bound acks.py promises.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from xlapulse.collectors.gateway.acks import AckDeadlines, _RequestAcks
from xlapulse.collectors.gateway.producer import utf8_cut

TIMEOUT_S = 0.2
SLOT_S = 0.1


async def test_a_request_expires_between_the_timeout_and_one_slot_later() -> None:
    loop = asyncio.get_running_loop()
    deadlines = AckDeadlines(loop, TIMEOUT_S, SLOT_S)
    started = loop.time()
    requests = [_RequestAcks(loop, 1) for _ in range(50)]
    for request in requests:
        deadlines.watch(request)
    for request in requests:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(request.done, TIMEOUT_S + SLOT_S + 1)  # fail, not hang
    waited_s = loop.time() - started
    assert TIMEOUT_S <= waited_s < TIMEOUT_S + SLOT_S + 0.1  # scheduling slack


async def test_requests_of_one_slot_share_one_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()
    timers: list[float] = []
    call_at = loop.call_at

    def counting_call_at(when: float, *args: Any) -> asyncio.TimerHandle:
        timers.append(when)
        return call_at(when, *args)

    monkeypatch.setattr(loop, "call_at", counting_call_at)
    deadlines = AckDeadlines(loop, TIMEOUT_S, 10.0)  # a slot long enough to hold them all
    for _ in range(100):
        deadlines.watch(_RequestAcks(loop, 1))
    assert len(timers) == 1


async def test_a_settled_request_is_left_alone() -> None:
    loop = asyncio.get_running_loop()
    deadlines = AckDeadlines(loop, TIMEOUT_S, SLOT_S)
    stored, failed = _RequestAcks(loop, 1), _RequestAcks(loop, 2)
    loop_errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: loop_errors.append(context))
    deadlines.watch(stored)
    deadlines.watch(failed)
    stored.record_settled(None)
    failed.record_settled(ConnectionError("broker gone"))
    await asyncio.sleep(TIMEOUT_S + SLOT_S + 0.05)
    assert loop_errors == []  # expiring them raised nothing (e.g. InvalidStateError)
    assert stored.done.result() is None
    with pytest.raises(ConnectionError):
        failed.done.result()


def test_the_reason_header_is_cut_between_characters() -> None:
    reason = "é" * 600  # 1,200 bytes of UTF-8
    header = utf8_cut(reason, 1000)
    assert len(header) == 1000 and header.decode() == "é" * 500
    assert utf8_cut("é" * 600, 999).decode() == "é" * 499  # not half an é
    assert utf8_cut("short", 1000) == b"short"
