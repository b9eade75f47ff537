"""The two Faust agents of dip detection, added to the engine app by ``build_app``.

* ``bucket_minutes`` reads the engine's observations topic (keyed by persona|site, the
  same records ``aggregate_cells`` reads) into minute buckets (stage 1) and sends each
  record's finished buckets to ``<engine id>-dip-buckets`` as one record per persona.
* ``track_dips`` reads those buckets (every site of a persona on one partition, so the
  peer detector sees them all) and runs the detectors and the dip life cycle (stage 2).
  Each transition is sent to ``xlapulse.dips.v1`` (keyed by dip id), written to
  InfluxDB (measurement ``dip``), given to the Alertmanager forwarder when
  ``XLAPULSE_ALERTMANAGER_URL`` is set, and its notice sent to ``xlapulse.notices.v1``.

Stage 1 keeps its open minutes in memory (a restart loses the minutes in progress).
Stage 2 keeps each scope's seasonal history and dip in the table ``dip-state``
(``state.py``), so a restarted or rebalanced worker goes on with them; its minute
windows are in memory, refilled from the buckets topic when this process reads one of
its partitions for the first time (``rewind.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import faust
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from faust.types import StreamT
from mode import CrashingSupervisor

from xlapulse.collectors.contract.outputs import DIPS_TOPIC, HEADER_ENGINE_ID, NOTICES_TOPIC
from xlapulse.streams.dips import metrics
from xlapulse.streams.dips.alertmanager import AlertForwarder, AlertmanagerClient
from xlapulse.streams.dips.buckets import BucketBuilder
from xlapulse.streams.dips.detectors import objective_budgets
from xlapulse.streams.dips.engine import DipOutputs, DipPublisher
from xlapulse.streams.dips.publish import dip_event
from xlapulse.streams.dips.rewind import read_back
from xlapulse.streams.dips.settings import load_dip_settings
from xlapulse.streams.dips.state import persona_of, restore_persona, scope_record
from xlapulse.streams.dips.tracker import DipTracker
from xlapulse.streams.engine_app import EngineApp
from xlapulse.streams.internal_codec import (
    decode_buckets,
    encode_bucket_records,
    observations_of,
)
from xlapulse.streams.scoring.xla import XlaConfig
from xlapulse.streams.settings import EngineSettings
from xlapulse.streams.sink.points import record_to_point
from xlapulse.streams.tables import key_partitioned_table

log = logging.getLogger(__name__)


def dip_buckets_topic_name(engine_id: str) -> str:
    return f"{engine_id}-dip-buckets"


def alert_forwarder(settings: EngineSettings) -> AlertForwarder | None:
    """The forwarder for ``XLAPULSE_ALERTMANAGER_URL``, or None when it is not set."""
    if not settings.alertmanager_url:
        return None
    client = AlertmanagerClient(
        settings.alertmanager_url,
        bearer_token=settings.alertmanager_bearer_token.get_secret_value(),
        username=settings.alertmanager_username,
        password=settings.alertmanager_password.get_secret_value(),
    )
    return AlertForwarder(client, settings.dashboard_url)


def add_dip_agents(
    app: EngineApp,
    settings: EngineSettings,
    config: XlaConfig,
    raw_topic: Callable[..., faust.TopicT],
    observations_topic: faust.TopicT,
    influx: Any,
) -> None:
    dip_settings = load_dip_settings(settings.dips_file)
    buckets_name = dip_buckets_topic_name(settings.engine_id)
    buckets_topic = raw_topic(buckets_name, internal=True)
    dips_topic = raw_topic(DIPS_TOPIC)
    notices_topic = raw_topic(NOTICES_TOPIC)
    builder = BucketBuilder()
    tracker = DipTracker(dip_settings, objective_budgets(config))
    publisher = DipPublisher()
    # each scope's history and dip, on its persona's partition (state.py)
    dip_state = key_partitioned_table(app, "dip-state", settings.topic_partitions, persona_of)
    forwarder = alert_forwarder(settings)
    origin = {HEADER_ENGINE_ID: settings.engine_id.encode()}

    @app.agent(observations_topic, supervisor_strategy=CrashingSupervisor)
    async def bucket_minutes(stream: StreamT) -> None:
        async for event in stream.events():
            app.consumer_lag.record_now_and_then("bucket_minutes", event)
            # one record per persona for all the buckets this record finished (a minute
            # boundary finishes every scope of the group at once)
            finished = builder.add_record(observations_of(event.message))
            for persona, buckets in finished.items():
                for value in encode_bucket_records(buckets):
                    await buckets_topic.send(key=persona.encode(), value=value)

    #: the buckets topic's partitions this process has read (and rewound)
    rewound: set[int] = set()

    @app.agent(buckets_topic, supervisor_strategy=CrashingSupervisor)
    async def track_dips(stream: StreamT) -> None:
        async for event in stream.events():
            app.consumer_lag.record_now_and_then("track_dips", event)
            message = event.message
            if message.partition not in rewound:
                rewound.add(message.partition)
                await _rewind(message.partition, message.offset, message.timestamp)
            outputs = DipOutputs()
            for bucket in decode_buckets(event.value):
                persona = bucket.scope.persona
                if persona not in tracker.personas:
                    _restore(persona)
                outputs.extend(publisher.publish(tracker.add(bucket)))
            for dip in outputs.events:
                metrics.DIPS.labels(dip.state, dip.detector, dip.touch_point).inc()
                await dips_topic.send(
                    key=dip.dip_id.encode(), value=dip.model_dump_json().encode(), headers=origin
                )
                if forwarder is not None:
                    forwarder.add(dip)
            for notice in outputs.notices:
                await notices_topic.send(
                    key=notice.dip_id.encode(),
                    value=notice.model_dump_json().encode(),
                    headers=origin,
                )
            if outputs.records:
                await influx.write([record_to_point(record) for record in outputs.records])
            if forwarder is not None:
                metrics.ALERTS_PENDING.set(forwarder.pending)
            # stored after the transitions were sent: a worker killed in between sends
            # them again on redelivery (same event ids), never loses one
            for key in tracker.take_changed():
                record = scope_record(tracker, publisher.told, key)
                if record is not None:
                    dip_state[key] = record
                elif key in dip_state:
                    del dip_state[key]

    async def _rewind(partition: int, first_offset: int, first_timestamp_s: float) -> None:
        """Refill the windows from the partition's records before the first one given."""
        sent_ms = int((first_timestamp_s or time.time()) * 1000)
        since_ms = sent_ms - dip_settings.history_minutes() * 60_000
        values = await read_back(
            settings.kafka_bootstrap,
            credentials_to_aiokafka_auth(app.conf.broker_credentials),
            buckets_name,
            partition,
            since_ms=since_ms,
            until_offset=first_offset,
        )
        buckets = [bucket for value in values for bucket in decode_buckets(value)]
        for bucket in buckets:
            if bucket.scope.persona not in tracker.personas:
                _restore(bucket.scope.persona)
            tracker.preload(bucket)
        if values:
            log.info(
                "dips: refilled the windows of %s[%d] with %d buckets (%d records)",
                buckets_name,
                partition,
                len(buckets),
                len(values),
            )

    def _restore(persona: str) -> None:
        """A persona's stored scopes, before its first bucket in this process."""
        stored = [(key, value) for key, value in dip_state.items() if persona_of(key) == persona]
        restored = restore_persona(tracker, publisher.told, persona, stored)
        if restored:
            log.info("dips: restored %d scopes of persona %s from dip-state", restored, persona)
        if forwarder is not None:
            # keep their alerts alive: Alertmanager resolves one nobody re-sends
            for dip in tracker.personas[persona].dips.values():
                if dip.state in ("opened", "updated"):
                    forwarder.add(dip_event(dip))

    if forwarder is not None:

        @app.task
        async def forward_alerts() -> None:
            await forwarder.run()
