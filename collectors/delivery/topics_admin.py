"""Create the contract's topics with one partition count, so inputs stay co-partitioned.

Writes: Kafka topic metadata (CreateTopics) for every topic in ``contract.topics``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError, for_code

from xlapulse.collectors.contract.outputs import DIPS_TOPIC, NOTICES_TOPIC
from xlapulse.collectors.contract.topics import (
    DEAD_LETTER_TOPIC,
    INPUT_TOPICS,
    SURVEY_INVITATIONS_TOPIC,
)

ALL_TOPICS = (*INPUT_TOPICS, SURVEY_INVITATIONS_TOPIC, DEAD_LETTER_TOPIC, DIPS_TOPIC, NOTICES_TOPIC)


def ensure_topics(
    bootstrap: str, partitions: int, replication: int = 1, security: Mapping[str, Any] | None = None
) -> list[str]:
    """Create missing topics; return the names created. Existing topics are checked, not
    changed: a partition count that differs from ``partitions`` raises, because it would
    break co-partitioning of the inputs. ``security``: kafka-python's TLS and SASL options
    (``kafka_security.kafka_python_security``)."""
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap.split(","), client_id="xlapulse-admin", **(security or {})
    )
    try:
        existing = set(admin.list_topics())
        missing = [name for name in ALL_TOPICS if name not in existing]
        for name in missing:
            try:
                admin.create_topics([NewTopic(name, partitions, replication)])
            except TopicAlreadyExistsError:
                continue
        _check_partition_counts(admin, partitions)
        return missing
    finally:
        admin.close()


DESCRIBE_WAIT_S = 10.0  # a topic created a moment ago may not be in the metadata yet
DESCRIBE_RETRY_S = 0.25


class TopicLayoutError(RuntimeError):
    """The input topics cannot be described, or their partition counts differ.

    ``retriable`` is true when the broker may simply not know the topic yet.
    """

    def __init__(self, message: str, retriable: bool = False) -> None:
        super().__init__(message)
        self.retriable = retriable


def _check_partition_counts(
    admin: KafkaAdminClient, partitions: int, wait_s: float = DESCRIBE_WAIT_S
) -> None:
    counts = _described_partition_counts(admin, wait_s)
    wrong = {name: count for name, count in counts.items() if count != partitions}
    if wrong:
        raise TopicLayoutError(
            f"input topics must all have {partitions} partitions to stay co-partitioned; "
            f"found {wrong}"
        )


def _described_partition_counts(admin: KafkaAdminClient, wait_s: float) -> dict[str, int]:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return partition_counts(admin.describe_topics(list(INPUT_TOPICS)))
        except TopicLayoutError as error:
            if not error.retriable or time.monotonic() >= deadline:
                raise
        time.sleep(DESCRIBE_RETRY_S)


def partition_counts(described: list[dict[str, Any]]) -> dict[str, int]:
    """Topic name to partition count, from kafka-python 3's ``describe_topics`` answer.

    Each entry is a Metadata response topic: ``name``, ``error_code`` and a list of
    ``partitions``. A topic the broker could not describe raises with its error name.
    """
    counts = {}
    for topic in described:
        if topic["error_code"]:
            error = for_code(topic["error_code"])
            raise TopicLayoutError(
                f"cannot describe topic {topic['name']}: {error.__name__}", error.retriable
            )
        counts[topic["name"]] = len(topic["partitions"])
    return counts
