"""Directory first: which input partitions a fetch may hand to the engine's agents now.

Reads the consumer's fetch state of each assigned directory partition (its position, the
offset of the next record it will hand over, and the high watermark of the last fetch
response); writes nothing. Used by ``rebalance_consumer.py`` before every fetch.

A user's events are held until their directory assignment arrives, at most
``MAX_HELD_EVENTS`` of them (``scoring/user_state.py``); beyond that they are scored as
persona ``unassigned``. The four input topics are co-partitioned, but a consumer hands
over one partition's fetched records before the next one's (aiokafka's
``fetched_records`` drains its buffers in the order the fetch responses filled them), and
the partitions of one partition number may be led by different brokers. So in a
backlog (a replay, a fresh engine, a collector fleet back from an outage) a telemetry
partition could hand over a megabyte of records, a hundred per user, before the
directory partition of the same number was read: users whose assignment was in Kafka
all along were scored ``unassigned`` (seen in the fault suite's collector-outage test).

Kafka Streams solves this for joins by choosing the record with the lowest timestamp
among partitions that all have data, waiting up to ``max.task.idle.ms`` for a partition
without. This gate does the part the engine needs: a telemetry, ticket or survey
partition waits while the directory partition of its number is *behind* (it has no
fetch response yet, or records up to its high watermark not yet handed over), so every
assignment in Kafka when the fetch was answered reaches the agent before the events
fetched with or after it. An assignment produced later is the hold's case, as before.
A partition waits at most ``max_wait_s`` per spell, then passes with a warning: a
directory partition that never catches up (a broker that answers one partition and not
another) must not stall the engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Set
from dataclasses import dataclass, field

from faust.types import TP

log = logging.getLogger(__name__)

#: The longest a partition waits for its directory partition, per spell (s).
DEFAULT_MAX_WAIT_S = 30.0


@dataclass
class DirectoryFirstGate:
    """The partitions of ``gated_topics`` wait for the ``directory_topic`` partition of
    the same number while it is behind."""

    directory_topic: str
    gated_topics: frozenset[str]
    max_wait_s: float = DEFAULT_MAX_WAIT_S
    #: directory partition number -> monotonic time it was first seen behind
    behind_since_s: dict[int, float] = field(default_factory=dict)
    #: directory partitions whose wait ran out in the current spell (warned once)
    gave_up: set[int] = field(default_factory=set)

    def admit(self, requested: Set[TP], behind: Callable[[TP], bool], now_s: float) -> set[TP]:
        """The partitions of ``requested`` that may hand over records now; ``behind``
        tells whether a directory partition has records not handed over yet."""
        waiting: set[int] = set()
        for tp in requested:
            if tp.topic != self.directory_topic:
                continue
            if not behind(tp):
                self.behind_since_s.pop(tp.partition, None)
                self.gave_up.discard(tp.partition)
                continue
            since = self.behind_since_s.setdefault(tp.partition, now_s)
            if now_s - since <= self.max_wait_s:
                waiting.add(tp.partition)
            elif tp.partition not in self.gave_up:
                self.gave_up.add(tp.partition)
                log.warning(
                    "directory partition %s[%d] still behind after %.0f s; its input "
                    "partitions go on without it (events of users not yet assigned are held)",
                    tp.topic,
                    tp.partition,
                    now_s - since,
                )
        if not waiting:
            return set(requested)
        return {
            tp
            for tp in requested
            if tp.topic not in self.gated_topics or tp.partition not in waiting
        }
