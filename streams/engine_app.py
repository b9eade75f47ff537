"""The engine's Faust app and what its agents share: topics, tables and small helpers.

:class:`EngineApp` ends the worker loudly when an agent raises. :class:`EngineParts`
holds what ``build_app`` (``app.py``) creates once and the agents in
``state_agents.py``, ``cell_agent.py`` and ``dips/agents.py`` use: the settings and XLA
configuration, the internal topics, the three tables and their sweepers, the InfluxDB
sink, and the helpers every batch needs (a dead letter, observations grouped per
persona|site, consumer lag, a partition sweep). Reads and writes nothing itself; the
agents send through the topics and write the tables it names.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, cast

import faust
from faust.types import AgentT, EventT, StreamT
from faust.types.transports import TransportT
from mode.utils.objects import cached_property

from xlapulse.collectors.contract.topics import (
    HEADER_DEAD_LETTER_REASON,
    HEADER_DEAD_LETTER_SOURCE,
)
from xlapulse.streams import metrics
from xlapulse.streams.consumer_lag import ConsumerLag
from xlapulse.streams.dead_letter_log import DeadLetterLog
from xlapulse.streams.internal_codec import encode_observations
from xlapulse.streams.outbox import Outbox
from xlapulse.streams.rebalance_consumer import DropCountingFlowControl, RebalanceSafeTransport
from xlapulse.streams.scoring.observations import Observation
from xlapulse.streams.scoring.xla import XlaConfig
from xlapulse.streams.settings import EngineSettings
from xlapulse.streams.sink.influx import InfluxSink
from xlapulse.streams.tables import KeyPartitionedTable, PartitionSweeper

log = logging.getLogger(__name__)


class EngineApp(faust.App):
    """The engine's Faust app: an agent that raises ends the worker, loudly; its Kafka
    consumer is :class:`RebalanceSafeConsumer` (no record lost around a rebalance).

    Faust's default restarts a crashed agent under a one-for-one supervisor, and the
    restarted agent did not resume: the worker kept consuming and committing the other
    agents' input while showing healthy metrics (issue 17). Here a crash is logged as
    CRITICAL, counted in ``xlapulse_agent_crashes_total``, sets ``xlapulse_worker_ready``
    to 0 and calls ``on_agent_crash``, which the worker sets to exit with code 1
    (``streams/worker.py``). Every agent runs under ``CrashingSupervisor``, so nothing
    restarts it meanwhile.
    """

    #: Called with the exception when an agent crashed, before anything else runs.
    on_agent_crash: Callable[[BaseException], None] | None = None

    @cached_property
    def flow_control(self) -> DropCountingFlowControl:
        """Faust's flow control, counting the queued record copies a rebalance drops."""
        return DropCountingFlowControl(loop=self.loop)

    @cached_property
    def consumer_lag(self) -> ConsumerLag:
        """What the agents' batches say of the consumer lag (``consumer_lag.py``)."""
        return ConsumerLag(lambda tp: self.consumer.highwater(tp))

    def _new_transport(self) -> TransportT:
        """Kafka through :class:`RebalanceSafeTransport` (``rebalance_consumer.py``):
        Faust's own consumer lost records around a rebalance."""
        return RebalanceSafeTransport(self.conf.broker_consumer, self)

    async def _on_agent_error(self, agent: AgentT, exc: BaseException) -> None:
        name = agent_name(agent)
        metrics.AGENT_CRASHES.labels(name).inc()
        metrics.WORKER_READY.set(0)
        log.critical("agent %s crashed: %r", name, exc, exc_info=exc)
        if self.on_agent_crash is not None:
            self.on_agent_crash(exc)


def agent_name(agent: AgentT) -> str:
    """The agent's function name (Faust names agents by their module path)."""
    return str(agent.name).rsplit(".", 1)[-1]


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


def dead_letter_headers(reason: str, source: str) -> dict[str, bytes]:
    """The dead-letter topic's headers: why, and from which topic (or ``influxdb``)."""
    return {
        HEADER_DEAD_LETTER_REASON: reason.encode()[:4000],
        HEADER_DEAD_LETTER_SOURCE: source.encode(),
    }


@dataclass
class EngineParts:
    """What ``build_app`` creates once and the agents share."""

    app: EngineApp
    settings: EngineSettings
    config: XlaConfig
    max_age_ms: int
    influx: InfluxSink
    observations_topic: faust.TopicT
    device_signals_topic: faust.TopicT
    device_explanations_topic: faust.TopicT
    invitations_topic: faust.TopicT
    dead_letter_topic: faust.TopicT
    user_states: KeyPartitionedTable
    device_states: KeyPartitionedTable
    cells: KeyPartitionedTable
    user_sweeper: PartitionSweeper
    device_sweeper: PartitionSweeper
    cell_sweeper: PartitionSweeper
    dead_letter_log: DeadLetterLog = field(default_factory=lambda: DeadLetterLog(log))

    def batches(
        self, agent: str, stream: StreamT, size: int, within_s: float
    ) -> AsyncIterator[list[EventT]]:
        """The stream in batches of at most ``size`` records, or what came within
        ``within_s``; each batch's consumer lag is recorded first, as ``agent``'s."""

        async def recorded() -> AsyncIterator[list[EventT]]:
            # faust.Stream has take_events; its StreamT protocol does not declare it
            async for events in cast(faust.Stream, stream).take_events(size, within=within_s):
                batch = list(events)
                self.app.consumer_lag.record(agent, batch)
                yield batch

        return recorded()

    async def dead_letter(
        self, outbox: Outbox, key: bytes | None, value: bytes, reason: str, source: str
    ) -> None:
        self.dead_letter_log.dead_lettered(source, reason)
        metrics.DEAD_LETTERS.labels(source).inc()
        await outbox.send(self.dead_letter_topic, key, value, dead_letter_headers(reason, source))

    async def send_observations(self, outbox: Outbox, observations: list[Observation]) -> None:
        """One record per persona|site for all of a batch's observations of that key."""
        by_key: dict[str, list[Observation]] = {}
        for observation in observations:
            by_key.setdefault(observation.group_key(), []).append(observation)
        for key, grouped in by_key.items():
            await outbox.send(self.observations_topic, key.encode(), encode_observations(grouped))


def batch_or_table(
    changed: dict[str, Any], table: Any, key: str, from_dict: Callable[[Any], Any]
) -> Any:
    """A state changed earlier in this batch, else the table's (decoded), else None."""
    state = changed.get(key)
    if state is None:
        stored = table.get(key)
        state = from_dict(stored) if stored else None
    return state


async def store_when_delivered(outbox: Outbox, table: Any, changed: dict[str, Any]) -> None:
    """Wait until Kafka acknowledged everything the batch sent, then store each changed
    state once (``outbox.py``: outputs first, state second)."""
    await outbox.delivered()
    for key, state in changed.items():
        table[key] = state.to_dict()


def sweep(name: str, sweeper: PartitionSweeper, table: Any, events: list[EventT]) -> None:
    """Sweep the expired keys of the batch's partitions of ``table`` (at most once a
    minute each) and publish the table's size."""
    for partition in sorted({event.message.partition for event in events}):
        metrics.STATE_KEYS_EXPIRED.labels(name).inc(sweeper.maybe_sweep(partition))
    metrics.STATE_KEYS.labels(name).set(len(table))
