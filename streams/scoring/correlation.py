"""The correlation window, and the problems both states remember for it.

Reads and writes nothing. A ticket may be explained by problems (tolerating or
frustrating samples) in the ``CORRELATION_WINDOW_MS`` before its creation: the
user's own (``user_state.py``, ``user_tickets.py``) or those of the device it was raised from
(``device_state.py``). Both keep their problems as lists sorted by time (item 0),
inserted and pruned by the helpers here.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Collection, Iterable
from operator import itemgetter
from typing import Any

#: A ticket is explained by the user's frustrating signals in the hours before it (4 h).
CORRELATION_WINDOW_MS = 4 * 3_600_000

#: The time (item 0) of a remembered problem, by which both states keep problems sorted.
_PROBLEM_TIME = itemgetter(0)


def remember_in_time_order(problems: list[list[Any]], problem: list[Any]) -> None:
    """Insert ``problem`` into ``problems``, kept sorted by time (item 0), after those of
    the same time: the order that appending and a stable sort by time gave, found in
    O(log n) comparisons. The user's tie-break (the touch point seen first) and both
    states' caps depend on that order; the device's tie-break (alphabetical) does not."""
    insort(problems, problem, key=_PROBLEM_TIME)


def prune_problems(
    problems: list[list[Any]], latest_ms: int, created_ms: Iterable[int], cap: int
) -> tuple[list[list[Any]], int | None]:
    """The problems (sorted by time, item 0) from ``CORRELATION_WINDOW_MS`` before the
    earliest of ``latest_ms`` and the held tickets' ``created_ms``, at most the newest
    ``cap`` of them; and the time of the newest one the cap dropped (None: none). Both
    states prune their problems so."""
    horizon = min([latest_ms, *created_ms]) - CORRELATION_WINDOW_MS
    recent = [problem for problem in problems if problem[0] >= horizon]
    capped, kept = recent[:-cap], recent[-cap:]
    return kept, capped[-1][0] if capped else None


def in_correlation_window(at_ms: int, created_ms: int) -> bool:
    """Whether a signal at ``at_ms`` may explain a ticket created at ``created_ms``."""
    return created_ms - CORRELATION_WINDOW_MS <= at_ms <= created_ms


def lost_by_touch_point(
    problems: Iterable[tuple[int, str, int]],
    created_ms: int,
    fits: Collection[str] | None = None,
) -> dict[str, int]:
    """Time lost per touch point by the (time, touch point, lost ms) problems in the window
    before ``created_ms``, of the touch points in ``fits`` (None: all), in the order the
    touch points first appear."""
    lost: dict[str, int] = {}
    for at_ms, touch_point, lost_ms in problems:
        if in_correlation_window(at_ms, created_ms) and (fits is None or touch_point in fits):
            lost[touch_point] = lost.get(touch_point, 0) + lost_ms
    return lost
