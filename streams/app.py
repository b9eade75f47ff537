"""The Faust application: thin agents over the pure scoring pipeline.

Reads topics: ``xlapulse.directory.v1``, ``xlapulse.telemetry.v1`` (keyed by
user pseudonym, co-partitioned) and ``xlapulse.observations.v1`` (keyed by
persona|site, written by this app).
Writes topics: ``xlapulse.observations.v1``, ``xlapulse.deadletter.v1`` and the
changelogs of tables ``user-directory`` and ``score-windows``.
Writes InfluxDB measurement ``experience_score`` (see ``sink/points.py``).

Processing is ``at_least_once``: an offset is committed only after its record was
fully handled (scores written to InfluxDB included). Replays are harmless
because aggregates count an event id once and points overwrite themselves.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import faust
from faust.types import EventT, StreamT

from xlapulse.collectors.contract.codec import ContractViolation
from xlapulse.collectors.contract.topics import (
    DEAD_LETTER_TOPIC,
    DIRECTORY_TOPIC,
    HEADER_DEAD_LETTER_REASON,
    HEADER_DEAD_LETTER_SOURCE,
    OBSERVATIONS_TOPIC,
    TELEMETRY_TOPIC,
)
from xlapulse.collectors.settings import XlapulseSettings
from xlapulse.streams import metrics
from xlapulse.streams.scoring.observations import Assignment, Observation
from xlapulse.streams.scoring.pipeline import (
    aggregate,
    observe,
    read_directory_record,
    read_telemetry_record,
)
from xlapulse.streams.scoring.windows import WindowAggregate, score_point
from xlapulse.streams.sink.influx import InfluxSink
from xlapulse.streams.sink.points import score_to_point

log = logging.getLogger(__name__)


def build_app(settings: XlapulseSettings, sink: InfluxSink | None = None) -> faust.App:
    """Create the engine app with its topics, tables and agents."""
    partitions = settings.topic_partitions
    app = faust.App(
        settings.engine_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
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

    def raw_topic(name: str) -> faust.TopicT:
        return app.topic(
            name,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=partitions,
        )

    directory_topic = raw_topic(DIRECTORY_TOPIC)
    telemetry_topic = raw_topic(TELEMETRY_TOPIC)
    observations_topic = raw_topic(OBSERVATIONS_TOPIC)
    dead_letter_topic = raw_topic(DEAD_LETTER_TOPIC)

    # Changelog partitions equal the source topics' partitions (co-partitioned).
    # Keys and values are JSON (the app's default serializers).
    user_directory = app.Table("user-directory", partitions=partitions)
    score_windows = app.Table("score-windows", partitions=partitions)

    async def dead_letter(event: EventT, violation: ContractViolation, source: str) -> None:
        log.warning("dead-lettering a record from %s: %s", source, violation.reason)
        metrics.DEAD_LETTERS.labels(source).inc()
        metrics.EVENTS.labels(source, "dead_letter").inc()
        await dead_letter_topic.send(
            key=event.key,
            value=event.value,
            headers={
                HEADER_DEAD_LETTER_REASON: violation.reason.encode()[:4000],
                HEADER_DEAD_LETTER_SOURCE: source.encode(),
            },
        )

    @app.agent(directory_topic)
    async def assign_directory(stream: StreamT) -> None:
        async for event in stream.events():
            try:
                update = read_directory_record(event.value)
            except ContractViolation as violation:
                await dead_letter(event, violation, DIRECTORY_TOPIC)
                continue
            user_directory[update.user_id] = {
                "persona": update.assignment.persona,
                "site": update.assignment.site,
            }
            metrics.EVENTS.labels(DIRECTORY_TOPIC, "ok").inc()

    def assignment_of(user_id: str) -> Assignment | None:
        stored = user_directory.get(user_id)
        return Assignment(**stored) if stored else None

    @app.agent(telemetry_topic)
    async def score_telemetry(stream: StreamT) -> None:
        async for event in stream.events():
            started = time.perf_counter()
            try:
                telemetry = read_telemetry_record(event.value)
            except ContractViolation as violation:
                await dead_letter(event, violation, TELEMETRY_TOPIC)
                continue
            for observation in observe(telemetry, assignment_of):
                await observations_topic.send(
                    key=observation.group_key().encode(),
                    value=json.dumps(observation.to_dict()).encode(),
                )
            metrics.EVENTS.labels(TELEMETRY_TOPIC, "ok").inc()
            metrics.PROCESSING_SECONDS.labels(TELEMETRY_TOPIC).observe(
                time.perf_counter() - started
            )

    def stored_aggregate(key: str) -> WindowAggregate | None:
        stored = score_windows.get(key)
        return WindowAggregate.from_dict(stored) if stored else None

    @app.agent(observations_topic)
    async def aggregate_scores(stream: StreamT) -> None:
        batches = stream.take_events(settings.sink_batch_size, within=settings.sink_batch_within_s)
        async for events in batches:
            points: dict[str, Any] = {}
            for event in events:
                _enter_event(stream, event)
                observation = Observation.from_dict(json.loads(event.value))
                for updated in aggregate(observation, stored_aggregate):
                    score_windows[updated.key()] = updated.to_dict()
                    published = score_point(updated)
                    if published is not None:
                        points[updated.key()] = score_to_point(published)
            await influx.write(list(points.values()))
            metrics.EVENTS.labels(OBSERVATIONS_TOPIC, "ok").inc(len(events))

    @app.on_before_shutdown.connect  # type: ignore[misc]
    async def stop_sink(sender: faust.App, **kwargs: Any) -> None:
        await influx.stop()

    return app


def _enter_event(stream: StreamT, event: EventT) -> None:
    """Make ``event`` the stream's current event so table writes go to its changelog partition.

    ``take_events`` hands over a batch; Faust routes a table write to the changelog
    partition of the *current* event, so each event of the batch is entered in turn.
    """
    stream._set_current_event(event)
