"""The Faust application: thin agents over the pure scoring pipeline.

Reads topics: ``xlapulse.telemetry.v1``, ``xlapulse.tickets.v1``,
``xlapulse.surveys.v1`` and ``xlapulse.directory.v1`` (keyed by user
pseudonym, co-partitioned) and three internal topics written by this app:
``<engine id>-observations`` (keyed by persona|site),
``<engine id>-device-signals`` (keyed by device pseudonym) and
``<engine id>-device-explanations`` (keyed by user pseudonym).
Writes topics: the three internal ones, ``xlapulse.survey-invitations.v1``,
``xlapulse.deadletter.v1`` and the changelogs of tables ``user-state``,
``device-state`` and ``cells``.
Writes InfluxDB measurements listed in ``sink/points.py``.

Four agents (``state_agents.py``: the first three; ``cell_agent.py``: the fourth), and
dip detection's two (``dips/agents.py``):

* ``follow_users`` keeps one state per user (directory assignment, recent
  event ids, recent problems, open tickets, today's journey) and turns each
  event into observations (``scoring/user_state.py``), and into device signals
  (a problem, a ticket raised from a device) for the device join;
* ``follow_devices`` keeps one state per device (recent problems of any of its
  users, tickets without a signal of their own) and answers with explanations
  of those tickets by the device's telemetry (``scoring/device_state.py``);
* ``explain_from_devices`` applies each explanation to its user's state (the
  ``user-state`` table, whose partition the explanation's key selects), so a
  ticket's explanation keeps one owner, and sends the corrections it makes;
* ``aggregate_cells`` counts observations in persona x site window cells and
  writes what they publish to InfluxDB (``scoring/cells.py``).

Processing is ``at_least_once``: an offset is committed only after its record
was fully handled (points written to InfluxDB included). Replays are harmless
because cells count an event id once and points overwrite themselves. Agents take
records in batches and store a batch's changed table keys only after Kafka
acknowledged everything the batch sent (``outbox.py``), so a killed worker never
keeps a state whose outputs were lost. An agent
that raises ends the worker (``EngineApp``, ``engine_app.py``) instead of being
restarted in place.

State is bounded: while processing a partition, each agent sweeps that
partition's keys once a minute and deletes users silent for the TTL and cells
older than the late-event horizon (devices: silent for
``DEVICE_STATE_TTL_MS``). A table key's changelog partition is
computed from the key (user id; device id; a cell's persona|site), never taken from the
event being processed, so each tombstone lands in the partition of the key's
writes (``KeyPartitionedTable``).
"""

from __future__ import annotations

from typing import Any

import faust

from xlapulse.collectors.contract.topics import (
    DEAD_LETTER_TOPIC,
    INPUT_TOPICS,
    SURVEY_INVITATIONS_TOPIC,
)
from xlapulse.streams import metrics
from xlapulse.streams.cell_agent import add_cell_agent
from xlapulse.streams.dips.agents import add_dip_agents
from xlapulse.streams.engine_app import (
    EngineApp,
    EngineParts,
    dead_letter_headers,
    wall_clock_ms,
)
from xlapulse.streams.kafka_auth import broker_credentials
from xlapulse.streams.scoring import device_state
from xlapulse.streams.scoring.cells import cell_group_key
from xlapulse.streams.scoring.device_state import DeviceState
from xlapulse.streams.scoring.user_model import UserState
from xlapulse.streams.scoring.user_state import is_expired
from xlapulse.streams.scoring.xla import XlaConfig, default_xla_config, load_xla_file
from xlapulse.streams.settings import EngineSettings
from xlapulse.streams.sink.influx import InfluxSink
from xlapulse.streams.state_agents import add_state_agents
from xlapulse.streams.tables import (
    PartitionSweeper,
    device_explanations_topic_name,
    device_signals_topic_name,
    key_partitioned_table,
    observations_topic_name,
)

#: the producer's batch per partition, below the broker's default 1 MiB message limit
PRODUCER_BATCH_BYTES = 512 * 1024
#: the most a fetch takes of one partition (Faust's default 1 MiB). In a backlog larger
#: fetches make larger batches, so the cell agent rewrites each changed cell less often:
#: one worker over 1,000 workplaces' day (90,008 records) settled in 26.5-27.4 s with
#: 4 MiB, 40.3-44.0 s with 1 MiB and 31.7 s with 16 MiB (README, The engine).
CONSUMER_FETCH_BYTES = 4 * 1024 * 1024


def load_config(settings: EngineSettings) -> XlaConfig:
    """The XLA file named in settings, or the packaged default."""
    return load_xla_file(settings.xla_file) if settings.xla_file else default_xla_config()


