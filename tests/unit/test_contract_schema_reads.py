"""The contract's topic map is built on first use from one schema file, with the same result
as reading every event type's own schema."""

from __future__ import annotations

import json

import pytest

from tests.unit.helpers import fresh_python
from xlapulse.collectors.contract.events import EVENT_TYPES
from xlapulse.collectors.contract.topics import (
    DIRECTORY_TOPIC,
    SURVEY_INVITATIONS_TOPIC,
    SURVEYS_TOPIC,
    TELEMETRY_TOPIC,
    TICKETS_TOPIC,
    topic_of_type,
)
from xlapulse.collectors.contract.wire import SCHEMA_DIR, telemetry_event_types


def own_schema(event_type: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{event_type}.schema.json").read_text())


def test_telemetry_types_from_the_union_are_those_whose_own_schema_requires_a_device() -> None:
    union = json.loads((SCHEMA_DIR / "event.schema.json").read_text())
    assert set(union["discriminator"]["mapping"]) == set(EVENT_TYPES)
    assert telemetry_event_types() == {
        event_type
        for event_type in EVENT_TYPES
        if "device_id" in own_schema(event_type)["required"]
    }


def test_every_event_type_keeps_its_topic() -> None:
    others = {
        "ticket": TICKETS_TOPIC,
        "survey_answer": SURVEYS_TOPIC,
        "survey_invitation": SURVEY_INVITATIONS_TOPIC,
        "directory_assignment": DIRECTORY_TOPIC,
    }
    assert {event_type: topic_of_type(event_type) for event_type in EVENT_TYPES} == {
        event_type: others.get(event_type, TELEMETRY_TOPIC) for event_type in EVENT_TYPES
    }
    assert set(others).isdisjoint(telemetry_event_types())
    with pytest.raises(KeyError, match="no_such_type"):
        topic_of_type("no_such_type")


PROBE = """
import json, pathlib
read = []
original = pathlib.Path.read_text
pathlib.Path.read_text = lambda self, *a, **k: read.append(self.name) or original(self, *a, **k)
from xlapulse.collectors.contract import topics, wire
on_import = list(read)
topics.topic_of_type("logon")
topics.topic_of_type("ticket")
print(json.dumps([on_import, read, wire.event_schema.cache_info().currsize]))
"""


def test_importing_topics_reads_no_schema_and_the_first_lookup_reads_one() -> None:
    on_import, after_lookups, cached_event_schemas = json.loads(fresh_python(PROBE))
    assert on_import == []
    assert after_lookups == ["event.schema.json"]
    assert cached_event_schemas == 0, "no per-type schema is parsed for the topic map"
