"""``xlapulse collector run`` against the real Kafka: outage, kill -9, restart, replay in order.

The collector reads the Graph callRecords drop folder (a source that runs on every OS
and whose input the test controls): each dropped file gives 4 call-quality events.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest
from kafka import KafkaConsumer

from tests.integration.conftest import TOPIC_PARTITIONS
from tests.shared_helpers import COLLECTOR_CLI, collector_env, wait_until
from xlapulse.collectors.contract.topics import TELEMETRY_TOPIC
from xlapulse.collectors.delivery.topics_admin import ensure_topics

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "graph" / "callrecord-peer-to-peer.json"
EVENTS_PER_FILE = 4


def create_telemetry_topic(bootstrap: str) -> None:
    """The contract's topics, with the partition count every integration test uses."""
    ensure_topics(bootstrap, TOPIC_PARTITIONS)


class CollectorProcess:
    """``xlapulse collector run --config <file>`` with its log in a file."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config, self.log = config, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*COLLECTOR_CLI, "run", "--config", str(self.config)],
                env=collector_env("integration-test-key-0123456789"),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def signal(self, number: int) -> int:
        assert self.process is not None
        self.process.send_signal(number)
        return self.process.wait(timeout=60)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def write_config(tmp_path: Path, bootstrap: str) -> Path:
    drop = tmp_path / "callrecords"
    drop.mkdir()
    config = tmp_path / "collector.toml"
    disabled = "\n".join(
        f"[sources.{name}]\nenabled = false"
        for name in ("systemd_boot", "journald", "cups_error_log", "synthetic_probe")
    )
    config.write_text(
        f'[kafka]\nbootstrap_servers = "{bootstrap}"\nlinger_ms = 20\n'
        f'[spool]\ndirectory = "{tmp_path / "spool"}"\nretry_s = 1.0\n'
        f'[sources.graph_call_records]\nenabled = true\ninterval_s = 1\nfolder = "{drop}"\n'
        f"{disabled}\n"
    )
    return config


def drop_call(tmp_path: Path) -> str:
    """A new callRecord file; names sort in drop order, the order the source reads them."""
    record = json.loads(SAMPLE.read_text())
    record["id"] = call_id = str(uuid.uuid4())
    number = len(list((tmp_path / "callrecords").iterdir()))
    (tmp_path / "callrecords" / f"{number:04d}-{call_id}.json").write_text(json.dumps(record))
    return call_id


def spooled(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "spool" / "spool.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM records").fetchone()[0]


class TelemetryReader:
    """Reads the telemetry topic from the start; keeps (partition, offset, event) of our calls."""

    def __init__(self, bootstrap: str, call_ids: set[str]) -> None:
        self.call_ids = call_ids
        self.found: list[tuple[int, int, dict]] = []
        self.consumer = KafkaConsumer(
            TELEMETRY_TOPIC,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
            consumer_timeout_ms=1000,
        )

    def read(self) -> list[dict]:
        for message in self.consumer:
            event = json.loads(message.value)
            if event.get("call_id") in self.call_ids:
                self.found.append((message.partition, message.offset, event))
        return [event for _, _, event in self.found]


def test_outage_kill_and_restart_lose_nothing_and_replay_in_order(services, tmp_path):
    create_telemetry_topic(services.kafka_bootstrap)
    collector = CollectorProcess(
        write_config(tmp_path, services.kafka_bootstrap), tmp_path / "c.log"
    )
    collector.start()
    before_outage = drop_call(tmp_path)
    reader = TelemetryReader(services.kafka_bootstrap, {before_outage})
    wait_until(lambda: len(reader.read()) == EVENTS_PER_FILE, 60, "events sent while Kafka is up")

    services.control("stop", "kafka")
    during_outage = [drop_call(tmp_path), drop_call(tmp_path)]
    wait_until(lambda: spooled(tmp_path) == 2 * EVENTS_PER_FILE, 60, "events spooled in the outage")
    collector.signal(signal.SIGKILL)  # a crash: no flush, no clean-up

    collector.start()  # restarted while Kafka is still down: bookmarks kept, nothing re-read
    wait_until(lambda: collector.log_text().count("collector running") == 2, 30, "the restart")
    assert spooled(tmp_path) == 2 * EVENTS_PER_FILE

    services.control("start", "kafka")
    reader.call_ids.update(during_outage)
    wait_until(lambda: len(reader.read()) == 3 * EVENTS_PER_FILE, 120, "the spool replayed")
    wait_until(lambda: spooled(tmp_path) == 0, 30, "the spool emptied")

    assert collector.signal(signal.SIGTERM) == 0
    assert "stopped; spool empty" in collector.log_text()  # SIGTERM: flushed, exit 0

    events = reader.read()
    assert len({e["event_id"] for e in events}) == 3 * EVENTS_PER_FILE  # nothing lost or doubled
    for partition in {p for p, _, _ in reader.found}:  # replayed in spool order per partition
        calls = [e["call_id"] for p, _, e in sorted(reader.found) if p == partition]
        order = [c for c in [before_outage, *during_outage] if c in calls]
        assert calls == sorted(calls, key=order.index)
