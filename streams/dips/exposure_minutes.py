"""Exposed time per minute for dip detection: the burn rate's denominator for failures.

An app objective of the ``failures_per_hour_at_most`` kind divides crashes and hangs by
the time people were active; a VPN one divides drops and failed connects by the time
tunnels were connected (``streams/scoring/exposure.py``). The published figures get
that time from the exposure clock in the window cells (``exposure_clock.py``); dip
detection reads minute buckets instead, so stage 1 keeps its own, simpler ledger of
each (persona, site) group's open intervals and credits them minute by minute.

Reads: :class:`ExposureObservation` changes of one group. Writes: nothing; returns
:class:`Credit` spans (touch point, start, end, +1 or -1) that the bucket builder adds to
its minute buckets' ``exposed_ms``.

Like the clock, and so that the order of arrival does not change the total:

* open intervals are credited up to ``credited_to_ms`` (the first minute not yet
  finished) when the builder finishes minutes;
* an interval opened before that point is credited back to its opening at once; one
  closed before it gives back what it was credited past its close;
* a change at or before the device's last close, or a repeated open, changes nothing
  (replays);
* a close without an open credits the length the collector measured;
* an interval counts at most ``MAX_OPEN_MS`` and is forgotten ``FORGET_OPEN_MS`` after
  its opening.

The builder drops credits for minutes it no longer remembers, so a very late change
only corrects the minutes still kept: the detector's denominator is approximate there,
the published reliability figures are not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from xlapulse.streams.scoring.exposure import FAILURE_EXPOSURE
from xlapulse.streams.scoring.exposure_clock import (
    FORGET_OPEN_MS,
    MAX_OPEN_MS,
    close_correction,
    forget_closes,
    open_span,
)
from xlapulse.streams.scoring.observations import ExposureObservation

#: exposure kind -> the touch point whose failures it divides (active -> app, ...)
TOUCH_POINT_OF_EXPOSURE = {
    exposure: touch_point for touch_point, exposure in FAILURE_EXPOSURE.items()
}


class Credit(NamedTuple):
    """Exposed time of one touch point to add (sign +1) or take back (-1)."""

    touch_point: str
    start_ms: int
    end_ms: int
    sign: int = 1


@dataclass
class GroupExposure:
    """The open intervals of one (persona, site) group and how far they are credited."""

    #: exposure -> "user|device" -> opened at (ms)
    open: dict[str, dict[str, int]] = field(default_factory=dict)
    #: exposure -> "user|device" -> its latest close (ms)
    closed: dict[str, dict[str, int]] = field(default_factory=dict)
    credited_to_ms: int = 0

    def change(self, change: ExposureObservation) -> list[Credit]:
        """Open or close one interval; the credits it makes or corrects."""
        touch_point = TOUCH_POINT_OF_EXPOSURE.get(change.exposure)
        if touch_point is None:
            return []
        holders = self.open.setdefault(change.exposure, {})
        closes = self.closed.setdefault(change.exposure, {})
        holder, at_ms = f"{change.user_id}|{change.holder}", change.event_time_ms
        if closes.get(holder, -1) >= at_ms or (change.opened and holders.get(holder) == at_ms):
            return []
        credits = []
        if holder in holders:
            opened_ms = holders.pop(holder)
            credits += self._close(touch_point, opened_ms, at_ms)
        elif not change.opened and change.measured_ms:
            credits.append(Credit(touch_point, at_ms - min(change.measured_ms, MAX_OPEN_MS), at_ms))
        if change.opened:
            holders[holder] = at_ms
            caught_up_ms = min(self.credited_to_ms, at_ms + MAX_OPEN_MS)
            credits.append(Credit(touch_point, at_ms, caught_up_ms))
        else:
            closes[holder] = at_ms
        return [credit for credit in credits if credit.end_ms > credit.start_ms]

    def _close(self, touch_point: str, opened_ms: int, closed_ms: int) -> list[Credit]:
        """Bring an interval's credit from [opened, credited_to) to [opened, closed)."""
        return [Credit(touch_point, *close_correction(self.credited_to_ms, opened_ms, closed_ms))]

    def advance(self, to_ms: int) -> list[Credit]:
        """Credit every open interval up to ``to_ms``; forget what is too old to close."""
        if to_ms <= self.credited_to_ms:
            return []
        credits = []
        for exposure, holders in self.open.items():
            touch_point = TOUCH_POINT_OF_EXPOSURE[exposure]
            for holder, opened_ms in list(holders.items()):
                start_ms, end_ms = open_span(self.credited_to_ms, opened_ms, to_ms)
                if end_ms > start_ms:
                    credits.append(Credit(touch_point, start_ms, end_ms))
                if to_ms - opened_ms > FORGET_OPEN_MS:
                    del holders[holder]
        forget_closes(self.closed, to_ms)
        self.credited_to_ms = to_ms
        return credits
