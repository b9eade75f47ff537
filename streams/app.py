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

Four agents:

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
that raises ends the worker (``EngineApp``) instead of being restarted in place.

State is bounded: while processing a partition, each agent sweeps that
partition's keys once a minute and deletes users silent for the TTL and cells
older than the late-event horizon (devices: silent for
``DEVICE_STATE_TTL_MS``). A table key's changelog partition is
computed from the key (user id; device id; a cell's persona|site), never taken from the
event being processed, so each tombstone lands in the partition of the key's
writes (``KeyPartitionedTable``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import faust
from faust.types import AgentT, EventT, StreamT
from mode import CrashingSupervisor

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
from xlapulse.streams.dips.agents import add_dip_agents
from xlapulse.streams.internal_codec import (
    decode_device_signal,
    decode_explanation,
    decode_observations,
    encode_device_signal,
    encode_explanation,
    encode_observations,
)
from xlapulse.streams.kafka_auth import broker_credentials
from xlapulse.streams.outbox import Outbox
from xlapulse.streams.scoring import device_state
from xlapulse.streams.scoring.cells import Cell, cell_group_key
from xlapulse.streams.scoring.device_state import DeviceState
from xlapulse.streams.scoring.observations import Observation
from xlapulse.streams.scoring.pipeline import read_input_record, update_cells
from xlapulse.streams.scoring.records import cell_records
from xlapulse.streams.scoring.user_state import (
    UserState,
    apply_device_explanation,
    is_expired,
    step,
)
from xlapulse.streams.scoring.xla import XlaConfig, default_xla_config, load_xla_file
from xlapulse.streams.sink.influx import InfluxSink
from xlapulse.streams.sink.points import record_to_point
from xlapulse.streams.tables import (
    PartitionSweeper,
    device_explanations_topic_name,
    device_signals_topic_name,
    key_partitioned_table,
    observations_topic_name,
)

log = logging.getLogger(__name__)

INPUT_TOPICS = (TELEMETRY_TOPIC, TICKETS_TOPIC, SURVEYS_TOPIC, DIRECTORY_TOPIC)


def load_config(settings: XlapulseSettings) -> XlaConfig:
    """The XLA file named in settings, or the packaged default."""
    return load_xla_file(settings.xla_file) if settings.xla_file else default_xla_config()


class EngineApp(faust.App):
    """The engine's Faust app: an agent that raises ends the worker, loudly.

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


def build_app(settings: XlapulseSettings, sink: InfluxSink | None = None) -> faust.App:
    """Create the engine app with its topics, tables and agents."""
    partitions = settings.topic_partitions
    config = load_config(settings)
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
        web_enabled=False,
        datadir=settings.engine_data_dir,
    )
    influx = sink or InfluxSink(settings)

    @app.on_partitions_assigned.connect
    def count_assigned(_sender: Any, assigned: set[Any], **_kwargs: Any) -> None:
        """Publish how many input partitions the group gave this worker (its readiness)."""
        metrics.ASSIGNED_PARTITIONS.set(sum(1 for tp in assigned if tp.topic in INPUT_TOPICS))

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

    inputs = raw_topic(*INPUT_TOPICS)

    observations_name = observations_topic_name(settings.engine_id)
    observations_topic = raw_topic(observations_name, internal=True)
    device_signals_name = device_signals_topic_name(settings.engine_id)
    device_signals_topic = raw_topic(device_signals_name, internal=True)
    device_explanations_name = device_explanations_topic_name(settings.engine_id)
    device_explanations_topic = raw_topic(device_explanations_name, internal=True)
    invitations_topic = raw_topic(SURVEY_INVITATIONS_TOPIC)
    dead_letter_topic = raw_topic(DEAD_LETTER_TOPIC)

    async def dead_letter_point(line: str, reason: str) -> None:
        """A point InfluxDB refused goes to the dead-letter topic, acknowledged."""
        outbox = Outbox()
        await outbox.send(
            dead_letter_topic,
            b"influxdb",
            line.encode(),
            {
                HEADER_DEAD_LETTER_REASON: reason.encode()[:4000],
                HEADER_DEAD_LETTER_SOURCE: b"influxdb",
            },
        )
        await outbox.delivered()

    if isinstance(influx, InfluxSink):
        influx.on_rejected = dead_letter_point

    # Changelog partitions equal the source topics' partitions (co-partitioned): a
    # user's state lives in its user id's partition, a device's in its device id's,
    # a cell in its persona|site's.
    # Keys and values are JSON (the app's default serializers).
    user_states = key_partitioned_table(app, "user-state", partitions, lambda user_id: user_id)
    device_states = key_partitioned_table(
        app, "device-state", partitions, lambda device_id: device_id
    )
    cells = key_partitioned_table(app, "cells", partitions, cell_group_key)

    def wall_clock_ms() -> int:
        return int(time.time() * 1000)

    user_sweeper = PartitionSweeper(
        user_states,
        lambda _key, value: is_expired(UserState.from_dict(value), wall_clock_ms(), max_age_ms),
    )
    device_sweeper = PartitionSweeper(
        device_states,
        lambda _key, value: device_state.is_expired(DeviceState.from_dict(value), wall_clock_ms()),
    )
    cell_sweeper = PartitionSweeper(
        cells,
        lambda _key, value: (
            value["window_start_ms"] + value["window_s"] * 1000 + max_age_ms < wall_clock_ms()
        ),
    )

    # follow_users and explain_from_devices both write user states; each holds this lock
    # from reading a state until it stored it, across the wait for its outputs.
    user_states_lock = asyncio.Lock()

    async def dead_letter(outbox: Outbox, event: EventT, reason: str, source: str) -> None:
        log.warning("dead-lettering a record from %s: %s", source, reason)
        metrics.DEAD_LETTERS.labels(source).inc()
        await outbox.send(
            dead_letter_topic,
            event.key,
            event.value,
            {
                HEADER_DEAD_LETTER_REASON: reason.encode()[:4000],
                HEADER_DEAD_LETTER_SOURCE: source.encode(),
            },
        )

    async def send_observations(outbox: Outbox, observations: list[Observation]) -> None:
        """One record per persona|site for all of a batch's observations of that key."""
        by_key: dict[str, list[Observation]] = {}
        for observation in observations:
            by_key.setdefault(observation.group_key(), []).append(observation)
        for key, grouped in by_key.items():
            await outbox.send(observations_topic, key.encode(), encode_observations(grouped))

    @app.agent(inputs, supervisor_strategy=CrashingSupervisor)
    async def follow_users(stream: StreamT) -> None:
        batches = stream.take_events(
            settings.engine_batch_size, within=settings.engine_batch_within_s
        )
        async for events in batches:
            async with user_states_lock:
                await follow_users_batch(events)

    async def follow_users_batch(events: list[EventT]) -> None:
        """Step each record's user, send the outputs, wait for them, then store each
        changed user once (``streams/outbox.py``)."""
        _record_lag(app, events)
        outbox = Outbox()
        changed: dict[str, UserState] = {}
        outcomes: Counter[tuple[str, str]] = Counter()
        observations: list[Observation] = []
        for event in events:
            started = time.perf_counter()
            topic = event.message.topic
            try:
                parsed = read_input_record(event.value, topic)
            except ContractViolation as violation:
                outcomes[topic, "dead_letter"] += 1
                await dead_letter(outbox, event, violation.reason, topic)
                continue
            state = changed.get(parsed.user_id)
            if state is None:
                stored = user_states.get(parsed.user_id)
                state = UserState.from_dict(stored) if stored else None
            result = step(state, parsed, config, wall_clock_ms(), max_age_ms)
            outcomes[topic, result.outcome] += 1
            if result.outcome in ("late", "future"):
                await dead_letter(
                    outbox, event, f"{result.outcome} event (event_time policy)", topic
                )
                continue
            if result.outcome == "duplicate":
                continue
            changed[parsed.user_id] = result.state
            observations.extend(result.observations)
            for signal in result.device_signals:
                await outbox.send(
                    device_signals_topic,
                    signal.device_id.encode(),
                    encode_device_signal(signal),
                )
            for invitation in result.invitations:
                await outbox.send(
                    invitations_topic,
                    key_for(invitation),
                    encode_event(invitation),
                    dict(headers_for(invitation)),
                )
            metrics.PROCESSING_SECONDS.labels(topic).observe(time.perf_counter() - started)
        await send_observations(outbox, observations)
        await outbox.delivered()
        for user_id, state in changed.items():
            user_states[user_id] = state.to_dict()
        for (topic, outcome), count in outcomes.items():
            metrics.EVENTS.labels(topic, outcome).inc(count)
        for partition in sorted({event.message.partition for event in events}):
            metrics.STATE_KEYS_EXPIRED.labels("user-state").inc(user_sweeper.maybe_sweep(partition))
        metrics.STATE_KEYS.labels("user-state").set(len(user_states))

    @app.agent(device_signals_topic, supervisor_strategy=CrashingSupervisor)
    async def follow_devices(stream: StreamT) -> None:
        batches = stream.take_events(
            settings.engine_batch_size, within=settings.engine_batch_within_s
        )
        async for events in batches:
            _record_lag(app, events)
            outbox = Outbox()
            changed: dict[str, DeviceState] = {}
            for event in events:
                signal = decode_device_signal(event.value)
                state = changed.get(signal.device_id)
                if state is None:
                    stored = device_states.get(signal.device_id)
                    state = DeviceState.from_dict(stored) if stored else None
                result = device_state.step(state, signal, wall_clock_ms())
                changed[signal.device_id] = result.state
                for explanation in result.explanations:
                    await outbox.send(
                        device_explanations_topic,
                        explanation.user_id.encode(),
                        encode_explanation(explanation),
                    )
            await outbox.delivered()
            for device_id, state in changed.items():
                device_states[device_id] = state.to_dict()
            for partition in sorted({event.message.partition for event in events}):
                metrics.STATE_KEYS_EXPIRED.labels("device-state").inc(
                    device_sweeper.maybe_sweep(partition)
                )
            metrics.STATE_KEYS.labels("device-state").set(len(device_states))
            metrics.EVENTS.labels(device_signals_name, "ok").inc(len(events))

    @app.agent(device_explanations_topic, supervisor_strategy=CrashingSupervisor)
    async def explain_from_devices(stream: StreamT) -> None:
        batches = stream.take_events(
            settings.engine_batch_size, within=settings.engine_batch_within_s
        )
        async for events in batches:
            async with user_states_lock:
                _record_lag(app, events)
                outbox = Outbox()
                changed: dict[str, UserState] = {}
                all_corrections: list[Observation] = []
                for event in events:
                    explanation = decode_explanation(event.value)
                    state = changed.get(explanation.user_id)
                    if state is None:
                        stored = user_states.get(explanation.user_id)
                        state = UserState.from_dict(stored) if stored else None
                    corrections = apply_device_explanation(state, explanation)
                    if state is not None and corrections:
                        changed[explanation.user_id] = state
                    all_corrections.extend(corrections)
                    metrics.EVENTS.labels(
                        device_explanations_name, "ok" if corrections else "ignored"
                    ).inc()
                await send_observations(outbox, all_corrections)
                await outbox.delivered()
                for user_id, state in changed.items():
                    user_states[user_id] = state.to_dict()

    @app.agent(observations_topic, supervisor_strategy=CrashingSupervisor)
    async def aggregate_cells(stream: StreamT) -> None:
        batches = stream.take_events(settings.sink_batch_size, within=settings.sink_batch_within_s)
        async for events in batches:
            # Cells are decoded once per batch, counted in memory, then written back
            # once each (a table write sends the whole cell to its changelog).
            _record_lag(app, events)
            batch: dict[str, Cell] = {}
            lookup = _batch_lookup(batch, cells)
            for event in events:
                for observation in decode_observations(event.value):
                    for cell in update_cells(observation, lookup, config):
                        batch[cell.key()] = cell
            points: dict[tuple[Any, ...], Any] = {}
            for cell in batch.values():
                for record in cell_records(cell, config):
                    points[record.series_key()] = record_to_point(record)
            await influx.write(list(points.values()))
            if points:
                metrics.SINK_LAST_WRITE.set_to_current_time()
            # Cells are stored only once InfluxDB holds their points: a worker that dies
            # before recounts the redelivered observations and writes the same points; had
            # it stored them first, the redelivery would find them counted and write none.
            for key, cell in batch.items():
                cells[key] = cell.to_dict()
            for partition in sorted({event.message.partition for event in events}):
                metrics.STATE_KEYS_EXPIRED.labels("cells").inc(cell_sweeper.maybe_sweep(partition))
            metrics.STATE_KEYS.labels("cells").set(len(cells))
            metrics.EVENTS.labels(observations_name, "ok").inc(len(events))

    add_dip_agents(app, settings, config, raw_topic, observations_topic, influx)

    @app.on_rebalance_complete.connect  # type: ignore[misc]
    async def ready(sender: faust.App, **kwargs: Any) -> None:
        metrics.WORKER_READY.set(1)

    @app.on_partitions_revoked.connect  # type: ignore[misc]
    async def rebalancing(sender: faust.App, revoked: Any, **kwargs: Any) -> None:
        metrics.WORKER_READY.set(0)

    @app.on_before_shutdown.connect  # type: ignore[misc]
    async def stop_sink(sender: faust.App, **kwargs: Any) -> None:
        metrics.WORKER_READY.set(0)
        await influx.stop()

    return app


def _batch_lookup(batch: dict[str, Cell], table: Any) -> Callable[[str], Cell | None]:
    """Find a cell in this batch first, then in the table."""

    def lookup(key: str) -> Cell | None:
        if key in batch:
            return batch[key]
        stored = table.get(key)
        return Cell.from_dict(stored) if stored else None

    return lookup


def _record_lag(app: faust.App, events: list[EventT]) -> None:
    """Consumer lag of each partition in the batch: records behind the high-water mark
    after the batch's last record of that partition."""
    last: dict[Any, EventT] = {}
    for event in events:
        last[event.message.tp] = event
    for tp, event in last.items():
        try:
            highwater = app.consumer.highwater(tp)
        except Exception:  # the consumer may be rebalancing; the next batch updates the gauge
            continue
        if highwater is not None and highwater >= 0:
            lag = max(0, highwater - event.message.offset - 1)
            metrics.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(lag)
