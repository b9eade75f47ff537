"""A bounded set of recently stored event ids, to answer retried webhook deliveries.

Kafka's idempotent producer removes duplicates of one send, not of a vendor's second
HTTP delivery, so the gateway remembers the last ``capacity`` ids Kafka acknowledged
(least recently used evicted). Ids are deterministic (UUIDv5 of the delivery), so a
retry after eviction or a restart still carries the same ``event_id`` and the engine's
event-id de-duplication removes it.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict


class RecentIds:
    """LRU of event ids that Kafka has acknowledged."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._ids: OrderedDict[uuid.UUID, None] = OrderedDict()

    def __contains__(self, event_id: object) -> bool:
        if event_id in self._ids:
            self._ids.move_to_end(event_id)  # type: ignore[arg-type]
            return True
        return False

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, event_id: uuid.UUID) -> None:
        self._ids[event_id] = None
        self._ids.move_to_end(event_id)
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
