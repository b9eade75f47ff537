"""The ``component`` records of a cell: VPN per gateway, apps per version, printing per
printer and per print server (``touch_point`` tag ``print_server``).

Reads a :class:`~xlapulse.streams.scoring.cells.Cell`'s component counts (every sample of
app, VPN and print names its gateway, app and version, or printer: ``details.py``);
writes nothing: returns the records. Fields per component: samples, tolerating,
frustrating, failures (app crashes and hangs, VPN drops and failed connects, failed print
jobs), time_lost_s, users; and for VPN and printing, whose collectors report every
session and job, failure_ratio = failures / samples. App collectors report only slow,
hung and crashed transactions, so an app's figures are counts, with no ratio.

k-anonymity: a component is published only when at least five distinct people had a
sample of it. The components below five are pooled into ``other``; when ``other`` would
still describe one to four people, the smallest published components join it until it
has five; when every component ends up in ``other``, nothing is broken down. So the
published components of a touch point add up to its published total, or nothing is
broken down, and no difference of published figures describes fewer than five people.
A name published earlier in the window and not now is written again with zeros
(:func:`retractions`): ``users`` 0 means "not broken down now".
"""

from __future__ import annotations

from xlapulse.streams.scoring.cells import (
    COMPONENT_BREAKDOWNS,
    COMPONENT_FAILURES,
    COMPONENT_SAMPLES,
    COMPONENT_TIME_LOST_MS,
    FRUSTRATING,
    PRINT_SERVER,
    TOLERATING,
    Cell,
)
from xlapulse.streams.scoring.published import COMPONENT, MIN_USERS_PER_AGGREGATE, Record

OTHER_COMPONENT = "other"
#: touch points whose collectors report every attempt, so failures have a denominator
RATIO_TOUCH_POINTS = ("vpn", "print", PRINT_SERVER)


def component_groups(people: dict[str, set[str]]) -> dict[str, list[str]]:
    """Published name -> the components it sums, each group with at least five people
    (see the module docstring); empty when nothing can be broken down."""
    ranked = sorted(people, key=lambda name: (len(people[name]), name))
    pooled = [name for name in ranked if len(people[name]) < MIN_USERS_PER_AGGREGATE]
    alone = [name for name in ranked if len(people[name]) >= MIN_USERS_PER_AGGREGATE]

    def pooled_people() -> int:
        return len(set().union(*(people[name] for name in pooled)))

    while pooled and pooled_people() < MIN_USERS_PER_AGGREGATE and alone:
        pooled.append(alone.pop(0))
    if pooled and (not alone or pooled_people() < MIN_USERS_PER_AGGREGATE):
        return {}  # all of it in "other" would only repeat the touch point's total
    groups = {name: [name] for name in alone}
    if pooled:
        groups[OTHER_COMPONENT] = pooled
    return groups


def component_records(cell: Cell, tags: dict[str, str], time_ns: int) -> list[Record]:
    """The cell's component records, for app, VPN, printers and print servers (see
    :func:`retractions`)."""
    records = []
    for touch_point in COMPONENT_BREAKDOWNS:
        prefix = f"{touch_point}|"
        people = {
            key.removeprefix(prefix): set(users)
            for key, users in cell.component_users.items()
            if key.startswith(prefix)
        }
        groups = component_groups(people)
        for name, members in groups.items():
            counts = [0] * 5
            for member in members:
                for index, value in enumerate(cell.component_counts[prefix + member]):
                    counts[index] += value
            users = len(set().union(*(people[member] for member in members)))
            records.append(_record(tags, time_ns, touch_point, name, counts, users))
        for name in retractions(people, groups):
            records.append(_record(tags, time_ns, touch_point, name, [0] * 5, 0))
    return records


def retractions(people: dict[str, set[str]], groups: dict[str, list[str]]) -> list[str]:
    """The names an earlier state of the cell may have published that this one does not.

    Grouping is not monotone: a small component that appears later can pull a published
    one into ``other``, and ``other`` disappears once its members reach five people each.
    InfluxDB keeps a point until it is overwritten, so these names are written again with
    every field 0 (``users`` 0: "not broken down now; its figures are in the touch
    point's total"). Only a component of five people or more can have been published by
    name (people only grow within a window), and ``other`` only once the touch point's
    components had five people in all; so a cell of fewer people writes nothing, not even
    zeros. The list depends on the cell alone: every arrival order ends with the same
    points.
    """
    everyone: set[str] = set().union(*people.values()) if people else set()
    if len(everyone) < MIN_USERS_PER_AGGREGATE:
        return []
    named = {name for name, who in people.items() if len(who) >= MIN_USERS_PER_AGGREGATE}
    return sorted((named | {OTHER_COMPONENT}) - set(groups))


def _record(
    tags: dict[str, str], time_ns: int, touch_point: str, name: str, counts: list[int], users: int
) -> Record:
    fields: dict[str, float | int | str] = {
        "samples": counts[COMPONENT_SAMPLES],
        "tolerating": counts[TOLERATING],
        "frustrating": counts[FRUSTRATING],
        "failures": counts[COMPONENT_FAILURES],
        "time_lost_s": round(counts[COMPONENT_TIME_LOST_MS] / 1000, 3),
        "users": users,
    }
    if touch_point in RATIO_TOUCH_POINTS:
        samples = counts[COMPONENT_SAMPLES]
        fields["failure_ratio"] = round(counts[COMPONENT_FAILURES] / samples, 5) if samples else 0.0
    return Record(
        COMPONENT, {**tags, "touch_point": touch_point, "component": name}, fields, time_ns
    )
