"""Where ``xlapulse simulate`` puts the simulated events: Kafka or an NDJSON file.

Reads: events from ``Fleet.events``. Writes: either the contract topics through
the collectors' ``EventProducer`` (acknowledged batch by batch, so memory stays
bounded), or one ``encode_event`` JSON document per line to a file, the form
the engine's backtest replays. Optional pacing caps the rate for load tests.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from xlapulse.collectors.contract.codec import encode_event
from xlapulse.collectors.contract.events import EventBase

KAFKA_BATCH_EVENTS = 20_000
PACING_STEP_EVENTS = 500


def counted(events: Iterable[EventBase], counts: Counter[str]) -> Iterator[EventBase]:
    """Pass events through, counting them per event type into ``counts``."""
    for event in events:
        counts[event.event_type] += 1  # type: ignore[attr-defined]
        yield event


def paced(events: Iterable[EventBase], events_per_s: float | None) -> Iterator[EventBase]:
    """Pass events through no faster than ``events_per_s`` (None: as fast as possible)."""
    if not events_per_s:
        yield from events
        return
    started = time.monotonic()
    for sent, event in enumerate(events, start=1):
        yield event
        if sent % PACING_STEP_EVENTS == 0:
            ahead_s = sent / events_per_s - (time.monotonic() - started)
            if ahead_s > 0:
                time.sleep(ahead_s)


def write_ndjson(events: Iterable[EventBase], path: Path) -> int:
    """Write one contract JSON document per line; return how many were written."""
    written = 0
    with path.open("wb") as output:
        for event in events:
            output.write(encode_event(event))
            output.write(b"\n")
            written += 1
    return written


def send_to_kafka(events: Iterable[EventBase], bootstrap_servers: str) -> int:
    """Send to the contract topics, waiting for Kafka's acknowledgement batch by batch."""
    from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings

    producer = EventProducer(ProducerSettings(bootstrap_servers=bootstrap_servers))
    sent = 0
    iterator = iter(events)
    try:
        while batch := list(itertools.islice(iterator, KAFKA_BATCH_EVENTS)):
            sent += producer.send_all(batch)
    finally:
        producer.close()
    return sent
