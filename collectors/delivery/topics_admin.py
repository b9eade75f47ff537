"""Create the contract's topics with one partition count, so inputs stay co-partitioned.

Writes: Kafka topic metadata (CreateTopics) for every topic in ``contract.topics``.
"""

from __future__ import annotations

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from xlapulse.collectors.contract.topics import (
    DEAD_LETTER_TOPIC,
    INPUT_TOPICS,
    OBSERVATIONS_TOPIC,
    SURVEY_INVITATIONS_TOPIC,
)

ALL_TOPICS = (*INPUT_TOPICS, OBSERVATIONS_TOPIC, SURVEY_INVITATIONS_TOPIC, DEAD_LETTER_TOPIC)


def ensure_topics(bootstrap: str, partitions: int, replication: int = 1) -> list[str]:
    """Create missing topics; return the names created. Existing topics are checked, not
    changed: a partition count that differs from ``partitions`` raises, because it would
    break co-partitioning of the inputs."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","), client_id="xlapulse-admin")
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


def _check_partition_counts(admin: KafkaAdminClient, partitions: int) -> None:
    described = admin.describe_topics(list(INPUT_TOPICS))
    wrong = {
        topic["topic"]: len(topic["partitions"])
        for topic in described
        if len(topic["partitions"]) != partitions
    }
    if wrong:
        raise RuntimeError(
            f"input topics must all have {partitions} partitions to stay co-partitioned; "
            f"found {wrong}"
        )