def build_app(settings: EngineSettings, sink: InfluxSink | None = None) -> EngineApp:
    """Create the engine app with its topics, tables and agents."""
    partitions = settings.topic_partitions
    max_age_ms = settings.max_event_age_s * 1000
    app = EngineApp(
        settings.engine_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        broker_credentials=broker_credentials(settings),
        store=settings.engine_store,
        processing_guarantee="at_least_once",
        topic_partitions=partitions,
        topic_replication_factor=settings.topic_replication,
        broker_session_timeout=settings.engine_session_timeout_s,
        broker_heartbeat_interval=max(1.0, settings.engine_session_timeout_s / 10),
        producer_acks=-1,
        # A user's state is 3-9 kB, so Kafka's default 16 kB batch held two or three of
        # them and the worker wrote a produce request per handful of records (socket
        # writes were 10 % of its main thread; 2.6 % with this).
        producer_max_batch_size=PRODUCER_BATCH_BYTES,
        consumer_max_fetch_size=CONSUMER_FETCH_BYTES,
        web_enabled=False,
        datadir=settings.engine_data_dir,
    )
    influx = sink or InfluxSink(settings)

    def raw_topic(*names: str, internal: bool = False) -> faust.TopicT:
        """Topics of raw bytes; ``internal`` ones are the engine's own (Faust creates them)."""
        return app.topic(
            *names,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=partitions,
            internal=internal,
        )

    # Changelog partitions equal the source topics' partitions (co-partitioned): a
    # user's state lives in its user id's partition, a device's in its device id's,
    # a cell in its persona|site's. Keys and values are JSON (the app's default).
    user_states = key_partitioned_table(app, "user-state", partitions, lambda user_id: user_id)
    device_states = key_partitioned_table(
        app, "device-state", partitions, lambda device_id: device_id
    )
    cells = key_partitioned_table(app, "cells", partitions, cell_group_key)
    parts = EngineParts(
        app=app,
        settings=settings,
        config=load_config(settings),
        max_age_ms=max_age_ms,
        influx=influx,
        observations_topic=raw_topic(observations_topic_name(settings.engine_id), internal=True),
        device_signals_topic=raw_topic(
            device_signals_topic_name(settings.engine_id), internal=True
        ),
        device_explanations_topic=raw_topic(
            device_explanations_topic_name(settings.engine_id), internal=True
        ),
        invitations_topic=raw_topic(SURVEY_INVITATIONS_TOPIC),
        dead_letter_topic=raw_topic(DEAD_LETTER_TOPIC),
        user_states=user_states,
        device_states=device_states,
        cells=cells,
        user_sweeper=PartitionSweeper(
            user_states,
            lambda _key, value: is_expired(UserState.from_dict(value), wall_clock_ms(), max_age_ms),
        ),
        device_sweeper=PartitionSweeper(
            device_states,
            lambda _key, value: device_state.is_expired(
                DeviceState.from_dict(value), wall_clock_ms()
            ),
        ),
        cell_sweeper=PartitionSweeper(
            cells,
            lambda _key, value: (
                value["window_start_ms"] + value["window_s"] * 1000 + max_age_ms < wall_clock_ms()
            ),
        ),
    )

    async def dead_letter_point(line: str, reason: str) -> None:
        """A point InfluxDB refused goes to the dead-letter topic; returns once Kafka
        acknowledged it."""
        acknowledged = await parts.dead_letter_topic.send(
            key=b"influxdb",
            value=line.encode(),
            headers=dead_letter_headers(reason, "influxdb"),
            force=True,
        )
        await acknowledged

    if isinstance(influx, InfluxSink):
        influx.on_rejected = dead_letter_point

    add_state_agents(parts, raw_topic(*INPUT_TOPICS))
    add_cell_agent(parts)
    add_dip_agents(app, settings, parts.config, raw_topic, parts.observations_topic, influx)
    _report_readiness(app, influx)
    return app


def _report_readiness(app: faust.App, influx: Any) -> None:
    """``xlapulse_assigned_partitions`` and ``xlapulse_worker_ready`` follow the group."""

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]
    def count_assigned(_sender: Any, assigned: set[Any], **_kwargs: Any) -> None:
        """Publish how many input partitions the group gave this worker (its readiness)."""
        metrics.ASSIGNED_PARTITIONS.set(sum(1 for tp in assigned if tp.topic in INPUT_TOPICS))

    @app.on_rebalance_complete.connect  # type: ignore[arg-type]
    async def ready(sender: faust.App, **kwargs: Any) -> None:
        metrics.WORKER_READY.set(1)

    @app.on_partitions_revoked.connect  # type: ignore[arg-type]
    async def rebalancing(sender: faust.App, revoked: Any, **kwargs: Any) -> None:
        metrics.WORKER_READY.set(0)

    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    async def stop_sink(sender: faust.App, **kwargs: Any) -> None:
        metrics.WORKER_READY.set(0)
        await influx.stop()
