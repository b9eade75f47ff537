"""Keep the collector service's memory small: import only what ``collector run`` uses.

Reads and writes nothing; changes how two third-party packages are imported in the
service process (``xlapulse collector run``), measured with
``tests/benchmarks/collector_footprint.py`` (peak RSS, see the README's footprint table):

* ``kafka/__init__.py`` imports the admin client and the consumer, which the collector
  never uses (about 1.5 MiB). :func:`defer_kafka_package_init` registers the ``kafka``
  package without running its ``__init__`` so ``kafka.producer`` and ``kafka.errors``
  load alone; the first access to a top-level name (``from kafka import KafkaConsumer``)
  still runs the real ``__init__``, so nothing else in the process can notice.
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
