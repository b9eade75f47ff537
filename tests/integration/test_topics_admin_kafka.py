"""``ensure_topics`` on the real Kafka: it creates the contract's topics once, and refuses
existing input topics whose partition count differs from the one asked for."""

from __future__ import annotations

import pytest

from xlapulse.collectors.contract.topics import INPUT_TOPICS
from xlapulse.collectors.delivery.topics_admin import TopicLayoutError, ensure_topics

from .conftest import Services

pytestmark = pytest.mark.integration

PARTITIONS = 3


def test_existing_topics_with_another_partition_count_are_refused(services: Services) -> None:
    ensure_topics(services.kafka_bootstrap, PARTITIONS)
    assert ensure_topics(services.kafka_bootstrap, PARTITIONS) == []  # all exist, counts agree
    expected = f"must all have {PARTITIONS + 1} partitions"
    with pytest.raises(TopicLayoutError, match=expected) as raised:
        ensure_topics(services.kafka_bootstrap, PARTITIONS + 1)
    for name in INPUT_TOPICS:
        assert f"'{name}': {PARTITIONS}" in str(raised.value)
