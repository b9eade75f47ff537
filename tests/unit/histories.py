"""Valid event histories in any order, and the invariants every engine state must keep.

Reads and writes nothing. :func:`random_day` builds one day of valid contract events for
a few users sharing a few devices: directory (re)assignments, VPN drops, slow logons,
ticket lifecycles (from a device or not, reopened, resolved twice) and survey answers,
each with a fixed event id, so that feeding a day twice is a replay. :func:`deliver`
interleaves a day's topics in any order while keeping each topic's own order, as Kafka
delivers co-partitioned topics. :func:`cell_problems` lists what is wrong with a cell's
counts; :func:`window_problems` what differs between a day's cells and its hourly and
5-minute cells, which count the same observations.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from xlapulse.collectors.contract.events import (
    EventBase,
    LogonEvent,
    SurveyAnswerEvent,
    VpnSessionEvent,
)
from xlapulse.collectors.contract.topics import topic_for
from xlapulse.streams.scoring.cells import Cell
from xlapulse.streams.scoring.personas import SERVICE_DESK

from .engine_events import assignment_event, ticket_event

FIRST_DAY = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
USERS = [f"u_{n:032x}" for n in range(1, 7)]
DEVICES = [f"d_{n:032x}" for n in range(1, 4)]
PERSONAS = ("field_worker", "office_worker")
SITES = ("utrecht", "rotterdam")
_ID_NAMESPACE = uuid.UUID("1b7d0a52-55b5-4f3e-9a8e-3f0c2f6d9e17")
#: The orders a ticket's steps can take after ``created`` (each then ``closed``).
LIFECYCLES = (
    ("assigned", "first_contact", "resolved"),
    ("first_contact", "resolved", "reopened", "resolved"),
    ("assigned", "reassigned", "reassigned", "resolved"),
    ("resolved", "resolved"),
    ("first_contact",),
)


def random_day(rng: random.Random, day: int) -> list[EventBase]:
    """One day of valid events in event-time order; ``rng`` decides everything."""
    start = FIRST_DAY + timedelta(days=day)
    events: list[EventBase] = []
    numbers = itertools.count()

    def event_id() -> uuid.UUID:
        """Unique within the history, the same when the day is built again."""
        return uuid.uuid5(_ID_NAMESPACE, f"{day}:{next(numbers)}")

    def at(minute: float) -> datetime:
        return start + timedelta(minutes=minute)

    for user in USERS:
        if day == 0 or rng.random() < 0.3:
            persona, site = rng.choice(PERSONAS), rng.choice(SITES)
            assignment = assignment_event(user, at(rng.uniform(0, 600)), persona, site)
            events.append(assignment.model_copy(update={"event_id": event_id()}))
    for _ in range(rng.randint(4, 25)):
        user, device, minute = rng.choice(USERS), rng.choice(DEVICES), rng.uniform(0, 600)
        kind = rng.random()
        if kind < 0.35:
            state = rng.choice(("dropped", "connected", "connected"))
            events.append(
                VpnSessionEvent(
                    event_id=event_id(),
                    event_time=at(minute),
                    user_id=user,
                    device_id=device,
                    state=state,
                )
            )
        elif kind < 0.6:
            events.append(
                LogonEvent(
                    event_id=event_id(),
                    event_time=at(minute),
                    user_id=user,
                    device_id=device,
                    logon_duration_ms=rng.choice((8_000, 60_000, 240_000)),
                )
            )
        elif kind < 0.9:
            events += _ticket_lifecycle(rng, event_id, user, device, at, minute, day)
        else:
            events.append(
                SurveyAnswerEvent(
                    event_id=event_id(),
                    event_time=at(minute),
                    user_id=user,
                    score=rng.randint(0, 10),
                    self_reported_lost_minutes=rng.choice((None, 0, 30)),
                )
            )
    return sorted(events, key=lambda event: event.event_time)


def _ticket_lifecycle(
    rng: random.Random, event_id: Any, user: str, device: str, at: Any, minute: float, day: int
) -> list[EventBase]:
    ticket_id = f"INC{day}-{event_id().hex[:12]}"
    from_device = rng.random() < 0.6
    steps = ["created", *rng.choice(LIFECYCLES), "closed"]
    events = []
    for action in steps:
        fields: dict[str, Any] = {"sla_breached": rng.choice((None, False, True))}
        if from_device:
            fields["device_id"] = device
        events.append(
            ticket_event(user, action, at(minute), ticket_id, event_id=event_id(), **fields)
        )
        minute += rng.uniform(1, 120)
    return events


def deliver(rng: random.Random, events: list[EventBase]) -> list[EventBase]:
    """The events as a consumer may see them: each topic in its own order, the topics
    interleaved at random (Kafka orders a partition, not a set of topics)."""
    by_topic: dict[str, list[EventBase]] = defaultdict(list)
    for event in events:
        by_topic[topic_for(event)].append(event)
    queues = [list(reversed(queue)) for queue in by_topic.values()]
    delivered = []
    while queues:
        queue = rng.choice(queues)
        delivered.append(queue.pop())
        if not queue:
            queues.remove(queue)
    return delivered


def cell_problems(cell: Cell) -> list[str]:
    """Every count of the cell that is negative or disagrees with another one."""
    problems = []
    held = cell.opened_tickets.values()

    def check(ok: bool, what: str) -> None:
        if not ok:
            problems.append(f"{cell.key()}: {what}")

    counts = {
        name: value for name, value in vars(cell).items() if isinstance(value, int) and value < 0
    }
    check(not counts, f"negative counts {counts}")
    for point, tally in cell.touch_points.items():
        check(min(tally) >= 0 and sum(tally[:3]) > 0, f"touch point {point} {tally}")
    for user, per_point in cell.user_touch_points.items():
        for point, tally in per_point.items():
            check(min(tally) >= 0 and sum(tally) > 0, f"user {user} {point} {tally}")
    for objective, (samples, hits) in cell.objectives.items():
        check(0 <= hits <= samples, f"objective {objective} {samples} {hits}")
    check(min(cell.handled) >= 0, f"handled {cell.handled}")
    desk = cell.touch_points.get(SERVICE_DESK, [0, 0, 0, 0])
    check(desk[:3] == cell.handled, f"service desk {desk} against handled {cell.handled}")
    check(cell.sla_met <= cell.sla_known, "more SLAs met than known")
    check(cell.first_contact_count <= sum(cell.handled), "more first contacts than handled")
    check(cell.tickets_opened == len(cell.opened_tickets), "tickets opened against held")
    explained: dict[str, int] = defaultdict(int)
    for touch_point, _, _ in held:
        if touch_point is not None:
            explained[touch_point] += 1
    check(dict(explained) == cell.explained_by, f"explained_by {cell.explained_by}")
    check(cell.explained_via_device == sum(via for _, via, _ in held), "explained via device")
    check(cell.signal_time_lost_ms == sum(lost for *_, lost in held), "signal time lost")
    return problems


#: Counts that a day's cell holds as the sum of its hourly (or 5-minute) cells.
_ADDITIVE = (
    "tickets_opened",
    "explained_via_device",
    "signal_time_lost_ms",
    "self_reported_lost_ms",
    "self_reported_answers",
    "csat_answers",
    "csat_satisfied",
    "no_contact",
    "reopened",
    "first_assignee",
    "reassignments",
    "reassigned_twice",
    "sla_known",
    "sla_met",
    "resolved_in_target",
    "first_contact_ms_total",
    "first_contact_count",
)


def additive_counts(cell: Cell) -> dict[str, Any]:
    """The counts of a cell that add up over shorter windows."""
    counts: dict[str, Any] = {name: getattr(cell, name) for name in _ADDITIVE}
    counts["handled"] = tuple(cell.handled)
    counts["survey_scores"] = tuple(cell.survey_scores)
    # the graded score sum (formula 3.0) is a float: summed in another order it differs in
    # the last bits, so it is compared to 6 decimals
    counts["touch_points"] = {
        point: tuple(round(value, 6) if isinstance(value, float) else value for value in tally)
        for point, tally in cell.touch_points.items()
    }
    counts["explained_by"] = dict(cell.explained_by)
    return counts


def _add(total: dict[str, Any], counts: dict[str, Any]) -> None:
    for name, value in counts.items():
        if isinstance(value, int):
            total[name] = total.get(name, 0) + value
        elif isinstance(value, tuple):
            base = total.get(name, (0,) * len(value))
            total[name] = tuple(
                round(a + b, 6) if isinstance(a + b, float) else a + b
                for a, b in zip(base, value, strict=True)
            )
        else:
            merged = total.setdefault(name, {})
            for key, part in value.items():
                if isinstance(part, int):
                    merged[key] = merged.get(key, 0) + part
                else:
                    base = merged.get(key, (0,) * len(part))
                    merged[key] = tuple(
                        round(a + b, 6) if isinstance(a + b, float) else a + b
                        for a, b in zip(base, part, strict=True)
                    )


def _nonzero(counts: dict[str, Any]) -> dict[str, Any]:
    """The counts without zeros (a window that never saw a kind counts none of it)."""
    kept: dict[str, Any] = {}
    for name, value in counts.items():
        if isinstance(value, dict):
            value = {key: part for key, part in value.items() if part and any(_flat(part))}
        if value and any(_flat(value)):
            kept[name] = value
    return kept


def _flat(value: Any) -> list[int]:
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        return [n for part in value.values() for n in _flat(part)]
    return list(value)


def window_problems(cells: dict[str, Cell]) -> list[str]:
    """Where a day's cell is not the sum of its hourly cells, or of its 5-minute cells."""
    sums: dict[tuple[str, str, int, int], dict[str, Any]] = defaultdict(dict)
    days: dict[tuple[str, str, int], dict[str, Any]] = {}
    for cell in cells.values():
        day_start = cell.window_start_ms - cell.window_start_ms % 86_400_000
        where = (cell.persona, cell.site, day_start)
        if cell.window_s == 86_400:
            days[where] = additive_counts(cell)
        else:
            _add(sums[(*where, cell.window_s)], additive_counts(cell))
    problems = []
    for (persona, site, day_start, window_s), total in sums.items():
        day = _nonzero(days.get((persona, site, day_start), {}))
        if _nonzero(total) != day:
            problems.append(
                f"{persona}|{site} day {day_start}: {window_s} s cells {_nonzero(total)} != {day}"
            )
    return problems
