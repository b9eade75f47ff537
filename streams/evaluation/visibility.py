"""Did an incident's published cells leave the calm range, how far, and how soon?

Reads: the digests of three runs of one fleet (``digest.py``): the incident scenario,
its calm twin (the same noise without incidents) and the calm weeks. Writes: nothing;
:func:`visibility` returns one :class:`Visibility` per incident, touch point and
window size.

Definitions, per incident, touch point and window size (5 min, 1 h); a *pair* is a
(persona, site) of the incident's scope, a *cell* a pair's window that overlaps the
incident's window:

* **calm floor** of a pair: the lowest score the calm weeks ever published for it at
  that touch point and window size (so a detector alarming below it would never have
  fired in the calm weeks);
* **baseline**: the calm twin's score of the same cells (final values,
  sample-weighted): what those cells would have shown without the incident;
* **worst**: the lowest score the incident run published in the cells;
* **first hit**: the first event the incident changed, in minutes after its onset (a
  GPO change at 6:30 hits nobody until the first logon);
* a pair **left** the calm range when one of its cells was published below its calm
  floor; **first leave** is the event time of the first such publication, in minutes
  after the incident's onset (so the latency of a leave is first leave - first hit);
  a pair the calm weeks never published has no floor (``no_calm``) and cannot leave;
* **twin left**: the pairs whose cells the calm twin published below their floor in
  the same windows: leaves that happen without the incident (the floor, taken from
  other weeks, is not a guarantee), so a leave counts for the incident only beyond it.

Rows are made for the incident's own touch point and for every other touch point
(``overall`` included) where more pairs left than in the calm twin.
"""

from __future__ import annotations

from dataclasses import dataclass

from xlapulse.collectors.simulator.truth import IncidentTruth
from xlapulse.streams.evaluation.digest import SCORE_WINDOWS, CellScore, RunDigest, cells_of


@dataclass(frozen=True)
class Visibility:
    incident: str
    touch_point: str
    window: str
    scope_pairs: int
    published_pairs: int  # pairs with at least one published cell in the window
    no_calm_pairs: int  # published now, never in the calm weeks
    left_pairs: int
    twin_left_pairs: int  # the same cells of the calm twin below their floor
    baseline: float | None
    calm_floor: float | None  # of the pair where the worst score was published
    worst: float | None
    first_hit_min: float | None
    first_leave_min: float | None

    @property
    def left(self) -> bool:
        return self.left_pairs > 0


def visibility(
    incident: IncidentTruth, run: RunDigest, twin: RunDigest, calm: RunDigest
) -> list[Visibility]:
    """Rows for the incident's touch point, then for others that left the calm range."""
    scores = cells_of(run, incident)
    twin_scores = cells_of(twin, incident)
    touch_points = [incident.scope.touch_point]
    touch_points += sorted({s.touch_point for s in scores} - {incident.scope.touch_point})
    rows = []
    for touch_point in touch_points:
        for window in SCORE_WINDOWS:
            row = _row(incident, touch_point, window, scores, twin_scores, calm)
            if touch_point == incident.scope.touch_point or row.left_pairs > row.twin_left_pairs:
                rows.append(row)
    return rows


def _row(
    incident: IncidentTruth,
    touch_point: str,
    window: str,
    scores: list[CellScore],
    twin_scores: list[CellScore],
    calm: RunDigest,
) -> Visibility:
    mine = [s for s in scores if s.touch_point == touch_point and s.window == window]
    twins = [s for s in twin_scores if s.touch_point == touch_point and s.window == window]
    floors = {
        (persona, site): calm_range.floor
        for (persona, site, point, size), calm_range in calm.ranges.items()
        if point == touch_point and size == window and incident.scope.covers(persona, site)
    }
    pairs = {(s.persona, s.site) for s in mine}
    below = _below(mine, floors)
    worst = min(mine, key=lambda s: s.score, default=None)
    first = min((s.published_ms for s in below), default=None)
    return Visibility(
        incident=incident.name,
        touch_point=touch_point,
        window=window,
        scope_pairs=len(incident.scope.personas) * len(incident.scope.sites),
        published_pairs=len(pairs),
        no_calm_pairs=len(pairs - set(floors)),
        left_pairs=len({(s.persona, s.site) for s in below}),
        twin_left_pairs=len({(s.persona, s.site) for s in _below(twins, floors)}),
        baseline=_final_weighted(twins),
        calm_floor=None if worst is None else floors.get((worst.persona, worst.site)),
        worst=None if worst is None else worst.score,
        first_hit_min=_minutes_after_onset(incident, incident.first_hit_ms),
        first_leave_min=_minutes_after_onset(incident, first),
    )


def _minutes_after_onset(incident: IncidentTruth, at_ms: int | None) -> float | None:
    return None if at_ms is None else (at_ms - incident.onset_ms) / 60_000


def _below(scores: list[CellScore], floors: dict[tuple[str, str], float]) -> list[CellScore]:
    """The values published below their pair's calm floor (pairs without one never are)."""
    return [s for s in scores if s.score < floors.get((s.persona, s.site), float("-inf"))]


def _final_weighted(scores: list[CellScore]) -> float | None:
    """Sample-weighted mean of each cell's last published score."""
    final: dict[tuple, CellScore] = {}
    for score in scores:
        final[score.cell] = score
    samples = sum(s.samples for s in final.values())
    if not samples:
        return None
    return sum(s.score * s.samples for s in final.values()) / samples
