"""Stage 2's durable state, one record per scope: what a restarted worker must not forget.

A record holds the scope's seasonal history (``history.py``: weeks of past hours, which
take three working days to build again) and its open or candidate dip with the people
already told of it (``engine.DipPublisher``), so that after a restart or a rebalance the
dip goes on with the same id and closes once, people are not told twice, and the "it is
solved" notice still reaches them.

Reads and writes JSON-friendly dicts. The ``track_dips`` agent (``agents.py``) keeps them
in the Faust table ``dip-state`` (keyed by scope key, on its persona's partition, so a
changelog restores it), writes every scope the tracker changed after each record, and
restores a persona from the table before its first bucket in this process.

Not kept here: the minute buckets of the detectors' windows and the sites' clocks; a
restarted worker reads them back from the buckets topic (``rewind.py``). A restored dip
keeps its affected people, time lost and tickets and adds only later minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from xlapulse.streams.dips.buckets import Scope
from xlapulse.streams.dips.dip import Dip, PersonaSeries
from xlapulse.streams.dips.history import PastHours
from xlapulse.streams.dips.tracker import DipTracker

#: who was told of each open dip (``DipPublisher.told``)
Told = dict[str, set[str]]


def persona_of(scope_key: str) -> str:
    """The persona of a scope key: the partition key of its record (the buckets topic's)."""
    return scope_key.split("|", 1)[0]


def scope_record(tracker: DipTracker, told: Told, key: str) -> dict[str, Any] | None:
    """The scope's durable state; None when it has none (no history, no dip)."""
    series = tracker.personas.get(persona_of(key))
    if series is None:
        return None
    record: dict[str, Any] = {}
    history = series.history
    if key in history.last_hour_ms:
        record["history"] = {
            "weekly": _json_hours(history.weekly.get(key, {})),
            "daily": _json_hours(history.daily.get(key, {})),
            "last_hour_ms": history.last_hour_ms[key],
        }
    dip = series.dips.get(key)
    if dip is not None:
        record["dip"] = dip_to_dict(dip, series.clock_ms)
        record["told"] = sorted(told.get(dip.dip_id, ()))
    return record or None


def restore_persona(
    tracker: DipTracker, told: Told, persona: str, records: Iterable[tuple[str, dict[str, Any]]]
) -> int:
    """Put the stored scopes of one persona back into the tracker (and who was told into
    ``told``); how many scopes were restored."""
    series = tracker.personas.setdefault(persona, PersonaSeries(persona))
    restored = 0
    for key, record in records:
        if persona_of(key) != persona:
            continue
        restored += 1
        if "history" in record:
            stored = record["history"]
            series.history.weekly[key] = _past_hours(stored["weekly"])
            series.history.daily[key] = _past_hours(stored["daily"])
            series.history.last_hour_ms[key] = stored["last_hour_ms"]
        if "dip" in record:
            dip = dip_from_dict(record["dip"])
            series.dips[key] = dip
            told[dip.dip_id] = set(record.get("told", ()))
    return restored


def dip_to_dict(dip: Dip, clock_ms: int) -> dict[str, Any]:
    """The dip as stored at the tracker's ``clock_ms``: a restore carries its totals
    from there (``Dip.restored_at_ms``)."""
    data = {item.name: getattr(dip, item.name) for item in fields(dip)}
    data["scope"] = dip.scope.key()
    data["affected_users"] = sorted(dip.affected_users)
    data["restored_at_ms"] = clock_ms
    data["carried_time_lost_ms"] = dip.time_lost_ms
    data["carried_tickets"] = dip.tickets
    return data


def dip_from_dict(data: dict[str, Any]) -> Dip:
    values = dict(data)
    values["scope"] = Scope.from_key(values["scope"])
    values["affected_users"] = set(values["affected_users"])
    return Dip(**values)


def _json_hours(past: PastHours) -> dict[str, dict[str, list[float]]]:
    return {str(hour): metrics for hour, metrics in past.items()}


def _past_hours(stored: dict[str, dict[str, list[float]]]) -> PastHours:
    return {int(hour): metrics for hour, metrics in stored.items()}
