"""The one codec of the engine's internal topics (orjson; JSON on the wire).

Reads and writes nothing itself; the agents in ``app.py`` and ``dips/agents.py`` encode
with it what they send and decode what they read:

* ``<engine id>-observations`` (key persona|site): a JSON array of the observations one
  batch of the user agent produced for that key, so a batch crosses the topic as one
  record per persona|site instead of one per observation. A single JSON object (one
  observation, what earlier versions sent) is read too, so a worker upgraded over a
  topic that still holds such records reads them;
* ``<engine id>-device-signals`` (key device id) and ``-device-explanations`` (key user
  id): one object per record;
* ``<engine id>-dip-buckets`` (key persona): a JSON array of the minute buckets one
  observations record finished, in several records (in order) when one would pass
  ``MAX_BUCKETS_RECORD_BYTES`` (a single object, what earlier versions sent, is read
  too).

The observations topic has two readers in one worker (the cell agent and the dips'
``bucket_minutes``), and Faust hands both the same record: :func:`observations_of`
decodes it once for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from weakref import WeakKeyDictionary

import orjson

from xlapulse.streams.dips.buckets import MinuteBucket
from xlapulse.streams.scoring.device_signals import (
    DeviceExplanation,
    DeviceSignal,
    device_signal_from_dict,
)
from xlapulse.streams.scoring.observations import Observation, observation_from_dict

#: as json.dumps: integer keys (a bucket's minutes) become strings
_OPTIONS = orjson.OPT_NON_STR_KEYS


def encode_observations(observations: Sequence[Observation]) -> bytes:
    return orjson.dumps([observation.to_dict() for observation in observations], option=_OPTIONS)


def decode_observations(value: bytes) -> list[Observation]:
    data = orjson.loads(value)
    items = data if isinstance(data, list) else [data]
    return [observation_from_dict(item) for item in items]


#: a record's decoded observations, while Faust holds the record (Faust's ``Message``)
_DECODED: WeakKeyDictionary[Any, tuple[Observation, ...]] = WeakKeyDictionary()


def observations_of(message: Any) -> tuple[Observation, ...]:
    """The observations of an observations record (a Faust ``Message``), decoded by its
    first reader and shared with the second: observations are frozen, and the tuple too.
    The entry goes with the record once Faust lets go of it."""
    found = _DECODED.get(message)
    if found is None:
        found = _DECODED[message] = tuple(decode_observations(message.value))
    return found


def encode_device_signal(signal: DeviceSignal) -> bytes:
    return orjson.dumps(signal.to_dict(), option=_OPTIONS)


def decode_device_signal(value: bytes) -> DeviceSignal:
    return device_signal_from_dict(orjson.loads(value))


def encode_explanation(explanation: DeviceExplanation) -> bytes:
    return orjson.dumps(explanation.to_dict(), option=_OPTIONS)


def decode_explanation(value: bytes) -> DeviceExplanation:
    return DeviceExplanation.from_dict(orjson.loads(value))


#: A record of minute buckets stays under this (Kafka's producer refuses a request over
#: 1 MiB by default, ``max.request.size``): a group clock that jumps finishes hours of
#: minute buckets at once (1.2 MB seen in one record, and the worker stopped).
MAX_BUCKETS_RECORD_BYTES = 512 * 1024


def encode_bucket_records(
    buckets: Sequence[MinuteBucket], max_bytes: int = MAX_BUCKETS_RECORD_BYTES
) -> list[bytes]:
    """The buckets as JSON arrays in their order, each record at most ``max_bytes``
    unless it holds a single bucket (a bucket is never split). Each bucket is encoded
    once: halving and re-encoding a large list cost 6 % of a worker's time in a backlog."""
    records: list[bytes] = []
    chunk: list[bytes] = []
    chunk_bytes = 2  # the brackets
    for bucket in buckets:
        value = orjson.dumps(bucket.to_dict(), option=_OPTIONS)
        if chunk and chunk_bytes + 1 + len(value) > max_bytes:
            records.append(b"[" + b",".join(chunk) + b"]")
            chunk, chunk_bytes = [], 2
        chunk.append(value)
        chunk_bytes += len(value) + (1 if len(chunk) > 1 else 0)
    if chunk:
        records.append(b"[" + b",".join(chunk) + b"]")
    return records


def decode_buckets(value: bytes) -> list[MinuteBucket]:
    data = orjson.loads(value)
    items = data if isinstance(data, list) else [data]
    return [MinuteBucket.from_dict(item) for item in items]
