"""The collector service process: ``python -m xlapulse.collectors.agent.runtime --config-fd N``.

Started only by ``xlapulse collector run`` (``handoff.exec_runtime``), which validated the
configuration with pydantic and exec'd this module in the same process. It imports
neither pydantic nor click, so the long-running service stays small (issue 4: at most
35 MB peak RSS; figures in collectors/agent/README.md, "Footprint").

Reads: the runtime document (JSON, see ``handoff.py``) from the inherited descriptor N,
which it closes. Writes: logs to stderr (journal format under systemd; :func:`serve` sets
that up, the one place ``collector run`` does), events through the spool to Kafka
(``daemon.py``). Exit codes as ``xlapulse collector run``: 0 after a clean stop on
SIGTERM/SIGINT, 73 (EX_CANTCREAT) when the spool folder cannot be used, 78 (EX_CONFIG)
when the document cannot be read.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys

from xlapulse.collectors.agent import lean_imports
from xlapulse.collectors.agent.service_logging import configure_service_logging

EX_CANTCREAT = 73
EX_CONFIG = 78

log = logging.getLogger("xlapulse.collector")


def read_document(descriptor: int) -> dict:
    """The runtime document from ``descriptor``, which is closed afterwards."""
    with os.fdopen(descriptor, "rb") as stream:
        return json.loads(stream.read())


def serve(document: dict, verbose: bool) -> int:
    """Run the collector until SIGTERM/SIGINT; return the exit code."""
    configure_service_logging(verbose)
    lean_imports.apply(document["kafka"]["compression_type"])  # before anything imports kafka
    from xlapulse.collectors.agent.daemon import build_daemon

    # A stop asked for while the daemon is being built (its spool opened, its sources
    # set up) is remembered, not the signal's default death: the service still ends
    # cleanly, with exit code 0.
    stop_asked: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _: stop_asked.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _: stop_asked.append(signum))
    try:
        daemon = build_daemon(document)
    except OSError as error:
        print(f"xlapulse collector: cannot use the spool folder: {error}", file=sys.stderr)
        return EX_CANTCREAT
    signal.signal(signal.SIGTERM, lambda *_: daemon.stop())
    signal.signal(signal.SIGINT, lambda *_: daemon.stop())
    if stop_asked:
        daemon.stop()
    if hasattr(signal, "SIGHUP"):
        signal.signal(
            signal.SIGHUP, lambda *_: log.info("configuration is read at start; restart to apply")
        )
    daemon.run()
    return 0


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "--config-fd" or not argv[1].isdigit():
        print(
            "usage: python -m xlapulse.collectors.agent.runtime --config-fd N [--verbose]",
            file=sys.stderr,
        )
        return EX_CONFIG
    try:
        document = read_document(int(argv[1]))
    except (OSError, ValueError) as error:
        print(f"xlapulse collector: cannot read the runtime document: {error}", file=sys.stderr)
        return EX_CONFIG
    return serve(document, verbose="--verbose" in argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
