"""A restarted worker refills stage 2's minute windows from the dip-buckets topic.

Stage 2 (``track_dips``) keeps its detectors' windows in memory: up to the burn rate's
6 hours of minute buckets. A worker starting without them judges the minutes after its
start alone, so a short blip burns a 6-hour budget as if it had lasted 6 hours (a false
slow-burn warning after every restart), peers are compared over minutes instead of an
hour, and the first hour remembered for the seasonal baseline is a partial one. The
buckets themselves are still in ``<engine id>-dip-buckets`` (its retention is longer
than any window). When a worker reads a partition of that topic for the first time, it
reads the partition's records of the last ``history_minutes`` before the first record it
was given (by the records' timestamps, the time stage 1 sent them) and stores their
buckets without judging them (``DipTracker.preload``).

Reads: one partition of the topic, with its own aiokafka consumer (no group, no commit)
and the worker's credentials, bounded by ``REWIND_TIMEOUT_S``; a rewind that times out
keeps what it read and says so in the log. Writes: nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

log = logging.getLogger(__name__)

#: the longest a rewind may take before the worker goes on with what it read
REWIND_TIMEOUT_S = 60.0
#: records read per fetch
MAX_RECORDS = 1_000


async def read_back(
    bootstrap: str,
    auth: Mapping[str, Any],
    topic: str,
    partition: int,
    *,
    since_ms: int,
    until_offset: int,
    timeout_s: float = REWIND_TIMEOUT_S,
) -> list[bytes]:
    """The values of the partition's records from the first one stamped at or after
    ``since_ms`` up to (not including) ``until_offset``, in order."""
    if until_offset <= 0:
        return []
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None, **auth
    )
    values: list[bytes] = []
    await consumer.start()
    try:
        await asyncio.wait_for(
            _read(consumer, TopicPartition(topic, partition), since_ms, until_offset, values),
            timeout_s,
        )
    except TimeoutError:
        log.warning(
            "dips: rewinding %s[%d] took over %.0f s; windows are partly refilled",
            topic,
            partition,
            timeout_s,
        )
    finally:
        await consumer.stop()
    return values


async def _read(
    consumer: AIOKafkaConsumer,
    partition: TopicPartition,
    since_ms: int,
    until_offset: int,
    values: list[bytes],
) -> None:
    """Append the wanted records' values to ``values`` (kept when the caller times out)."""
    consumer.assign([partition])
    found = (await consumer.offsets_for_times({partition: since_ms})).get(partition)
    start = until_offset if found is None else found.offset
    if start >= until_offset:
        return
    consumer.seek(partition, start)
    while True:
        batch = await consumer.getmany(partition, timeout_ms=500, max_records=MAX_RECORDS)
        for record in batch.get(partition, []):
            if record.offset >= until_offset:
                return
            if record.value is not None:
                values.append(record.value)
        if await consumer.position(partition) >= until_offset:
            return
