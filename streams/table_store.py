"""The ``rocksdb://`` table store for key-partitioned tables (``tables.py``).

Faust's RocksDB store keeps one database per changelog partition and files a key under
the partition of the *current event*. The engine stores a batch's changed keys after the
batch (``outbox.py``: outputs first, state second), where the current event is some
other record of the batch or none: Faust's store then failed (``assert event is not
None``) or filed the key under a partition that was not its changelog's. Here a key is
filed under :meth:`KeyPartitionedTable.partition_for_key`, the partition its changelog
records go to, for writes and reads alike, so a rebalance hands the database over with
the changelog partition that rebuilds it.

Reads and writes the worker's table files under ``XLAPULSE_ENGINE_DATA_DIR``.
"""

from __future__ import annotations

from typing import Any

import orjson
from faust.stores.rocksdb import Store as RocksDBStore


class KeyPartitionedRocksDB(RocksDBStore):
    """Faust's RocksDB store with each key in its changelog partition's database."""

    def _partition(self, key: bytes) -> int:
        # the tables' keys are strings, serialized as JSON (the app's default)
        table: Any = self.table
        return int(table.partition_for_key(orjson.loads(key)))

    def _set(self, key: bytes, value: bytes | None) -> None:
        partition = self._partition(key)
        self._key_index[key] = partition
        self._db_for_partition(partition).put(key, value)

    def _get(self, key: bytes) -> bytes | None:
        partition = self._partition(key)
        value = self._db_for_partition(partition).get(key)
        if value is not None:
            self._key_index[key] = partition
        return value

    def _contains(self, key: bytes) -> bool:
        return self._get(key) is not None
