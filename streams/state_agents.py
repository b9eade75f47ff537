"""The engine's per-user and per-device agents, added to the app by ``build_app``.

* ``follow_users`` reads the four input topics, keeps one state per user in the
  ``user-state`` table and turns each record into observations, device signals and
  survey invitations (``scoring/user_state.py``); out-of-contract, late and future
  records go to the dead-letter topic;
* ``follow_devices`` reads ``<engine id>-device-signals``, keeps one state per device
  in ``device-state`` and answers with explanations of tickets by the device's telemetry
  (``scoring/device_state.py``) on ``<engine id>-device-explanations``;
* ``explain_from_devices`` applies each explanation to its user's state and sends the
  corrections it makes as observations.

Each takes records in batches, sends what a batch produced, waits until Kafka
acknowledged it, and only then stores each changed key once (``outbox.py``).
``follow_users`` and ``explain_from_devices`` both write user states; each holds one
lock from reading a state until it stored it, across the wait for its outputs.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator

import faust
from faust.types import EventT, StreamT
from mode import CrashingSupervisor

from xlapulse.collectors.contract.codec import ContractViolation, encode_event
from xlapulse.collectors.contract.topics import headers_for, key_for
from xlapulse.streams import metrics
from xlapulse.streams.engine_app import (
    EngineParts,
    batch_or_table,
    store_when_delivered,
    sweep,
    wall_clock_ms,
)
from xlapulse.streams.internal_codec import (
    decode_device_signal,
    decode_explanation,
    encode_device_signal,
    encode_explanation,
)
from xlapulse.streams.outbox import Outbox
from xlapulse.streams.scoring import device_state
from xlapulse.streams.scoring.device_state import DeviceState
from xlapulse.streams.scoring.observations import Observation
from xlapulse.streams.scoring.pipeline import read_input_record
from xlapulse.streams.scoring.user_model import UserState
from xlapulse.streams.scoring.user_state import step
from xlapulse.streams.scoring.user_tickets import apply_device_explanation


def add_state_agents(parts: EngineParts, inputs: faust.TopicT) -> None:
    """Add the three agents over ``inputs`` (the input topics) and the internal topics."""
    app, settings = parts.app, parts.settings
    user_states_lock = asyncio.Lock()

    def batches(agent: str, stream: StreamT) -> AsyncIterator[list[EventT]]:
        size, within_s = settings.engine_batch_size, settings.engine_batch_within_s
        return parts.batches(agent, stream, size, within_s)

    @app.agent(inputs, supervisor_strategy=CrashingSupervisor)
    async def follow_users(stream: StreamT) -> None:
        async for events in batches("follow_users", stream):
            async with user_states_lock:
                await follow_users_batch(events)

    async def follow_users_batch(events: list[EventT]) -> None:
        """Step each record's user, send the outputs, wait for them, then store each
        changed user once."""
        outbox = Outbox()
        changed: dict[str, UserState] = {}
        outcomes: Counter[tuple[str, str]] = Counter()
        observations: list[Observation] = []
        unassigned = 0
        for event in events:
            started = time.perf_counter()
            topic = event.message.topic
            try:
                parsed = read_input_record(event.value, topic)
            except ContractViolation as violation:
                outcomes[topic, "dead_letter"] += 1
                await parts.dead_letter(outbox, event.key, event.value, violation.reason, topic)
                continue
            state = batch_or_table(changed, parts.user_states, parsed.user_id, UserState.from_dict)
            result = step(state, parsed, parts.config, wall_clock_ms(), parts.max_age_ms)
            outcomes[topic, result.outcome] += 1
            if result.outcome in ("late", "future"):
                reason = f"{result.outcome} event (event_time policy)"
                await parts.dead_letter(outbox, event.key, event.value, reason, topic)
                continue
            if result.outcome == "duplicate":
                continue
            changed[parsed.user_id] = result.state
            observations.extend(result.observations)
            unassigned += result.released_unassigned
            for signal in result.device_signals:
                await outbox.send(
                    parts.device_signals_topic,
                    signal.device_id.encode(),
                    encode_device_signal(signal),
                )
            for invitation in result.invitations:
                await outbox.send(
                    parts.invitations_topic,
                    key_for(invitation),
                    encode_event(invitation),
                    dict(headers_for(invitation)),
                )
            metrics.PROCESSING_SECONDS.labels(topic).observe(time.perf_counter() - started)
        await parts.send_observations(outbox, observations)
        await store_when_delivered(outbox, parts.user_states, changed)
        for (topic, outcome), count in outcomes.items():
            metrics.EVENTS.labels(topic, outcome).inc(count)
        if unassigned:
            metrics.UNASSIGNED.inc(unassigned)
        sweep("user-state", parts.user_sweeper, parts.user_states, events)

    @app.agent(parts.device_signals_topic, supervisor_strategy=CrashingSupervisor)
    async def follow_devices(stream: StreamT) -> None:
        signals_topic = parts.device_signals_topic.get_topic_name()
        async for events in batches("follow_devices", stream):
            outbox = Outbox()
            changed: dict[str, DeviceState] = {}
            for event in events:
                signal = decode_device_signal(event.value)
                state = batch_or_table(
                    changed, parts.device_states, signal.device_id, DeviceState.from_dict
                )
                result = device_state.step(state, signal, wall_clock_ms())
                changed[signal.device_id] = result.state
                for explanation in result.explanations:
                    await outbox.send(
                        parts.device_explanations_topic,
                        explanation.user_id.encode(),
                        encode_explanation(explanation),
                    )
            await store_when_delivered(outbox, parts.device_states, changed)
            sweep("device-state", parts.device_sweeper, parts.device_states, events)
            metrics.EVENTS.labels(signals_topic, "ok").inc(len(events))

    @app.agent(parts.device_explanations_topic, supervisor_strategy=CrashingSupervisor)
    async def explain_from_devices(stream: StreamT) -> None:
        explanations_topic = parts.device_explanations_topic.get_topic_name()
        async for events in batches("explain_from_devices", stream):
            async with user_states_lock:
                outbox = Outbox()
                changed: dict[str, UserState] = {}
                corrections: list[Observation] = []
                outcomes: Counter[str] = Counter()
                for event in events:
                    explanation = decode_explanation(event.value)
                    state = batch_or_table(
                        changed, parts.user_states, explanation.user_id, UserState.from_dict
                    )
                    made = apply_device_explanation(state, explanation)
                    if state is not None and made:
                        changed[explanation.user_id] = state
                    corrections.extend(made)
                    outcomes["ok" if made else "ignored"] += 1
                await parts.send_observations(outbox, corrections)
                await store_when_delivered(outbox, parts.user_states, changed)
                for outcome, count in outcomes.items():
                    metrics.EVENTS.labels(explanations_topic, outcome).inc(count)
