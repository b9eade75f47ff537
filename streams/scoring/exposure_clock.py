"""The exposure clock of one persona at one site: open intervals turned into exposed time.

Reads: every observation of the persona and site (its event time moves the clock) and
the exposure observations (``exposure.py``) that open and close intervals. Writes:
exposed spans per exposure and user's device into the group's window cells
(``Cell.exposure_spans``), and the clock itself, which the caller stores beside the
cells (same table, key ``persona|site|0|0``, ``window_s`` 0).

How time is credited, so that a live 5-minute cell has its denominator when its window
ends and the final figures do not depend on the order observations arrive in:

* The clock stands on a 5-minute boundary. An observation whose window starts past it
  credits every open interval up to that window's start and moves the clock there, so
  the work is one pass over the open intervals per 5 minutes, not per observation.
* An interval opened before the clock (a late observation) is credited back to its
  opening at once; one closed before the clock takes back what it was credited past
  its close. Each interval thus ends credited exactly from its opening to its close,
  whatever the clock did meanwhile: another arrival order gives the same cells.
* Crediting is idempotent: cells keep spans (a union adds, a difference takes back),
  and the clock remembers each device's last close, so a replayed close, or an open
  older than it (a replay, or a device's events out of order), changes nothing. A
  worker killed after storing cells but not the clock credits the same spans again on
  redelivery: no change.
* An interval counts for at most ``MAX_OPEN_MS`` (a device that died with its session
  unlocked); it is forgotten ``FORGET_OPEN_MS`` after its opening, when its close would
  be too late to score.
* A close without an open (the engine started after the session did, or the user moved
  from another persona or site) credits the length the collector measured, if any.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xlapulse.streams.scoring.cells import (
    WINDOW_SIZES_S,
    Cell,
    cell_key,
    span_holder,
    window_start_ms,
)
from xlapulse.streams.scoring.observations import ExposureObservation, Observation
from xlapulse.streams.scoring.spans import add_span, remove_span

HOUR_MS = 3_600_000
MAX_OPEN_MS = 12 * HOUR_MS
#: An open interval is forgotten only when its close could no longer be scored (the
#: engine's default late-event horizon, 7 days, past the cap): a close that found it
#: forgotten would credit its measured length a second time.
FORGET_OPEN_MS = MAX_OPEN_MS + 7 * 24 * HOUR_MS
#: The clock's step: the shortest window.
STEP_S = min(WINDOW_SIZES_S)
#: ``window_s`` of a stored clock: it tells a clock from a cell in the cells table.
CLOCK_WINDOW_S = 0

CellGetter = Callable[[str], Any]


@dataclass
class ExposureClock:
    """Open exposure intervals of one persona at one site, and how far they are credited."""

    persona: str
    site: str
    window_s: int = CLOCK_WINDOW_S
    #: the clock: open intervals are credited up to here (a 5-minute boundary). Named as
    #: a cell's window start so the cells table's sweeper forgets an idle clock.
    window_start_ms: int = 0
    #: exposure -> "user|device" -> [user id, opened at ms]
    open: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    #: exposure -> "user|device" -> when its latest interval closed (ms)
    closed: dict[str, dict[str, int]] = field(default_factory=dict)

    def key(self) -> str:
        return clock_key(self.persona, self.site)

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExposureClock:
        return cls(**data)


def clock_key(persona: str, site: str) -> str:
    return cell_key(persona, site, CLOCK_WINDOW_S, 0)


def stored_cell(stored: dict[str, Any]) -> Cell | ExposureClock:
    """A cell or a clock from the cells table's value (``to_dict`` output)."""
    if stored["window_s"] == CLOCK_WINDOW_S:
        return ExposureClock.from_dict(stored)
    return Cell.from_dict(stored)


def open_span(credited_to_ms: int, opened_ms: int, to_ms: int) -> tuple[int, int]:
    """What an interval open since ``opened_ms`` still needs credited, from the point
    credited so far up to ``to_ms``, capped at ``MAX_OPEN_MS`` (may be empty)."""
    return max(credited_to_ms, opened_ms), min(to_ms, opened_ms + MAX_OPEN_MS)


def close_correction(credited_to_ms: int, opened_ms: int, closed_ms: int) -> tuple[int, int, int]:
    """(start, end, +1 or -1): what brings an interval's credit from [opened, credited
    to) to [opened, closed), both capped: credit the rest, or take back the surplus."""
    cap_ms = opened_ms + MAX_OPEN_MS
    credited_to_ms = min(max(credited_to_ms, opened_ms), cap_ms)
    closed_ms = min(max(closed_ms, opened_ms), cap_ms)
    if closed_ms >= credited_to_ms:
        return credited_to_ms, closed_ms, 1
    return closed_ms, credited_to_ms, -1


