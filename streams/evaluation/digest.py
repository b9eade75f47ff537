"""Keep, from a run's publications, the little an evaluation needs.

Reads: :class:`~xlapulse.streams.evaluation.harness.Publication` records of one run,
and the incidents whose cells matter (from the incident scenario's truth). Writes:
nothing; a :class:`RunDigest` holds

* every ``experience_score`` value (5 min and 1 h cells) published for a persona and
  site inside an incident's scope, in a window that overlaps the incident
  (``CellScore``, with the event time it was published at);
* the calm range of every (persona, site, touch point, window size): the lowest and
  highest score ever published for it (interim values included: a live detector sees
  them too);
* the latest ``service_desk`` record of every 1-day cell (silent sufferers).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from xlapulse.collectors.simulator.truth import IncidentTruth
from xlapulse.streams.evaluation.harness import Publication

SCORE_WINDOWS = {"5m": 300_000, "1h": 3_600_000}
DAY_WINDOW = "1d"
#: (persona, site, touch point, window label)
ScopeKey = tuple[str, str, str, str]


@dataclass(frozen=True)
class CellScore:
    """One published value of one touch-point score cell."""

    published_ms: int
    persona: str
    site: str
    touch_point: str
    window: str
    window_start_ms: int
    score: float
    samples: int

    @property
    def scope_key(self) -> ScopeKey:
        return (self.persona, self.site, self.touch_point, self.window)

    @property
    def cell(self) -> tuple[str, str, str, str, int]:
        return (*self.scope_key, self.window_start_ms)


@dataclass
class CalmRange:
    floor: float
    ceiling: float
    publications: int = 1

    def add(self, score: float) -> None:
        self.floor = min(self.floor, score)
        self.ceiling = max(self.ceiling, score)
        self.publications += 1


@dataclass
class RunDigest:
    """What one run published that the evaluation looks at (see the module docstring)."""

    incidents: tuple[IncidentTruth, ...]
    ranges: dict[ScopeKey, CalmRange] = field(default_factory=dict)
    kept: list[CellScore] = field(default_factory=list)
    desk_days: dict[tuple[str, str, int], dict[str, float | int | str]] = field(
        default_factory=dict
    )
    publications: int = 0

    def add_all(self, publications: Iterable[Publication]) -> RunDigest:
        for publication in publications:
            self.add(publication)
        return self

    def add(self, publication: Publication) -> None:
        self.publications += 1
        record = publication.record
        tags = record.tags
        window = tags.get("window")
        if record.measurement == "service_desk" and window == DAY_WINDOW:
            start_ms = record.time_ns // 1_000_000
            self.desk_days[(tags["persona"], tags["site"], start_ms)] = record.fields
            return
        if record.measurement != "experience_score" or window not in SCORE_WINDOWS:
            return
        score = CellScore(
            publication.published_ms,
            tags["persona"],
            tags["site"],
            tags["touch_point"],
            window,
            record.time_ns // 1_000_000,
            float(record.fields["score"]),
            int(record.fields["samples"]),
        )
        calm = self.ranges.get(score.scope_key)
        if calm is None:
            self.ranges[score.scope_key] = CalmRange(score.score, score.score)
        else:
            calm.add(score.score)
        if any(_in_incident(score, incident) for incident in self.incidents):
            self.kept.append(score)


def _in_incident(score: CellScore, incident: IncidentTruth) -> bool:
    size_ms = SCORE_WINDOWS[score.window]
    overlaps = score.window_start_ms < incident.end_ms and incident.onset_ms < (
        score.window_start_ms + size_ms
    )
    return overlaps and incident.scope.covers(score.persona, score.site)


def cells_of(digest: RunDigest, incident: IncidentTruth) -> list[CellScore]:
    """The kept values of cells inside ``incident``'s scope and window, in publication order."""
    return [score for score in digest.kept if _in_incident(score, incident)]
