"""The service process loads kafka-python's producer without its admin client, consumer,
the compression library it is not configured for and the crc32c package, and the runtime
loads no pydantic and no click (``xlapulse collector run`` validates with them, then execs
the runtime)."""

from __future__ import annotations

from tests.unit.helpers import fresh_python

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
    lines = fresh_python(PROBE).splitlines()
    assert lines == ["False False", "True False False", "KafkaConsumer True True"]


# serve() as the service runs it, up to building the daemon: the spool folder below is a
# file, so it returns 73 right after importing the daemon (and so kafka-python)
SERVE_PROBE = """
import sys
from xlapulse.collectors.agent.runtime import serve
spool = {{"directory": {spool!r}, "max_bytes": 1024, "fsync": "always"}}
exit_code = serve({{"kafka": {{"compression_type": "zstd"}}, "spool": spool}}, verbose=False)
import kafka.record.util
print(exit_code, sys.modules.get("crc32c"), kafka.record.util.crc32c_c)
"""

PLAIN_PROBE = """
import sys
import kafka.record.util
print(sys.modules.get("crc32c") is not None, kafka.record.util.crc32c_c is not None)
"""


def test_the_runtime_keeps_the_installed_crc32c_package_out(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    spool = str(tmp_path / "file" / "spool")
    assert fresh_python(SERVE_PROBE.format(spool=spool)).split() == ["73", "None", "None"]
    # without the skip, kafka-python loads it: so the skip is what keeps it out above
    assert fresh_python(PLAIN_PROBE).split() == ["True", "True"], (
        "kafka-python did not load the crc32c package, so this test cannot show that "
        "lean_imports.skip_c_crc32c keeps it out of the collector: the gateway extra "
        "(kafka-python[crc32c] in pyproject.toml) no longer installs it"
    )


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
    assert fresh_python(RUNTIME_PROBE).strip() == "[]"
