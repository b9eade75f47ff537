"""The service process loads kafka-python's producer without its admin client, consumer and
the compression library it is not configured for, and the runtime loads no pydantic and no
click (``xlapulse collector run`` validates with them, then execs the runtime)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from xlapulse.collectors.agent.lean_imports import defer_kafka_package_init, skip_unused_codecs
defer_kafka_package_init()
skip_unused_codecs("zstd")
import xlapulse.collectors.agent.daemon
from kafka import codec
print("kafka.admin" in sys.modules, "kafka.consumer" in sys.modules)
print(codec.has_zstd(), codec.has_lz4(), "lz4" in sys.modules and sys.modules["lz4"] is not None)
from kafka import KafkaConsumer, KafkaProducer
import kafka
print(KafkaConsumer.__name__, kafka.KafkaProducer is KafkaProducer, "kafka.admin" in sys.modules)
"""


def test_kafka_admin_consumer_and_unused_codecs_are_not_loaded():
    # a fresh interpreter: this test process has imported kafka already
    lines = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert lines == ["False False", "True False False", "KafkaConsumer True True"]


RUNTIME_PROBE = """
import sys
import xlapulse.collectors.agent.runtime
from xlapulse.collectors.agent.daemon import build_sources, identity_from
from xlapulse.collectors.sources import SOURCES
for name in SOURCES:
    SOURCES[name].source
print(sorted(m.split(".")[0] for m in sys.modules if m.split(".")[0] in ("pydantic", "click")))
"""


def test_the_runtime_and_every_source_import_neither_pydantic_nor_click():
    output = subprocess.run(
        [sys.executable, "-c", RUNTIME_PROBE], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"
