"""Keep the collector service's memory small: import only what ``collector run`` uses.

Reads and writes nothing; called by the collector runtime (``runtime.py``) only, before
the daemon is imported. Each step was measured with ``tests/benchmarks/collector_footprint.py``
(peak RSS; figures in the README's footprint section):

* ``kafka/__init__.py`` imports the admin client and the consumer, which the collector
  never uses (about 2 MiB). :func:`defer_kafka_package_init` registers the ``kafka``
  package without running its ``__init__`` so ``kafka.producer`` and ``kafka.errors``
  load alone; the first access to a top-level name (``from kafka import KafkaConsumer``)
  still runs the real ``__init__``, so nothing else in the process can notice.
* ``kafka.codec`` imports every compression library it finds (zstandard, lz4) although
  the producer uses only the configured one; :func:`skip_unused_codecs` marks the other
  as absent in this process (about 0.3 MiB).
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


def skip_unused_codecs(compression_type: str | None) -> None:
    """Make ``import`` of the compression libraries not configured fail, as if absent."""
    for codec, module in CODEC_MODULES.items():
        if codec != compression_type:
            sys.modules.setdefault(module, None)  # type: ignore[arg-type]
