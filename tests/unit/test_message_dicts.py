"""The hand-written dict forms of observations and device-join messages.

``to_dict`` is shallow (issue 16: ``dataclasses.asdict`` of every observation was a few
per cent of the worker's time). It must still give what ``asdict`` gave, which the
internal topics and stored tickets carry, and read back to the same message, for every
kind the per-user and per-device steps produce over random days.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict
from typing import Any

from tests.unit.histories import random_day
from xlapulse.collectors.contract.events import event_time_ms
from xlapulse.streams.scoring import device_state
from xlapulse.streams.scoring.device_signals import (
    DeviceExplanation,
    DeviceProblem,
    DeviceTicket,
    device_signal_from_dict,
)
from xlapulse.streams.scoring.observations import (
    OBSERVATION_KINDS,
    Observation,
    observation_from_dict,
)
from xlapulse.streams.scoring.user_state import step
from xlapulse.streams.scoring.user_tickets import apply_device_explanation
from xlapulse.streams.scoring.xla import default_xla_config

CONFIG = default_xla_config()


def messages() -> tuple[list[Observation], list[Any], list[DeviceExplanation]]:
    """Every observation, device signal and device explanation of four random days."""
    rng = random.Random(16)
    users: dict[str, Any] = {}
    devices: dict[str, Any] = {}
    observations, signals, explanations = [], [], []
    for day in range(4):
        for event in random_day(rng, day):
            clock_ms = event_time_ms(event)
            result = step(users.get(event.user_id), event, CONFIG, clock_ms)
            users[event.user_id] = result.state
            observations += result.observations
            for signal in result.device_signals:
                signals.append(signal)
                answer = device_state.step(devices.get(signal.device_id), signal, clock_ms)
                devices[signal.device_id] = answer.state
                for explanation in answer.explanations:
                    explanations.append(explanation)
                    corrected = users.get(explanation.user_id)
                    observations += apply_device_explanation(corrected, explanation)
    return observations, signals, explanations


def test_every_message_dict_is_its_asdict_form_and_reads_back() -> None:
    observations, signals, explanations = messages()
    kinds = {observation.kind for observation in observations}
    assert kinds == set(OBSERVATION_KINDS), "the days produce every kind of observation"
    assert {type(signal) for signal in signals} == {DeviceProblem, DeviceTicket}
    assert explanations, "the days produce device explanations"
    for observation in observations:
        data = observation.to_dict()
        assert data == {"kind": observation.kind, **asdict(observation)}
        assert observation_from_dict(json.loads(json.dumps(data))) == observation
    for signal in signals:
        data = signal.to_dict()
        assert data == {"kind": signal.kind, **asdict(signal)}
        assert device_signal_from_dict(json.loads(json.dumps(data))) == signal
    for explanation in explanations:
        data = explanation.to_dict()
        assert data == asdict(explanation)
        assert DeviceExplanation.from_dict(json.loads(json.dumps(data))) == explanation


def test_a_message_dict_is_a_new_dict() -> None:
    """The caller may add to it (``counted_handling`` does) without changing the message."""
    observations, _, explanations = messages()
    observation, explanation = observations[0], explanations[0]
    observation.to_dict()["event_id"] = "changed"
    explanation.to_dict()["ticket_id"] = "changed"
    assert observation.event_id != "changed"
    assert explanation.ticket_id != "changed"
