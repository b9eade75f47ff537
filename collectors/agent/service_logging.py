"""Logging for ``xlapulse collector run``: stderr, or the journal's own format under systemd.

Reads: ``JOURNAL_STREAM`` (set by systemd when stderr is connected to the journal).
Writes: log lines to stderr. Under systemd each line starts with the syslog priority
(``<3>`` error ... ``<7>`` debug, systemd's SyslogLevelPrefix) and carries no
timestamp, because the journal adds its own; elsewhere lines carry a timestamp.
"""

from __future__ import annotations

import logging
import os
import sys

SYSLOG_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


class JournalFormatter(logging.Formatter):
    """``<priority>logger: message``, understood by journald on stderr."""

    def format(self, record: logging.LogRecord) -> str:
        priority = SYSLOG_PRIORITY.get(record.levelno, 6)
        return f"<{priority}>{record.name}: {super().format(record)}"


def configure_service_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(JournalFormatter("%(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, handlers=[handler], force=True
    )
    if not verbose:
        logging.getLogger("kafka").setLevel(logging.CRITICAL)
