"""The engine's own Kafka topics and its state tables.

The internal topic names (one set per engine id), the partition Kafka's default
partitioner gives a key, tables whose changelog partition follows the key alone, and
the sweeper that deletes expired keys partition by partition. Used by ``streams/app.py``
and ``streams/engine_app.py`` (the Faust app) and by the tests; reads and writes nothing itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import faust
from aiokafka.partitioner import murmur2
from faust.types import StoreT
from yarl import URL

from xlapulse.streams.table_store import KeyPartitionedRocksDB

SWEEP_INTERVAL_S = 60.0

#: The tables' changelog topics roll a segment every 16 MiB or 10 minutes, so Kafka's log
#: cleaner compacts them while the worker runs (it never compacts the active segment).
#: A state is rewritten by every batch that changes it; with Kafka's 1 GiB segments a
#: changelog kept every version, 520 MiB for one simulated day of 1,000 workplaces, and
#: a restarted ``memory://`` worker read all of it back (110 s).
CHANGELOG_TOPIC_CONFIG = {"segment.bytes": 16 * 1024 * 1024, "segment.ms": 600_000}


def observations_topic_name(engine_id: str) -> str:
    """The engine's internal topic between its two agents; one per engine id, like
    Faust's own changelog topics, so two engines never count each other's work."""
    return f"{engine_id}-observations"


def device_signals_topic_name(engine_id: str) -> str:
    """The engine's internal topic from users to devices (keyed by device id)."""
    return f"{engine_id}-device-signals"


def device_explanations_topic_name(engine_id: str) -> str:
    """The engine's internal topic from devices back to users (keyed by user id)."""
    return f"{engine_id}-device-explanations"


def partition_of(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner (murmur2) gives a key."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


class KeyPartitionedTable(faust.Table):
    """A table whose changelog partition is a function of the key alone.

    Faust sends a write or a delete to the changelog partition of the *current*
    event. The sweeper deletes keys that no current event belongs to, and a
    ``cells`` key (persona|site|window|start) is not the record key of its
    observations (persona|site). Here both writes and deletes go to
    ``partition_of(partition_key(key))``, the partition of the records that
    produce the key, so a tombstone always lands where the key's writes are and
    a rebuilt table does not resurrect deleted keys.
    """

    def __init__(
        self, app: faust.App, *, partition_key: Callable[[str], str], **kwargs: Any
    ) -> None:
        self._partition_key = partition_key
        super().__init__(app, **kwargs)

    def partition_for_key(self, key: str) -> int:
        assert self.partitions, "created with its partition count (key_partitioned_table)"
        return partition_of(self._partition_key(key), self.partitions)

    def _new_store_by_url(self, url: str | URL) -> StoreT:
        """``rocksdb://`` files each key under its changelog partition
        (``table_store.py``); other stores as Faust makes them."""
        if URL(str(url)).scheme != "rocksdb":
            return super()._new_store_by_url(url)
        return KeyPartitionedRocksDB(
            url,
            self.app,
            self,
            table_name=self.name,
            key_type=self.key_type,
            key_serializer=self.key_serializer,
            value_serializer=self.value_serializer,
            value_type=self.value_type,
            loop=self.loop,
            options=self.options,
        )


def key_partitioned_table(
    app: faust.App, name: str, partitions: int, partition_key: Callable[[str], str]
) -> KeyPartitionedTable:
    """Register a :class:`KeyPartitionedTable` with the app (what ``app.Table`` does)."""
    table = KeyPartitionedTable(
        app,
        name=name,
        partitions=partitions,
        partition_key=partition_key,
        beacon=app.tables.beacon,
        extra_topic_configs=CHANGELOG_TOPIC_CONFIG,
    )
    app.tables.add(table)
    return table


class PartitionSweeper:
    """Deletes a partition's expired table keys, at most once per interval.

    A key belongs to the partition ``table.partition_for_key`` gives it, the same
    partition its writes and its tombstone go to.
    """

    def __init__(self, table: Any, expired: Callable[[str, Any], bool]) -> None:
        self._table = table
        self._expired = expired
        self._last_sweep_s: dict[int, float] = {}

    def maybe_sweep(self, partition: int) -> int:
        """Sweep ``partition`` if its interval passed; the number of keys deleted."""
        now_s = time.monotonic()
        last_sweep_s = self._last_sweep_s.get(partition)
        if last_sweep_s is not None and now_s - last_sweep_s < SWEEP_INTERVAL_S:
            return 0
        self._last_sweep_s[partition] = now_s
        doomed = [
            key
            for key, value in list(self._table.items())
            if self._table.partition_for_key(key) == partition and self._expired(key, value)
        ]
        for key in doomed:
            del self._table[key]
        return len(doomed)
