"""Faust agents under ``agent.test_context()``: thin wrappers over the pure pipeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from xlapulse.collectors.contract.codec import encode_event
from xlapulse.collectors.contract.events import DirectoryAssignmentEvent
from xlapulse.collectors.settings import XlapulseSettings
from xlapulse.streams.app import build_app
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.observations import Observation

USER = "u_" + "c" * 32


class RecordingSink:
    """Test double for the InfluxDB sink: keeps the points it is given."""

    def __init__(self) -> None:
        self.batches: list[list] = []

    async def write(self, points) -> None:
        self.batches.append(list(points))

    async def stop(self) -> None:
        return None


@pytest.fixture()
def app(tmp_path):
    settings = XlapulseSettings(engine_data_dir=str(tmp_path), topic_partitions=1)
    sink = RecordingSink()
    app = build_app(settings, sink=sink)
    app.recording_sink = sink
    app.finalize()
    app.conf.store = "memory://"
    app.flow_control.resume()
    return app


async def test_directory_agent_stores_the_assignment(app) -> None:
    agent = app.agents["xlapulse.streams.app.assign_directory"]
    table = app.tables["user-directory"]
    event = DirectoryAssignmentEvent(
        event_time=datetime(2026, 11, 23, tzinfo=UTC),
        user_id=USER,
        persona="developer",
        site="utrecht",
        department="engineering",
    )
    async with agent.test_context() as context:
        await context.put(encode_event(event), key=USER.encode())
    assert table[USER] == {"persona": "developer", "site": "utrecht"}


async def test_aggregate_agent_writes_a_published_cell_once(app) -> None:
    agent = app.agents["xlapulse.streams.app.aggregate_scores"]
    sink = app.recording_sink
    observations = [
        Observation(
            event_id=f"00000000-0000-4000-8000-{n:012d}",
            user_id=f"u_{n:032x}",
            touch_point="logon",
            persona="developer",
            site="utrecht",
            event_time_ms=1_795_420_800_000 + n * 1000,
            band=Band.GOOD if n % 2 else Band.TOLERATING,
            duration_ms=20_000,
            target_ms=30_000,
            time_lost_ms=0,
        )
        for n in range(5)
    ]
    async with agent.test_context() as context:
        for observation in [*observations, observations[0]]:  # the last one is a replay
            await context.put(json.dumps(observation.to_dict()).encode(), key=b"developer|utrecht")
    written = [point for batch in sink.batches for point in batch]
    lines = {point.to_line_protocol() for point in written}
    assert any("window=1h" in line and "samples=5i" in line for line in lines)
    assert not any("samples=6i" in line for line in lines), "a replay is counted once"