def forget_closes(closed: dict[str, dict[str, int]], now_ms: int) -> None:
    """Drop the closes too old for a late change to still be scored."""
    for closes in closed.values():
        for holder, closed_ms in list(closes.items()):
            if now_ms - closed_ms > FORGET_OPEN_MS:
                del closes[holder]


def advance(clock: ExposureClock, observation: Observation, get: CellGetter) -> list[Cell]:
    """Credit every open interval up to the start of the observation's 5-minute window;
    the cells credited (the caller stores the clock when this or :func:`apply` changed it)."""
    boundary_ms = window_start_ms(observation.event_time_ms, STEP_S)
    if boundary_ms <= clock.window_start_ms:
        return []
    credited: dict[str, Cell] = {}
    for exposure, holders in clock.open.items():
        for holder, (_, opened_ms) in list(holders.items()):
            start_ms, end_ms = open_span(clock.window_start_ms, opened_ms, boundary_ms)
            _credit(credited, get, clock, exposure, holder, start_ms, end_ms)
            if boundary_ms - opened_ms > FORGET_OPEN_MS:
                del holders[holder]
    forget_closes(clock.closed, boundary_ms)
    clock.window_start_ms = boundary_ms
    return list(credited.values())


def apply(clock: ExposureClock, change: ExposureObservation, get: CellGetter) -> list[Cell]:
    """Open or close one interval; the cells credited or corrected. Idempotent: a change
    at or before the device's last close, or an open it has already seen, is ignored."""
    credited: dict[str, Cell] = {}
    holders = clock.open.setdefault(change.exposure, {})
    closes = clock.closed.setdefault(change.exposure, {})
    holder = f"{change.user_id}|{change.holder}"
    at_ms = change.event_time_ms
    stale = closes.get(holder, -1) >= at_ms or (
        change.opened and holder in holders and holders[holder][1] == at_ms
    )
    if not stale:
        if holder in holders:
            _, opened_ms = holders.pop(holder)
            _close(credited, get, clock, change.exposure, holder, opened_ms, at_ms)
        elif not change.opened and change.measured_ms:
            start_ms = at_ms - min(change.measured_ms, MAX_OPEN_MS)
            _credit(credited, get, clock, change.exposure, holder, start_ms, at_ms)
        if change.opened:
            holders[holder] = [change.user_id, at_ms]
            # Opened before the clock: credit what the clock has passed already.
            caught_up_ms = min(clock.window_start_ms, at_ms + MAX_OPEN_MS)
            _credit(credited, get, clock, change.exposure, holder, at_ms, caught_up_ms)
        else:
            closes[holder] = at_ms
    for table in (clock.open, clock.closed):
        if not table[change.exposure]:
            del table[change.exposure]
    return list(credited.values())


def _close(
    credited: dict[str, Cell],
    get: CellGetter,
    clock: ExposureClock,
    exposure: str,
    holder: str,
    opened_ms: int,
    closed_ms: int,
) -> None:
    """Bring an interval's credit from [opened, clock) to [opened, closed), both capped."""
    start_ms, end_ms, sign = close_correction(clock.window_start_ms, opened_ms, closed_ms)
    _credit(credited, get, clock, exposure, holder, start_ms, end_ms, add=sign > 0)


def _credit(
    credited: dict[str, Cell],
    get: CellGetter,
    clock: ExposureClock,
    exposure: str,
    holder: str,
    start_ms: int,
    end_ms: int,
    add: bool = True,
) -> None:
    """Add (or take back) [start, end) of the device's exposure in every window cell it
    spans."""
    if end_ms <= start_ms:
        return
    cell_holder = span_holder(holder)
    for window_s in WINDOW_SIZES_S:
        size_ms = window_s * 1000
        window_ms = window_start_ms(start_ms, window_s)
        while window_ms < end_ms:
            key = cell_key(clock.persona, clock.site, window_s, window_ms)
            cell = (
                credited.get(key)
                or get(key)
                or Cell(clock.persona, clock.site, window_s, window_ms)
            )
            held = cell.exposure_spans.setdefault(exposure, {})
            # stored from the window's start (``Cell.exposure_spans``)
            low_ms = max(start_ms, window_ms) - window_ms
            high_ms = min(end_ms, window_ms + size_ms) - window_ms
            spans = held.get(cell_holder, [])
            spans = add_span(spans, low_ms, high_ms) if add else remove_span(spans, low_ms, high_ms)
            if spans:
                held[cell_holder] = spans
            else:
                held.pop(cell_holder, None)
                if not held:
                    del cell.exposure_spans[exposure]
            credited[key] = cell
            window_ms += size_ms
