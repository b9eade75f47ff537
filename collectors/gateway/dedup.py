"""A bounded set of recently stored event ids, to answer retried webhook deliveries.

Kafka's idempotent producer removes duplicates of one send, not of a vendor's second
HTTP delivery, so the gateway remembers the last ``capacity`` ids Kafka acknowledged
(least recently used evicted). Ids are deterministic (UUIDv5 of the delivery), so a
retry after eviction or a restart still carries the same ``event_id`` and the engine's
event-id de-duplication removes it.

The ids are kept as integers (``UUID.int``): Python's garbage collector does not track
integers, while every ``uuid.UUID`` is tracked. With UUID objects, each full collection
walked the whole LRU and stopped the gateway for 40-50 ms under load, which set the
benchmark's p99 (collectors/gateway/README.md, Benchmark).
"""

from __future__ import annotations

import uuid
from collections import OrderedDict


class RecentIds:
    """LRU of event ids that Kafka has acknowledged."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._ids: OrderedDict[int, None] = OrderedDict()

    def __contains__(self, event_id: uuid.UUID) -> bool:
        key = event_id.int
        if key in self._ids:
            self._ids.move_to_end(key)
            return True
        return False

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, event_id: uuid.UUID) -> None:
        key = event_id.int
        self._ids[key] = None
        self._ids.move_to_end(key)
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
