"""The internal topics' codec (``streams/internal_codec.py``) on every message kind the
steps produce over random days, and on a record an earlier version sent.

Observations cross ``<engine id>-observations`` as one JSON array per persona|site; a
single JSON object, one observation as versions before the batching sent it, must still
be read, so a worker upgraded over a topic that holds such records loses none.
"""

from __future__ import annotations

import gc
import json
from dataclasses import replace

import orjson
from faust.types import Message

from tests.unit.test_message_dicts import messages
from xlapulse.streams import internal_codec
from xlapulse.streams.dips.buckets import BucketBuilder
from xlapulse.streams.internal_codec import (
    decode_buckets,
    decode_device_signal,
    decode_explanation,
    decode_observations,
    encode_bucket_records,
    encode_device_signal,
    encode_explanation,
    encode_observations,
    observations_of,
)


def test_every_message_reads_back_through_the_codec() -> None:
    observations, signals, explanations = messages()
    assert decode_observations(encode_observations(observations)) == observations
    for signal in signals:
        assert decode_device_signal(encode_device_signal(signal)) == signal
    for explanation in explanations:
        assert decode_explanation(encode_explanation(explanation)) == explanation


def test_a_record_is_decoded_once_for_both_readers_and_forgotten_with_it() -> None:
    observations, _, _ = messages()
    value = encode_observations(observations)
    record = Message("xlapulse-observations", 0, 7, 0.0, 0, {}, b"developer|utrecht", value, None)
    first = observations_of(record)
    assert first == tuple(observations)
    assert observations_of(record) is first  # the second reader decodes nothing
    again = Message("xlapulse-observations", 0, 7, 0.0, 0, {}, b"developer|utrecht", value, None)
    assert observations_of(again) == first and observations_of(again) is not first
    del record, again
    gc.collect()
    assert len(internal_codec._DECODED) == 0


def test_an_observation_sent_alone_by_an_earlier_version_is_read() -> None:
    observations, _, _ = messages()
    for observation in observations:
        earlier = json.dumps(observation.to_dict()).encode()  # what app.py sent before
        assert decode_observations(earlier) == [observation]


def test_minute_buckets_cross_as_one_record_and_an_earlier_single_bucket_is_read() -> None:
    builder = BucketBuilder()
    for observation in messages()[0]:
        builder.add(observation)
    buckets = builder.flush()
    assert buckets, "the messages make buckets"
    wire = [replace(bucket, event_ids=set()) for bucket in buckets]  # stage 1's only
    assert [b for r in encode_bucket_records(buckets) for b in decode_buckets(r)] == wire
    earlier = buckets[0].to_dict()  # what one record held before buckets were grouped
    for key in ("failures", "exposed_ms"):  # and before exposure reached dip detection
        del earlier[key]
    (read,) = decode_buckets(json.dumps(earlier).encode())
    assert (read.scope, read.samples, read.failures, read.exposed_ms) == (
        buckets[0].scope,
        buckets[0].samples,
        0,
        0,
    )


def test_buckets_too_large_for_one_record_cross_as_several_in_order() -> None:
    """A group clock that jumps finishes hours of minute buckets at once: one record of
    them reached 1.2 MB in CI, over Kafka's 1 MiB request limit, and stopped the worker."""
    builder = BucketBuilder()
    for observation in messages()[0]:
        builder.add(observation)
    buckets = builder.flush()
    assert len(buckets) >= 3, "enough buckets to split"
    records = encode_bucket_records(buckets)
    assert len(records) == 1, "small enough: one record"
    (whole,) = records
    assert orjson.loads(whole) == [bucket.to_dict() for bucket in buckets]
    limit = len(whole) // 3
    records = encode_bucket_records(buckets, max_bytes=limit)
    assert len(records) > 1
    assert all(len(record) <= limit for record in records if len(decode_buckets(record)) > 1)
    crossed = [bucket for record in records for bucket in decode_buckets(record)]
    assert crossed == decode_buckets(whole), "every bucket once, in order"
