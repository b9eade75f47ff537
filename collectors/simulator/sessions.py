"""One endpoint's interactive session of a day: started, locked, unlocked, ended.

Reads: the endpoint, the day and the session's start and end (local minutes: after
the logon completed, at the end of the workday). Writes: ``session`` events (contract
1.3) into a list. They are the exposure denominator (active hours) the engine can
divide failures by.

The day has a lunch lock (``LUNCH_LOCK_CHANCE``, 20-50 min starting 11:45-13:15) and
short breaks (Poisson ``BREAKS_PER_DAY``, 3-15 min each) spread over the session;
breaks that would overlap another lock or the session's end are left out. A
``locked`` or ``ended`` event carries the active seconds since the session started or
was last unlocked, as a collector measures them. Draws come from the endpoint-day's
own session RNG, so adding sessions changed no other simulated event.
"""

from __future__ import annotations

import random

from xlapulse.collectors.contract.events import EventBase
from xlapulse.collectors.simulator.build import event
from xlapulse.collectors.simulator.day import DayContext
from xlapulse.collectors.simulator.profiles import Endpoint
from xlapulse.collectors.simulator.rhythm import poisson

LUNCH_LOCK_CHANCE = 0.75
LUNCH_START_MIN = (11.75 * 60, 13.25 * 60)
LUNCH_LENGTH_MIN = (20.0, 50.0)
BREAKS_PER_DAY = 2.5
BREAK_LENGTH_MIN = (3.0, 15.0)


def session_events(
    endpoint: Endpoint, ctx: DayContext, start_min: float, end_min: float, out: list[EventBase]
) -> None:
    """Append the session's state changes from ``start_min`` to ``end_min`` (local)."""
    if end_min <= start_min:
        return
    rng = random.Random(f"{ctx.seed}:{endpoint.index}:{ctx.day.date}:session")
    session_id = f"0x{rng.getrandbits(40):x}"
    locks = _locks(rng, start_min, end_min)

    def emit(state: str, minute: float, active_since: float | None) -> None:
        fields: dict[str, object] = {"state": state, "session_id": session_id}
        if active_since is not None:
            fields["active_duration_s"] = round((minute - active_since) * 60)
        when = ctx.day.at(minute)
        out.append(event("session", rng, when, endpoint.user_id, endpoint.device_id, fields))

    emit("started", start_min, None)
    active_since = start_min
    for locked_at, unlocked_at in locks:
        emit("locked", locked_at, active_since)
        emit("unlocked", unlocked_at, None)
        active_since = unlocked_at
    emit("ended", end_min, active_since)


def _locks(rng: random.Random, start_min: float, end_min: float) -> list[tuple[float, float]]:
    """Non-overlapping (locked, unlocked) local minutes strictly inside the session."""
    candidates = []
    if rng.random() < LUNCH_LOCK_CHANCE:
        lunch_at = rng.uniform(*LUNCH_START_MIN)
        candidates.append((lunch_at, lunch_at + rng.uniform(*LUNCH_LENGTH_MIN)))
    for _ in range(poisson(rng, BREAKS_PER_DAY)):
        break_at = rng.uniform(start_min, end_min)
        candidates.append((break_at, break_at + rng.uniform(*BREAK_LENGTH_MIN)))
    locks: list[tuple[float, float]] = []
    for locked_at, unlocked_at in candidates:  # the lunch lock first: it wins an overlap
        inside = start_min < locked_at and unlocked_at < end_min
        if inside and all(unlocked_at < a or b < locked_at for a, b in locks):
            locks.append((locked_at, unlocked_at))
    return sorted(locks)
