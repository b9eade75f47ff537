"""Tumbling-window cells per persona and site: the counts the published records come from.

A :class:`Cell` holds the counts of every observation of one persona at one site in
one tumbling window (5 min, 1 h, 1 day, aligned to the epoch): its fields, keys and
windows, and which cells an observation falls into (:func:`cells_for`). How each kind
of observation is counted is ``cell_counts.py``. The Faust agent ``aggregate_cells``
keeps cells in the ``cells`` table; the in-process pipeline keeps them in a dict. Reads
and writes nothing: the caller stores the cell and publishes ``records.cell_records``.

Cells are idempotent: an event id is counted once, so replays do not double
count. A ticket is counted as handled once, as it ended: reopening it (or
resolving it again) retracts its earlier handling. A cell remembers the tickets
opened in it with the explanation it counted, so a correction moves only a ticket
the cell holds (one opened under another persona or site, before its user moved,
changes nothing here) and no count goes negative, whatever the input order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from typing import Any

from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.observations import (
    ExposureObservation,
    JourneyObservation,
    Observation,
)
from xlapulse.streams.scoring.spans import total_ms, union_ms
from xlapulse.streams.scoring.touchpoints import SAMPLE_SCORE

WINDOW_SIZES_S = (300, 3600, 86_400)
#: Only the hourly cell remembers event ids: an observation falls into exactly one
#: hourly cell, so that cell decides for all window sizes whether it was counted.
DEDUP_WINDOW_S = 3600
JOURNEY_WINDOW_S = 86_400
#: The counts of a touch point (of a cell, or of one user in it), by position:
#: samples per band, their time lost, and the sum of their graded scores.
GOOD, TOLERATING, FRUSTRATING, TIME_LOST_MS, SCORE_SUM = range(5)
#: A sample's graded score has this many decimals, and so has every score sum.
SCORE_DECIMALS = 3
#: Layout of stored counts: 1 (formula 2.x) had no score sum, and per user no time lost.
COUNTS_LAYOUT = 2
#: How ``Cell.exposure_spans`` is stored: 2, spans in ms from the window's start under
#: "user|short device id" (1, before: epoch ms under the full device pseudonym; 42 % of
#: the spans' size, the largest part of a cell).
SPANS_LAYOUT = 2
#: Touch points broken down by component, and the positions of a component's counts
#: (tolerating and frustrating at the same positions as a touch point's).
COMPONENT_TOUCH_POINTS = ("app", "vpn", "print")
#: Printing is broken down a second time, per print server (``details.print_server``),
#: published under this ``touch_point`` tag; a printer reached without one is "direct".
PRINT_SERVER = "print_server"
DIRECT_PRINTING = "direct"
#: Every breakdown the ``component`` measurement publishes, by its ``touch_point`` tag.
COMPONENT_BREAKDOWNS = (*COMPONENT_TOUCH_POINTS, PRINT_SERVER)
UNKNOWN_COMPONENT = "unknown"
#: Touch points broken down by phase (``phases.py``), and the phase key of their timed
#: total (every timed sample, with phases or without).
PHASE_TOUCH_POINTS = ("boot", "logon")
PHASE_TOTAL = "*"
COMPONENT_SAMPLES, COMPONENT_FAILURES, COMPONENT_TIME_LOST_MS = 0, 3, 4


def new_counts() -> list[float]:
    """Zero counts of one touch point (see ``GOOD`` .. ``SCORE_SUM``)."""
    return [0, 0, 0, 0, 0.0]


def window_start_ms(event_time_ms: int, window_s: int) -> int:
    """Start of the tumbling window of ``window_s`` seconds that contains the time."""
    size_ms = window_s * 1000
    return event_time_ms - event_time_ms % size_ms


def window_label(window_s: int) -> str:
    """Human label for a window size, used as an InfluxDB tag: 300 -> '5m', 3600 -> '1h'."""
    for unit_s, unit in ((86_400, "d"), (3600, "h"), (60, "m")):
        if window_s % unit_s == 0:
            return f"{window_s // unit_s}{unit}"
    return f"{window_s}s"


def cell_key(persona: str, site: str, window_s: int, start_ms: int) -> str:
    """Table key of a cell."""
    return f"{persona}|{site}|{window_s}|{start_ms}"


def cell_group_key(key: str) -> str:
    """The persona|site of a cell key: the record key of the observations it counts,
    hence the partition its writes and its tombstone belong to."""
    return key.rsplit("|", 2)[0]


@dataclass
class Cell:
    """Counts for one (persona, site, window) cell; JSON-friendly via to_dict/from_dict."""

    persona: str
    site: str
    window_s: int
    window_start_ms: int
    #: short event ids counted here (hourly cells only, see ``DEDUP_WINDOW_S``)
    event_ids: set[str] = field(default_factory=set)
    #: touch point -> [good, tolerating, frustrating, time_lost_ms, graded score sum]
    touch_points: dict[str, list[float]] = field(default_factory=dict)
    #: user -> touch point -> the same counts for that user
    user_touch_points: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    #: objective id -> [samples, hits]
    objectives: dict[str, list[int]] = field(default_factory=dict)
    #: answers per score 0..10, and who answered
    survey_scores: list[int] = field(default_factory=lambda: [0] * 11)
    survey_users: list[str] = field(default_factory=list)
    self_reported_lost_ms: int = 0
    self_reported_answers: int = 0
    self_reported_users: list[str] = field(default_factory=list)
    #: the same for answers about a ticket (CSAT and service-desk happiness)
    ticket_survey_scores: list[int] = field(default_factory=lambda: [0] * 11)
    ticket_survey_users: list[str] = field(default_factory=list)
    csat_answers: int = 0
    csat_satisfied: int = 0
    tickets_opened: int = 0
    #: short ticket key (:func:`short_ticket_key`) -> [explaining touch point or None,
    #: via device 0/1, signal time lost ms] of every ticket opened here: a correction
    #: moves only a ticket the cell holds, from what the cell counted for it
    opened_tickets: dict[str, list[Any]] = field(default_factory=dict)
    explained_by: dict[str, int] = field(default_factory=dict)
    #: of those, explained by the telemetry of the device they were raised from
    explained_via_device: int = 0
    signal_time_lost_ms: int = 0
    #: who has a ticket observation here (any stage), and who opened a ticket here
    ticket_users: list[str] = field(default_factory=list)
    opened_users: list[str] = field(default_factory=list)
    #: handled tickets per band, and service-desk facts
    handled: list[int] = field(default_factory=lambda: [0, 0, 0])
    no_contact: int = 0
    reopened: int = 0
    first_assignee: int = 0
    #: reassignments of all handled tickets, and handled tickets reassigned twice or more
    reassignments: int = 0
    reassigned_twice: int = 0
    sla_known: int = 0
    sla_met: int = 0
    resolved_in_target: int = 0
    first_contact_ms_total: int = 0
    first_contact_count: int = 0
    #: user -> [journey score, worst, end, event_time_ms] of the latest journey update
    journeys: dict[str, list[float]] = field(default_factory=dict)
    #: exposure (``exposure.py``) -> "user|short device id" (:func:`span_holder`) ->
    #: exposed spans in this window, in ms from its start (``spans.py``;
    #: ``exposure_clock.py`` credits them)
    exposure_spans: dict[str, dict[str, list[list[int]]]] = field(default_factory=dict)
    #: touch point -> samples that are failures its exposure divides (``exposure.py``)
    failures: dict[str, int] = field(default_factory=dict)
    #: "touch point|component" (a VPN gateway, an app and version, a printer; "unknown"
    #: when the event names none) -> [samples, tolerating, frustrating, failures, time
    #: lost ms], and who had those samples (``component_record.py`` publishes them)
    component_counts: dict[str, list[int]] = field(default_factory=dict)
    component_users: dict[str, list[str]] = field(default_factory=dict)
    #: "touch point|phase" (boot and logon phases, ``phases.py``; "touch point|*" the
    #: timed total) -> [sum ms, samples], and who reported each phase
    phase_sums: dict[str, list[float]] = field(default_factory=dict)
    phase_users: dict[str, list[str]] = field(default_factory=dict)
    #: series id -> measurement, tags, field names and time of each point published
    #: from exposed time, which ``retractions.py`` deletes when the cell no longer
    #: publishes it (late closes take exposure back)
    retractable_published: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: [offset, index] of the last observation counted here: its observations record's
    #: offset and its place in that record ([-1, -1]: none, or stored before there was
    #: this field). A group's records share one partition, so a cell other than the
    #: hourly one skips an observation at or before it (``pipeline.update_cells``).
    applied_position: list[int] = field(default_factory=lambda: [-1, -1])
    counts_layout: int = COUNTS_LAYOUT
    spans_layout: int = SPANS_LAYOUT

    def key(self) -> str:
        return cell_key(self.persona, self.site, self.window_s, self.window_start_ms)

    def users(self) -> set[str]:
        return (
            set(self.user_touch_points)
            | set(self.survey_users)
            | set(self.ticket_users)
            | set(self.journeys)
            | {holder.split("|")[0] for held in self.exposure_spans.values() for holder in held}
        )

    def exposed_ms(self, exposure: str) -> dict[str, int]:
        """User -> exposed ms of one exposure in this window: a person's time, so two
        devices unlocked (or two tunnels up) at once count once."""
        per_user: dict[str, list[list[list[int]]]] = {}
        for holder, spans in self.exposure_spans.get(exposure, {}).items():
            per_user.setdefault(holder.split("|")[0], []).append(spans)
        return {
            user: total_ms(devices[0]) if len(devices) == 1 else union_ms(devices)
            for user, devices in per_user.items()
        }

    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose: the caller serializes it at once (dataclasses.asdict's
        # deep copy was the engine's single largest cost). The event ids in set order, not
        # sorted: a day's cell of a large site holds tens of thousands, and sorting them at
        # each write took 3 ms per cell (18,000 ids); from_dict makes a set of them again.
        return {**vars(self), "event_ids": list(self.event_ids)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cell:
        """The stored cell. Fields it does not know (stored by a newer worker, e.g. in a
        rolling update or after a rollback) are dropped: a field added later must mean
        "nothing known" when missing, as ``applied_position`` does."""
        if not data.keys() <= _CELL_FIELDS:
            data = {name: value for name, value in data.items() if name in _CELL_FIELDS}
        cell = cls(**{**data, "event_ids": set(data["event_ids"])})
        if "counts_layout" not in data:
            _upgrade_counts(cell)
        if "spans_layout" not in data:
            _upgrade_spans(cell)
        return cell


_CELL_FIELDS = frozenset(cell_field.name for cell_field in fields(Cell))


def _upgrade_counts(cell: Cell) -> None:
    """Counts stored by formula 2.x: score sums from the bands (no tolerating sample was
    graded then), per-user time lost unknown (0)."""
    for counts in cell.touch_points.values():
        counts.append(
            SAMPLE_SCORE[Band.GOOD] * counts[GOOD]
            + SAMPLE_SCORE[Band.TOLERATING] * counts[TOLERATING]
        )
    for per_point in cell.user_touch_points.values():
        for counts in per_point.values():
            counts += [
                0,
                SAMPLE_SCORE[Band.GOOD] * counts[GOOD]
                + SAMPLE_SCORE[Band.TOLERATING] * counts[TOLERATING],
            ]
    cell.counts_layout = COUNTS_LAYOUT


def _upgrade_spans(cell: Cell) -> None:
    """Spans stored before ``SPANS_LAYOUT`` 2: epoch ms under "user|device"."""
    start_ms = cell.window_start_ms
    cell.exposure_spans = {
        exposure: {
            span_holder(holder): [[low - start_ms, high - start_ms] for low, high in spans]
            for holder, spans in held.items()
        }
        for exposure, held in cell.exposure_spans.items()
    }
    cell.spans_layout = SPANS_LAYOUT


def span_holder(holder: str) -> str:
    """A cell's key for a "user|device" exposure holder: the user, and a 32-bit hash of
    the device (enough to tell one person's devices apart, a third of the size)."""
    user, device = holder.split("|", 1)
    return f"{user}|{hashlib.blake2b(device.encode(), digest_size=4).hexdigest()}"


def short_event_id(event_id: str) -> str:
    """A 64-bit hash of an event id: enough to tell a day's events apart, half the size."""
    return hashlib.blake2b(event_id.encode(), digest_size=8).hexdigest()


def cells_for(observation: Observation) -> list[tuple[str, int, int]]:
    """(key, window_s, start_ms) of every cell the observation falls into, hourly cell first."""
    if isinstance(observation, JourneyObservation):
        sizes: tuple[int, ...] = (JOURNEY_WINDOW_S,)
    elif isinstance(observation, ExposureObservation):
        # In no cell: ``exposure_clock.py`` applies it, idempotently.
        sizes = ()
    else:
        sizes = (DEDUP_WINDOW_S, *(size for size in WINDOW_SIZES_S if size != DEDUP_WINDOW_S))
    return [
        (
            cell_key(observation.persona, observation.site, size, start),
            size,
            start,
        )
        for size in sizes
        for start in [window_start_ms(observation.event_time_ms, size)]
    ]
