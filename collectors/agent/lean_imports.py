"""Keep the collector service's memory small: import only what ``collector run`` uses.

Reads and writes nothing; :func:`apply` is called by the collector runtime
(``runtime.serve``) only, before the daemon is imported. Each step was measured with
``tests/benchmarks/collector_footprint.py`` (peak RSS) or, the last one,
``tests/benchmarks/collector_import_rss.py`` (RSS per import); figures in the README's
footprint section:

* ``kafka/__init__.py`` imports the admin client and the consumer, which the collector
  never uses (about 2 MiB). :func:`defer_kafka_package_init` registers the ``kafka``
  package without running its ``__init__`` so ``kafka.producer`` and ``kafka.errors``
  load alone; the first access to a top-level name (``from kafka import KafkaConsumer``)
  still runs the real ``__init__``, so nothing else in the process can notice.
* ``kafka.codec`` imports every compression library it finds (zstandard, lz4) although
  the producer uses only the configured one; :func:`skip_unused_codecs` marks the other
  as absent in this process (about 0.3 MiB).
* ``kafka.record.util`` imports the ``crc32c`` package when it is installed (the gateway
  extra installs it), and that package's ``__init__`` imports ``importlib.metadata`` and
  its argparse command line; :func:`skip_c_crc32c` marks it as absent, so kafka-python
  uses its pure-Python CRC-32C (1.1 to 1.8 MiB; negligible CPU at a few records a minute;
  the measurement is in the README's "In the runtime" list).
"""

from __future__ import annotations

import importlib.util
import logging
import sys


def defer_kafka_package_init() -> None:
    """Register ``kafka`` with its ``__init__`` run on first use of a top-level name."""
    if "kafka" in sys.modules:
        return
    spec = importlib.util.find_spec("kafka")
    if spec is None or spec.loader is None:
        return  # not installed: the import that needs it reports that
    package = importlib.util.module_from_spec(spec)

    def run_package_init(name: str) -> object:
        del package.__getattr__  # the real __init__ defines the names from here on
        spec.loader.exec_module(package)  # type: ignore[union-attr]
        return getattr(package, name)

    package.__getattr__ = run_package_init  # type: ignore[attr-defined]
    sys.modules["kafka"] = package
    # what the skipped __init__ would have done first: no "no handler" warnings
    logging.getLogger("kafka").addHandler(logging.NullHandler())


CODEC_MODULES = {"zstd": "zstandard", "lz4": "lz4"}


def mark_absent(module: str) -> None:
    """Make ``import module`` fail in this process, as if not installed (unless loaded)."""
    sys.modules.setdefault(module, None)  # type: ignore[arg-type]


def skip_unused_codecs(compression_type: str | None) -> None:
    """Make ``import`` of the compression libraries not configured fail, as if absent."""
    for codec, module in CODEC_MODULES.items():
        if codec != compression_type:
            mark_absent(module)


def skip_c_crc32c() -> None:
    """Make ``import crc32c`` fail, so kafka-python falls back to its pure-Python CRC-32C.

    Saves 1.1 to 1.8 MiB of VmRSS at no measurable CPU; the measurement (with and without
    ``--load-crc32c`` of ``tests/benchmarks/collector_import_rss.py``) is in
    ``collectors/agent/README.md``, Footprint, "In the runtime". The gateway keeps the C one.
    """
    mark_absent("crc32c")


def apply(compression_type: str | None) -> None:
    """Every step above, in the collector service process, before anything imports kafka."""
    defer_kafka_package_init()
    skip_unused_codecs(compression_type)
    skip_c_crc32c()
