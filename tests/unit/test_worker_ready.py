"""The assigned-partitions gauge (``/ready`` itself: tests/unit/test_worker_health.py).

Reads nothing from disk; builds the Faust app with a recording sink (no Kafka) and serves
the worker's WSGI endpoint on a free local port. The end-to-end case (a real worker
joining a real group) is in tests/integration/test_container_install.py.
"""

from __future__ import annotations

from pathlib import Path

from faust.types import TP
from prometheus_client import REGISTRY

from xlapulse.streams.app import build_app
from xlapulse.streams.settings import EngineSettings


class NoSink:
    async def write(self, points: object) -> None:
        return None

    async def stop(self) -> None:
        return None


async def test_the_app_counts_only_input_partitions_on_assignment(tmp_path: Path) -> None:
    settings = EngineSettings(engine_data_dir=str(tmp_path), topic_partitions=3)
    app = build_app(settings, sink=NoSink())  # type: ignore[arg-type]
    assigned = {
        TP("xlapulse.telemetry.v1", 0),
        TP("xlapulse.tickets.v1", 0),
        TP(f"{settings.engine_id}-observations", 0),
        TP(f"{settings.engine_id}-user-state-changelog", 0),
    }
    await app.on_partitions_assigned.send(assigned)
    assert REGISTRY.get_sample_value("xlapulse_assigned_partitions") == 2
    await app.on_partitions_assigned.send(set())
    assert REGISTRY.get_sample_value("xlapulse_assigned_partitions") == 0
