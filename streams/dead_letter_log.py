"""Dead letters in the log: the first of a source at once, then at most one line a period.

Reads: each dead letter's source (a topic, or ``influxdb``) and reason. Writes: WARNING
lines to the ``xlapulse.streams.engine_app`` log.

A replay of stale or future data dead-letters every record (late or future event time).
One WARNING per record took 18.6 % of a worker's CPU in a backlog whose days were mostly
in the future (py-spy, 2026-12-08: 354,629 of 535,197 records dead-lettered), and buried
every other line. So a source's first dead letter is logged with its reason, then at most
one per ``LOG_EVERY_S``, saying how many were not logged since. The count of every one is
``xlapulse_dead_letters_total{topic}``, and every one is on the dead-letter topic with
its reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

#: The shortest time between two dead-letter lines of one source (s).
LOG_EVERY_S = 10.0


class DeadLetterLog:
    """Logs dead letters, at most one line per source per ``LOG_EVERY_S``."""

    def __init__(self, log: logging.Logger, clock: Callable[[], float] = time.monotonic) -> None:
        self._log = log
        self._clock = clock
        self._logged_at: dict[str, float] = {}
        self._not_logged: dict[str, int] = {}

    def dead_lettered(self, source: str, reason: str) -> None:
        now = self._clock()
        logged_at = self._logged_at.get(source)
        if logged_at is not None and now - logged_at < LOG_EVERY_S:
            self._not_logged[source] = self._not_logged.get(source, 0) + 1
            return
        self._logged_at[source] = now
        not_logged = self._not_logged.pop(source, 0)
        if not_logged and logged_at is not None:
            self._log.warning(
                "dead-lettering a record from %s: %s (and %d more from it in the last %.0f s "
                "not logged: xlapulse_dead_letters_total counts them, the dead-letter topic "
                "has their reasons)",
                source,
                reason,
                not_logged,
                now - logged_at,
            )
        else:
            self._log.warning("dead-lettering a record from %s: %s", source, reason)
