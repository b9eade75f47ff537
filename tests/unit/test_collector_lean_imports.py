"""The service process loads kafka-python's producer without its admin client and consumer."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from xlapulse.collectors.agent.lean_imports import defer_kafka_package_init
defer_kafka_package_init()
import xlapulse.collectors.agent.daemon
print("kafka.admin" in sys.modules, "kafka.consumer" in sys.modules)
from kafka import KafkaConsumer, KafkaProducer
import kafka
print(KafkaConsumer.__name__, kafka.KafkaProducer is KafkaProducer, "kafka.admin" in sys.modules)
"""


def test_kafka_admin_and_consumer_load_only_when_named():
    # a fresh interpreter: this test process has imported kafka already
    lines = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert lines == ["False False", "KafkaConsumer True True"]
