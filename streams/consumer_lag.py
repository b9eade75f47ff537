"""Consumer lag by topic and partition, as the agent furthest behind on it sees it.

Reads: the offsets of the records an agent just took (Faust events) and the consumer's
high-water marks. Writes: the gauge ``xlapulse_consumer_lag_records`` (topic,
partition), which the alert rules and the pipeline dashboard read.

Two agents read the observations topic (``aggregate_cells`` and the dips'
``bucket_minutes``), each at its own pace. The gauge shows the larger of their lags, so
an agent that falls behind shows even while the other keeps up; its labels stay those
the rules use. An agent that takes records one at a time reports a partition's lag at
most once per ``REPORT_EVERY_S``, and at its last record: setting the gauge for every
record would cost a few per cent of a record's work.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from faust.types import EventT

from xlapulse.streams import metrics

#: How often an agent taking one record at a time reports its lag (s).
REPORT_EVERY_S = 1.0


class ConsumerLag:
    """Each agent's last lag per partition, and the gauge at the largest of them."""

    def __init__(
        self, highwater: Callable[[Any], int | None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._highwater = highwater
        self._clock = clock
        #: (topic, partition) -> agent -> records behind after its last record
        self._lag: dict[tuple[str, int], dict[str, int]] = {}
        #: (agent, topic partition) -> when it was last recorded (monotonic s)
        self._reported_at: dict[tuple[str, Any], float] = {}

    def record(self, agent: str, events: Sequence[EventT]) -> None:
        """Record the lag behind each partition's last record in ``events``."""
        last: dict[Any, EventT] = {}
        for event in events:
            last[event.message.tp] = event
        for tp, event in last.items():
            try:
                highwater = self._highwater(tp)
            except Exception:  # the consumer may be rebalancing; the next batch records it
                continue
            if highwater is None or highwater < 0:
                continue
            lags = self._lag.setdefault((tp.topic, tp.partition), {})
            lags[agent] = max(0, highwater - event.message.offset - 1)
            metrics.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(max(lags.values()))

    def record_now_and_then(self, agent: str, event: EventT) -> None:
        """:meth:`record` for an agent that takes one record at a time: at most once per
        ``REPORT_EVERY_S`` for each partition, and for the partition's last record (so
        the end of a burst always shows, as 0)."""
        tp = event.message.tp
        now = self._clock()
        due = now - self._reported_at.get((agent, tp), -REPORT_EVERY_S) >= REPORT_EVERY_S
        if due or self._is_last(event):
            self._reported_at[(agent, tp)] = now
            self.record(agent, [event])

    def _is_last(self, event: EventT) -> bool:
        try:
            return self._highwater(event.message.tp) == event.message.offset + 1
        except Exception:  # rebalancing: not known to be the last
            return False
