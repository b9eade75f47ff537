"""The consumer's per-record hand-over (``streams/eager_handoff.py``) against mode's
``Service.wait_first``: same results, waits, cancellations and errors, without tasks when
the hand-over need not wait."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import pytest
from mode import Service
from mode.utils.locks import Event

from xlapulse.streams.eager_handoff import EagerHandoff


class Plain(Service):
    def __init__(self) -> None:
        super().__init__()
        self.suspend_flow = Event()


class Eager(EagerHandoff, Plain):
    pass


def run(coroutine: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a coroutine never awaited fails the test
        return asyncio.run(coroutine)


async def handoff(value: int, log: list[str]) -> int:
    log.append("handed over")
    return value


@pytest.mark.parametrize("service_type", [Plain, Eager])
def test_a_handoff_that_need_not_wait_gives_its_result(service_type: type[Plain]) -> None:
    async def main() -> tuple[Any, list[str], int]:
        service, log = service_type(), []
        tasks_seen: list[int] = []
        original = asyncio.ensure_future

        def counting(*args: Any, **kwargs: Any) -> Any:
            tasks_seen.append(1)
            return original(*args, **kwargs)

        asyncio.ensure_future = counting  # type: ignore[assignment]
        try:
            result = await service.wait_first(handoff(7, log), service.suspend_flow.wait())
        finally:
            asyncio.ensure_future = original  # type: ignore[assignment]
        return result, log, len(tasks_seen)

    result, log, tasks = run(main())
    assert (result.results, result.stopped) == ([7], False)
    assert log == ["handed over"]
    assert tasks == (0 if service_type is Eager else 4)


@pytest.mark.parametrize("service_type", [Plain, Eager])
def test_a_handoff_that_waits_is_raced_and_finishes(service_type: type[Plain]) -> None:
    async def main() -> tuple[Any, list[str]]:
        service, log = service_type(), []
        room: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def waiting() -> int:
            log.append("waiting")
            got = await room
            await asyncio.sleep(0)
            log.append(f"got {got}")
            return got * 2

        asyncio.get_running_loop().call_later(0.01, room.set_result, 21)
        result = await service.wait_first(waiting(), service.suspend_flow.wait())
        return result, log

    result, log = run(main())
    assert (result.results, result.stopped) == ([42], False)
    assert log == ["waiting", "got 21"]


@pytest.mark.parametrize("service_type", [Plain, Eager])
def test_a_suspension_cancels_a_waiting_handoff(service_type: type[Plain]) -> None:
    async def main() -> tuple[Any, list[str], bool]:
        service, log = service_type(), []
        never: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def waiting() -> int:
            try:
                return await never
            except asyncio.CancelledError:
                log.append("cancelled")
                raise

        asyncio.get_running_loop().call_later(0.01, service.suspend_flow.set)
        result = await service.wait_first(waiting(), service.suspend_flow.wait())
        await asyncio.sleep(0.01)  # the cancellation reaches the hand-over
        return result, log, never.cancelled()

    result, log, awaited_cancelled = run(main())
    assert result.results == [True] and result.stopped is False  # the suspension won
    assert log == ["cancelled"]
    assert awaited_cancelled


@pytest.mark.parametrize("service_type", [Plain, Eager])
def test_a_suspended_flow_is_raced_as_mode_does(service_type: type[Plain]) -> None:
    async def main() -> Any:
        service = service_type()
        service.suspend_flow.set()
        never: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def waiting() -> int:
            return await never

        return await service.wait_first(waiting(), service.suspend_flow.wait())

    assert run(main()).results == [True]  # the suspension's


@pytest.mark.parametrize("service_type", [Plain, Eager])
@pytest.mark.parametrize("waits_first", [False, True])
def test_an_error_in_the_handoff_reaches_the_caller(
    service_type: type[Plain], waits_first: bool
) -> None:
    async def main() -> None:
        service = service_type()

        async def failing() -> int:
            if waits_first:
                await asyncio.sleep(0.001)
            raise ValueError("undecodable record")

        await service.wait_first(failing(), service.suspend_flow.wait())

    with pytest.raises(ValueError, match="undecodable record"):
        run(main())


def test_a_stopped_service_reports_stopped_as_mode_does() -> None:
    async def main() -> Any:
        service = Eager()
        service._stopped.set()
        return await service.wait_first(handoff(1, []), service.suspend_flow.wait())

    assert run(main()).stopped is True
