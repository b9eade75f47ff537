"""The Faust application: thin agents over the pure scoring pipeline.

Reads topics: ``xlapulse.telemetry.v1``, ``xlapulse.tickets.v1``,
``xlapulse.surveys.v1`` and ``xlapulse.directory.v1`` (keyed by user
pseudonym, co-partitioned) and ``<engine id>-observations`` (internal, keyed
by persona|site, written by this app).
Writes topics: ``<engine id>-observations``, ``xlapulse.survey-invitations.v1``,
``xlapulse.deadletter.v1`` and the changelogs of tables ``user-state`` and ``cells``.
Writes InfluxDB measurements listed in ``sink/points.py``.

Two agents:

* ``follow_users`` keeps one state per user (directory assignment, recent
  event ids, recent problems, open tickets, today's journey) and turns each
  event into observations (``scoring/user_state.py``);
* ``aggregate_cells`` counts observations in persona x site window cells and
  writes what they publish to InfluxDB (``scoring/cells.py``).

Processing is ``at_least_once``: an offset is committed only after its record
was fully handled (points written to InfluxDB included). Replays are harmless
because cells count an event id once and points overwrite themselves.

State is bounded: while processing a partition, each agent sweeps that
partition's keys once a minute and deletes users silent for the TTL and cells
older than the late-event horizon.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import faust
from aiokafka.partitioner import murmur2
from faust.types import EventT, StreamT

from xlapulse.collectors.contract.codec import ContractViolation, encode_event
from xlapulse.collectors.contract.topics import (
    DEAD_LETTER_TOPIC,
    DIRECTORY_TOPIC,
    HEADER_DEAD_LETTER_REASON,
    HEADER_DEAD_LETTER_SOURCE,
    SURVEY_INVITATIONS_TOPIC,
    SURVEYS_TOPIC,
    TELEMETRY_TOPIC,
    TICKETS_TOPIC,
    headers_for,
    key_for,
)
from xlapulse.collectors.settings import XlapulseSettings
from xlapulse.streams import metrics
from xlapulse.streams.scoring.cells import Cell, cell_records
from xlapulse.streams.scoring.observations import observation_from_dict
from xlapulse.streams.scoring.pipeline import read_input_record, update_cells
from xlapulse.streams.scoring.user_state import UserState, is_expired, step
from xlapulse.streams.scoring.xla import XlaConfig, default_xla_config, load_xla_file
from xlapulse.streams.sink.influx import InfluxSink
from xlapulse.streams.sink.points import record_to_point

log = logging.getLogger(__name__)

INPUT_TOPICS = (TELEMETRY_TOPIC, TICKETS_TOPIC, SURVEYS_TOPIC, DIRECTORY_TOPIC)
SWEEP_INTERVAL_S = 60.0


def load_config(settings: XlapulseSettings) -> XlaConfig:
    """The XLA file named in settings, or the packaged default."""
    return load_xla_file(settings.xla_file) if settings.xla_file else default_xla_config()


def observations_topic_name(engine_id: str) -> str:
    """The engine's internal topic between its two agents; one per engine id, like
    Faust's own changelog topics, so two engines never count each other's work."""
    return f"{engine_id}-observations"


def partition_of(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner (murmur2) gives a key."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


class PartitionSweeper:
    """Deletes a partition's expired table keys, at most once per interval."""

    def __init__(self, table: Any, partitions: int, expired: Callable[[str, Any], bool]) -> None:
        self._table = table
        self._partitions = partitions
        self._expired = expired
        self._last_sweep_s: dict[int, float] = {}

    def maybe_sweep(self, partition: int) -> int:
        """Sweep ``partition`` if its interval passed; the number of keys deleted."""
        now_s = time.monotonic()
        if now_s - self._last_sweep_s.get(partition, 0.0) < SWEEP_INTERVAL_S:
            return 0
        self._last_sweep_s[partition] = now_s
        doomed = [
            key
            for key, value in list(self._table.items())
            if partition_of(key, self._partitions) == partition and self._expired(key, value)
        ]
        for key in doomed:
            del self._table[key]
        return len(doomed)


