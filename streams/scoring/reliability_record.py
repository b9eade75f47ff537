"""The ``reliability`` records of a cell: failures over the time people were exposed.

Reads a :class:`~xlapulse.streams.scoring.cells.Cell`'s failure counts and exposed time
(``exposure.py``, ``exposure_clock.py``); writes nothing: returns the records.

* ``app``: crashes and hangs per active hour (the inverse of Microsoft Endpoint
  Analytics' mean time to failure), over the active time of the persona at the site;
* ``vpn``: drops and failed connects per connected hour, and the share of VPN time
  spent down (dropped or failing until connected again): down / (connected + down);
* ``print``: failed over attempted jobs (every job reports its outcome).

k-anonymity: a record is published when at least five distinct people were exposed
(active; VPN connected; for printing: printed), the VPN's down time only when at least
five were down; ``users`` counts the exposed and those with a sample of the touch point.
The failure count is the group's: it rests on the five or more exposed people, as a
calm window's zero does. A calm window publishes zero failures
per hour: the calm baseline that failure-only telemetry lacked.

A point whose people fall below five when late closes take exposure back is deleted
(``retractions.py``).
"""

from __future__ import annotations

from xlapulse.streams.scoring.cells import FRUSTRATING, Cell
from xlapulse.streams.scoring.exposure import FAILURE_EXPOSURE, VPN_CONNECTED, VPN_DOWN
from xlapulse.streams.scoring.exposure_clock import HOUR_MS
from xlapulse.streams.scoring.published import (
    MIN_USERS_PER_AGGREGATE,
    RELIABILITY,
    Record,
    users_with,
)
from xlapulse.streams.scoring.xla import ObjectiveStats


class ExposedTimes:
    """One cell's user -> exposed ms per exposure, each computed once: a cell's records
    ask for the same exposure several times (its reliability records, its reliability
    objectives), and each time walked every person's spans (a quarter of the cell
    agent's time in a 10,000-workplace backlog)."""

    def __init__(self, cell: Cell) -> None:
        self._cell = cell
        self._per_exposure: dict[str, dict[str, int]] = {}

    def __call__(self, exposure: str) -> dict[str, int]:
        per_user = self._per_exposure.get(exposure)
        if per_user is None:
            per_user = self._per_exposure[exposure] = self._cell.exposed_ms(exposure)
        return per_user


def reliability_stats(cell: Cell, touch_point: str, exposed: ExposedTimes) -> ObjectiveStats | None:
    """What a ``failures_per_hour_at_most`` objective is judged on: failures per exposed
    hour, on the whole exposed hours as its samples; None below five exposed people."""
    exposure = FAILURE_EXPOSURE[touch_point]
    per_user = exposed(exposure)
    exposed_ms = sum(per_user.values())
    if len(per_user) < MIN_USERS_PER_AGGREGATE or not exposed_ms:
        return None
    return ObjectiveStats(
        samples=exposed_ms // HOUR_MS,
        hits=0,
        failures_per_hour=cell.failures.get(touch_point, 0) * HOUR_MS / exposed_ms,
    )


def reliability_records(
    cell: Cell, tags: dict[str, str], time_ns: int, exposed: ExposedTimes
) -> list[Record]:
    """The cell's reliability records, one per touch point with five people or more."""
    records = []
    for touch_point, exposure in FAILURE_EXPOSURE.items():
        per_user = exposed(exposure)
        exposed_ms = sum(per_user.values())
        if len(per_user) < MIN_USERS_PER_AGGREGATE or not exposed_ms:
            continue
        failures = cell.failures.get(touch_point, 0)
        fields: dict[str, float | int | str] = {
            "exposure_hours": round(exposed_ms / HOUR_MS, 5),
            "failures": failures,
            "failures_per_hour": round(failures * HOUR_MS / exposed_ms, 5),
            "users": len(set(per_user) | set(users_with(cell, touch_point))),
        }
        down = exposed(VPN_DOWN) if exposure == VPN_CONNECTED else {}
        if len(down) >= MIN_USERS_PER_AGGREGATE:
            down_ms = sum(down.values())
            fields["down_hours"] = round(down_ms / HOUR_MS, 5)
            fields["down_ratio"] = round(down_ms / (down_ms + exposed_ms), 5)
        records.append(Record(RELIABILITY, {**tags, "touch_point": touch_point}, fields, time_ns))
    printed = cell.touch_points.get("print")
    printers = users_with(cell, "print")
    if printed is not None and len(printers) >= MIN_USERS_PER_AGGREGATE:
        attempts = sum(printed[:3])
        records.append(
            Record(
                RELIABILITY,
                {**tags, "touch_point": "print"},
                {
                    "attempts": attempts,
                    "failures": printed[FRUSTRATING],
                    "failure_ratio": round(printed[FRUSTRATING] / attempts, 5),
                    "users": len(printers),
                },
                time_ns,
            )
        )
    return records
