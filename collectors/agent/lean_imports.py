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
  uses its pure-Python CRC-32C (1.1 to 1.8 MiB; negligible CPU at a few records a minute).
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

    Measured with ``tests/benchmarks/collector_import_rss.py`` with and without
    ``--load-crc32c`` (2026-12-02, kafka-python 3.0.12, crc32c 2.9, Python 3.11.7, 3 x 3
    runs): kafka-python's producer grows VmRSS by 2,340 KiB with this skip and by 4,230 KiB
    without it (1.8 MiB: ``importlib.metadata``, argparse and crc32c's command line, which
    the service never uses); at the end of the runtime's imports the difference is 1.1 MiB
    (30.0 against 31.1 MiB), as ``http.client`` loads some of the same modules (``email``)
    later anyway. The collector writes a few records a minute, and the pure-Python CRC
    takes about 1 ms per 4 KiB of batch (0.25 µs per byte, ``timeit``, same machine), so it
    costs no measurable CPU.
    The gateway keeps the C one.
    """
    mark_absent("crc32c")


def apply(compression_type: str | None) -> None:
    """Every step above, in the collector service process, before anything imports kafka."""
    defer_kafka_package_init()
    skip_unused_codecs(compression_type)
    skip_c_crc32c()