def build_app(settings: XlapulseSettings, sink: InfluxSink | None = None) -> faust.App:
    """Create the engine app with its topics, tables and agents."""
    partitions = settings.topic_partitions
    config = load_config(settings)
    max_age_ms = settings.max_event_age_s * 1000
    app = faust.App(
        settings.engine_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store=settings.engine_store,
        processing_guarantee="at_least_once",
        topic_partitions=partitions,
        topic_replication_factor=settings.topic_replication,
        broker_session_timeout=settings.engine_session_timeout_s,
        broker_heartbeat_interval=max(1.0, settings.engine_session_timeout_s / 10),
        producer_acks=-1,
        web_enabled=False,
        datadir=settings.engine_data_dir,
    )
    influx = sink or InfluxSink(settings)

    def raw_topic(*names: str) -> faust.TopicT:
        return app.topic(
            *names,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=partitions,
        )

    inputs = raw_topic(*INPUT_TOPICS)
    observations_name = observations_topic_name(settings.engine_id)
    observations_topic = app.topic(
        observations_name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions,
        internal=True,
    )
    invitations_topic = raw_topic(SURVEY_INVITATIONS_TOPIC)
    dead_letter_topic = raw_topic(DEAD_LETTER_TOPIC)

    # Changelog partitions equal the source topics' partitions (co-partitioned).
    # Keys and values are JSON (the app's default serializers).
    user_states = app.Table("user-state", partitions=partitions)
    cells = app.Table("cells", partitions=partitions)

    def wall_clock_ms() -> int:
        return int(time.time() * 1000)

    user_sweeper = PartitionSweeper(
        user_states,
        partitions,
        lambda _key, value: is_expired(UserState.from_dict(value), wall_clock_ms(), max_age_ms),
    )
    cell_sweeper = PartitionSweeper(
        cells,
        partitions,
        lambda _key, value: (
            value["window_start_ms"] + value["window_s"] * 1000 + max_age_ms < wall_clock_ms()
        ),
    )

    async def dead_letter(event: EventT, reason: str, source: str) -> None:
        log.warning("dead-lettering a record from %s: %s", source, reason)
        metrics.DEAD_LETTERS.labels(source).inc()
        await dead_letter_topic.send(
            key=event.key,
            value=event.value,
            headers={
                HEADER_DEAD_LETTER_REASON: reason.encode()[:4000],
                HEADER_DEAD_LETTER_SOURCE: source.encode(),
            },
        )

    @app.agent(inputs)
    async def follow_users(stream: StreamT) -> None:
        async for event in stream.events():
            started = time.perf_counter()
            topic, partition = event.message.topic, event.message.partition
            _record_lag(app, event)
            try:
                parsed = read_input_record(event.value, topic)
            except ContractViolation as violation:
                metrics.EVENTS.labels(topic, "dead_letter").inc()
                await dead_letter(event, violation.reason, topic)
                continue
            stored = user_states.get(parsed.user_id)
            result = step(
                UserState.from_dict(stored) if stored else None,
                parsed,
                config,
                wall_clock_ms(),
                max_age_ms,
            )
            metrics.EVENTS.labels(topic, result.outcome).inc()
            if result.outcome in ("late", "future"):
                await dead_letter(event, f"{result.outcome} event (event_time policy)", topic)
                continue
            if result.outcome == "duplicate":
                continue
            user_states[parsed.user_id] = result.state.to_dict()
            for observation in result.observations:
                await observations_topic.send(
                    key=observation.group_key().encode(),
                    value=json.dumps(observation.to_dict()).encode(),
                )
            for invitation in result.invitations:
                await invitations_topic.send(
                    key=key_for(invitation),
                    value=encode_event(invitation),
                    headers=dict(headers_for(invitation)),
                )
            metrics.STATE_KEYS_EXPIRED.labels("user-state").inc(user_sweeper.maybe_sweep(partition))
            metrics.STATE_KEYS.labels("user-state").set(len(user_states))
            metrics.PROCESSING_SECONDS.labels(topic).observe(time.perf_counter() - started)

    @app.agent(observations_topic)
    async def aggregate_cells(stream: StreamT) -> None:
        batches = stream.take_events(settings.sink_batch_size, within=settings.sink_batch_within_s)
        async for events in batches:
            # Cells are decoded once per batch, counted in memory, then written back
            # once each (a table write sends the whole cell to its changelog).
            batch: dict[str, tuple[Cell, EventT]] = {}
            changed_users: dict[str, set[str]] = {}
            lookup = _batch_lookup(batch, cells)
            for event in events:
                _record_lag(app, event)
                observation = observation_from_dict(json.loads(event.value))
                for cell in update_cells(observation, lookup, config):
                    batch[cell.key()] = (cell, event)
                    changed_users.setdefault(cell.key(), set()).add(observation.user_id)
            points: dict[tuple[Any, ...], Any] = {}
            for key, (cell, last_event) in batch.items():
                _enter_event(stream, last_event)
                cells[key] = cell.to_dict()
                for record in cell_records(cell, config, changed_users[key]):
                    points[record.series_key()] = record_to_point(record)
            for event in events:
                _enter_event(stream, event)
                metrics.STATE_KEYS_EXPIRED.labels("cells").inc(
                    cell_sweeper.maybe_sweep(event.message.partition)
                )
            await influx.write(list(points.values()))
            metrics.STATE_KEYS.labels("cells").set(len(cells))
            metrics.EVENTS.labels(observations_name, "ok").inc(len(events))

    @app.on_before_shutdown.connect  # type: ignore[misc]
    async def stop_sink(sender: faust.App, **kwargs: Any) -> None:
        await influx.stop()

    return app


def _batch_lookup(
    batch: dict[str, tuple[Cell, EventT]], table: Any
) -> Callable[[str], Cell | None]:
    """Find a cell in this batch first, then in the table."""

    def lookup(key: str) -> Cell | None:
        if key in batch:
            return batch[key][0]
        stored = table.get(key)
        return Cell.from_dict(stored) if stored else None

    return lookup


def _record_lag(app: faust.App, event: EventT) -> None:
    """Consumer lag of the event's partition: records behind the high-water mark."""
    tp = event.message.tp
    try:
        highwater = app.consumer.highwater(tp)
    except Exception:  # the consumer may be rebalancing; the next event updates the gauge
        return
    if highwater is not None and highwater >= 0:
        lag = max(0, highwater - event.message.offset - 1)
        metrics.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(lag)


def _enter_event(stream: StreamT, event: EventT) -> None:
    """Make ``event`` the stream's current event so table writes go to its changelog partition.

    ``take_events`` hands over a batch; Faust routes a table write to the changelog
    partition of the *current* event, so each event of the batch is entered in turn.
    """
    stream._set_current_event(event)
