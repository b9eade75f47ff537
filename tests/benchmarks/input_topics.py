"""The benchmarks' input: the engine's four input topics on a Kafka of their own.

``fill_topics_if_empty`` sends simulated workplaces (default scenario) to the input
topics when they hold nothing; ``empty_input_topics`` deletes and recreates them (the
catch-up measurement needs a larger fleet's day in them); ``records_in_topics`` counts
what they hold. ``spread`` formats min / median / max; ``steady_rate`` times the middle
90 % of a run. Used by ``engine_throughput.py``, ``quix_peer.py``, ``telegraf_peer.py``
and ``catch_up.py``; run on its own it fills (``--empty``: empties first) the topics of
a benchmark's Kafka. Reads and writes only the given Kafka::

    .venv/bin/python -m tests.benchmarks.input_topics --kafka 127.0.0.1:29192 \\
        --endpoints 1000 --empty
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from kafka import KafkaAdminClient

from xlapulse.collectors.contract.topics import INPUT_TOPICS
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings
from xlapulse.collectors.delivery.topics_admin import ensure_topics

from ..integration.helpers import end_offsets
from .engine_state import latest_workday_before, simulated_events

PARTITIONS = 3
DELETE_WAIT_S = 60.0
#: a 10,000-workplace day is about 900,000 records
SEND_TIMEOUT_S = 900.0
#: where the engine benchmarks append their dated tables
HISTORY = Path(__file__).with_name("engine_throughput_history.md")


def records_in_topics(bootstrap: str) -> int:
    return sum(sum(end_offsets(bootstrap, topic).values()) for topic in INPUT_TOPICS)


def backlog_first_day(today: date, days: int) -> date:
    """The first of ``days`` consecutive days that end before ``today``, on a workday.
    Until 2026-12-08 a backlog of several days started at the last workday before today
    and ran into the future: the engine dead-lettered those days' events (354,629 of the
    535,197 records of 1,000 workplaces x 8 days), so the figures measured on it (stop 30's
    memory per user, catch_up's events/s) describe a backlog of a few days."""
    return latest_workday_before(today - timedelta(days=days - 1))


def fill_topics_if_empty(bootstrap: str, endpoints: int, days: int = 1) -> str:
    """``endpoints`` simulated workplaces x ``days`` days ending before today
    (:func:`backlog_first_day`), sent to the input topics unless they already hold records; what the
    topics hold, in words."""
    ensure_topics(bootstrap, PARTITIONS)
    if records_in_topics(bootstrap) > 0:
        return "records already in the topics (reused)"
    first_day = backlog_first_day(datetime.now(UTC).date(), days)
    events = simulated_events(endpoints, days, first_day)
    producer = EventProducer(ProducerSettings(bootstrap_servers=bootstrap))
    try:
        producer.send_all(events, timeout_s=SEND_TIMEOUT_S)
    finally:
        producer.close()
    return f"{endpoints:,} workplaces x {days} day(s) from {first_day}"


def empty_input_topics(bootstrap: str) -> None:
    """Delete the input topics, wait until Kafka forgot them, and create them again."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.delete_topics(list(INPUT_TOPICS), timeout_ms=30_000)
        deadline = time.monotonic() + DELETE_WAIT_S
        while set(INPUT_TOPICS) & set(admin.list_topics()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kafka still lists {INPUT_TOPICS} after deleting them")
            time.sleep(0.5)
    finally:
        admin.close()
    ensure_topics(bootstrap, PARTITIONS)


def spread(values: list[float]) -> str:
    return " / ".join(f"{v:,.0f}" for v in (min(values), statistics.median(values), max(values)))


def first_sample_at(
    samples: list[tuple[float, float]], share: float, expect: int
) -> tuple[float, float]:
    """The first (time, records done) sample with at least ``share`` of ``expect`` done."""
    return next((t, n) for t, n in samples if n >= share * expect)


def steady_rate(samples: list[tuple[float, float]], expect: int) -> float:
    """Records per second from the first (time, records done) sample at 5 % of ``expect``
    to the first at 95 %: start-up and the tail left out."""
    t05, n05 = first_sample_at(samples, 0.05, expect)
    t95, n95 = first_sample_at(samples, 0.95, expect)
    if t95 <= t05:
        raise RuntimeError("5 % to 95 % within one sample: too few records to time")
    return (n95 - n05) / (t95 - t05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kafka", required=True, help="bootstrap server, host:port")
    parser.add_argument("--endpoints", type=int, default=300)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--empty", action="store_true", help="delete and recreate them first")
    args = parser.parse_args()
    if args.empty:
        empty_input_topics(args.kafka)
    fill_topics_if_empty(args.kafka, args.endpoints, args.days)
    print(f"{records_in_topics(args.kafka):,} records in the input topics")


if __name__ == "__main__":
    main()
