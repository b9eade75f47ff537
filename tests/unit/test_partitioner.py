"""RememberingPartitioner picks exactly the partition kafka-python's (and Java's) default does."""

from __future__ import annotations

import os

import pytest
from kafka.partitioner.default import DefaultPartitioner

from xlapulse.collectors.delivery import kafka_producer
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings
from xlapulse.collectors.delivery.partitioner import RememberingPartitioner


class Cluster:
    """The two calls a partitioner makes on kafka-python's ClusterMetadata."""

    def __init__(self, topic: str, partitions: set[int]) -> None:
        self._partitions = {topic: partitions}

    def topics(self) -> set[str]:
        return set(self._partitions)

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return self._partitions.get(topic)

    def available_partitions_for_topic(self, topic: str) -> set[int] | None:
        return self._partitions.get(topic)


# Partitions of these keys among 1,000, as Kafka's Java client computes them (the vectors
# kafka-python's own test_partitioner.py checks its murmur2 against).
JAVA_PARTITIONS_OF_1000 = [
    (b"", 681),
    (b"a", 524),
    (b"ab", 434),
    (b"abc", 107),
    (b"123456789", 566),
    (b"\x00 ", 742),
]


@pytest.mark.parametrize(("key", "expected"), JAVA_PARTITIONS_OF_1000)
def test_the_java_clients_partition_also_when_remembered(key: bytes, expected: int) -> None:
    partitioner, cluster = RememberingPartitioner(), Cluster("t", set(range(1000)))
    first = partitioner.partition("t", key, key, b"v", b"v", cluster)
    again = partitioner.partition("t", key, key, b"v", b"v", cluster)
    assert first == again == expected


@pytest.mark.parametrize("partitions", [{0}, {0, 1, 2}, {0, 1, 2, 3, 4, 5}, {3, 7, 11, 12}])
def test_the_default_partition_for_random_keys(partitions: set[int]) -> None:
    default, remembering = DefaultPartitioner(), RememberingPartitioner()
    cluster = Cluster("t", partitions)
    keys = [os.urandom(length) for length in range(1, 40) for _ in range(20)]
    for key in keys + keys:  # the second round answers from the cache
        assert remembering.partition("t", key, key, None, None, cluster) == default.partition(
            "t", key, key, None, None, cluster
        )


def test_a_grown_topic_moves_remembered_keys_as_the_default_does() -> None:
    remembering, default = RememberingPartitioner(), DefaultPartitioner()
    keys = [f"u-{number:032x}".encode() for number in range(200)]
    for partitions in ({0, 1, 2}, {0, 1, 2, 3, 4, 5}):
        cluster = Cluster("t", partitions)
        assert [remembering.partition("t", k, k, None, None, cluster) for k in keys] == [
            default.partition("t", k, k, None, None, cluster) for k in keys
        ]


def test_unkeyed_records_go_to_any_partition_and_unknown_topics_fail() -> None:
    partitioner, cluster = RememberingPartitioner(), Cluster("t", {0, 1, 2})
    chosen = {partitioner.partition("t", None, None, b"v", b"v", cluster) for _ in range(200)}
    assert chosen == {0, 1, 2}
    with pytest.raises(ValueError, match="not found"):
        partitioner.partition("other", b"k", b"k", None, None, cluster)


def test_the_event_producer_uses_it(monkeypatch) -> None:
    built: list[dict] = []
    monkeypatch.setattr(kafka_producer, "KafkaProducer", lambda **options: built.append(options))
    EventProducer(ProducerSettings())
    assert isinstance(built[0]["partitioner"], RememberingPartitioner)
