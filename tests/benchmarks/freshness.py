"""Freshness: from an event's production to its cell point being queryable in InfluxDB.

Used by ``engine_throughput.py`` once its rounds are done: a worker of its own catches up
with the input topics (and its cells with them), then for ``duration_s`` the benchmark
offers ``rate`` events/s (the day's simulated events, re-stamped to now with new ids, so
they are scored as live traffic) and, once a second, a *probe*: a logon of one of six
probe people at their own site. People and site are new in every measurement: the topics
keep earlier runs' probes of the same day, which a new worker reads too and would count in
a shared cell. The probes' daily logon cell (``experience_score``, window 1d) counts one
sample more per probe; a thread polls InfluxDB every 50 ms for that count, and a probe's
freshness is the first poll that shows it minus the moment it was produced. The first
five probes are sent before timing starts (a cell of fewer than 5 people publishes
nothing).

Reads the given Kafka and InfluxDB (127.0.0.1 only); writes probe and load events to the
input topics. Every wait is bounded. On its own, against a worker that is already
running (its database given)::

    .venv/bin/python -m tests.benchmarks.freshness --kafka 127.0.0.1:29192 \
        --influx http://127.0.0.1:28186 --database xlapulse --rate 500 --seconds 60
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from xlapulse.collectors.contract.events import DirectoryAssignmentEvent, EventBase, LogonEvent
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings

from ..integration.helpers import influxql

PROBE_PERSONA = "knowledge_worker"
POLL_S = 0.05
#: probes sent before timing starts: a cell of fewer than 5 people publishes nothing
FIRST_PROBES = 5


@dataclass(frozen=True)
class Probes:
    """One measurement's probe people and their site, new each time."""

    token: str = field(default_factory=lambda: uuid.uuid4().hex[:28])

    @property
    def site(self) -> str:
        return f"freshness-probe-{self.token[:8]}"

    @property
    def people(self) -> list[str]:
        return [f"u_{self.token}{n:04d}" for n in range(6)]

    def logon(self, index: int) -> LogonEvent:
        user = self.people[index % len(self.people)]
        return LogonEvent(
            event_time=datetime.now(UTC),
            user_id=user,
            device_id="d_" + user[2:],
            logon_duration_ms=12_000,
        )


def _restamped(event: EventBase, now: datetime) -> EventBase:
    return event.model_copy(update={"event_time": now, "event_id": uuid.uuid4()})


class _Watcher(threading.Thread):
    """Polls the probes' daily cell; remembers when each sample count was first seen."""

    def __init__(self, influx_url: str, database: str, site: str) -> None:
        super().__init__(daemon=True)
        day = datetime.now(UTC).strftime("%Y-%m-%dT00:00:00Z")
        self.query = (
            f'SELECT last("samples") FROM "experience_score" WHERE "site" = \'{site}\' '
            f"AND \"touch_point\" = 'logon' AND \"window\" = '1d' AND time >= '{day}'"
        )
        self.influx_url, self.database = influx_url, database
        self.first_seen: dict[int, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        seen = 0
        while not self.stop.is_set():
            try:
                series = influxql(self.influx_url, self.database, self.query)
            except (OSError, AssertionError):
                series = []
            if series:
                count = int(series[0]["values"][0][1])
                now = time.monotonic()
                for n in range(seen + 1, count + 1):
                    self.first_seen[n] = now
                seen = max(seen, count)
            time.sleep(POLL_S)


def measure_freshness(
    bootstrap: str,
    influx_url: str,
    database: str,
    load: list[EventBase],
    rate: float,
    duration_s: float,
    caught_up: Callable[[], bool],
) -> dict[str, float]:
    """p50/p95/p99/max seconds from production to the probe being queryable."""
    producer = EventProducer(ProducerSettings(bootstrap_servers=bootstrap))
    probe = Probes()
    watcher = _Watcher(influx_url, database, probe.site)
    try:
        now = datetime.now(UTC)
        producer.send_all(
            [
                DirectoryAssignmentEvent(
                    event_time=now - timedelta(minutes=1),
                    user_id=user,
                    persona=PROBE_PERSONA,
                    site=probe.site,
                    department="probe",
                )
                for user in probe.people
            ]
            + [probe.logon(n) for n in range(FIRST_PROBES)]
        )
        deadline = time.monotonic() + 600
        while not caught_up():
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not catch up with the topics within 600 s")
            time.sleep(0.5)
        watcher.start()
        while FIRST_PROBES not in watcher.first_seen and time.monotonic() < deadline:
            time.sleep(0.1)
        if FIRST_PROBES not in watcher.first_seen:
            raise RuntimeError("the probes' cell never appeared in InfluxDB")
        produced: dict[int, float] = {}
        started = time.monotonic()
        sent, probes, position = 0, FIRST_PROBES, 0
        while time.monotonic() - started < duration_s:
            tick = time.monotonic()
            due = int((tick - started) * rate) - sent
            chunk = [
                _restamped(load[(position + k) % len(load)], datetime.now(UTC)) for k in range(due)
            ]
            position += due
            if chunk:
                producer.send_all(chunk)
                sent += len(chunk)
            if tick - started >= probes - FIRST_PROBES:
                probes += 1
                producer.send_all([probe.logon(probes)])
                produced[probes] = time.monotonic()
            time.sleep(max(0.0, 0.05 - (time.monotonic() - tick)))
        settle = time.monotonic() + 60
        while probes not in watcher.first_seen and time.monotonic() < settle:
            time.sleep(0.1)
    finally:
        watcher.stop.set()
        producer.close()
    delays = sorted(
        watcher.first_seen[n] - t for n, t in produced.items() if n in watcher.first_seen
    )
    if not delays:
        raise RuntimeError("no probe became queryable")
    quantiles = statistics.quantiles(delays, n=100, method="inclusive")
    return {
        "probes": len(produced),
        "seen": len(delays),
        "offered events/s": sent / duration_s,
        "p50": quantiles[49],
        "p95": quantiles[94],
        "p99": quantiles[98],
        "max": delays[-1],
    }


def main() -> None:
    from .engine_state import latest_workday_before, simulated_events

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kafka", required=True)
    parser.add_argument("--influx", required=True)
    parser.add_argument("--database", required=True, help="the running worker's database")
    parser.add_argument("--rate", type=float, default=500.0, help="events/s offered")
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    day = latest_workday_before(datetime.now(UTC).date())
    load = [
        event
        for event in simulated_events(300, 1, day)
        if not isinstance(event, DirectoryAssignmentEvent)
    ]
    found = measure_freshness(
        args.kafka, args.influx, args.database, load, args.rate, args.seconds, lambda: True
    )
    print(found)


if __name__ == "__main__":
    main()
