"""What the demo and its report show, computed from the pipeline's published state.

Reads: the records the pipeline published (``InProcessPipeline.records``, what
InfluxDB would hold). Writes nothing.

Privacy: every figure comes from a record, and the engine publishes no figure
about fewer than ``MIN_USERS_PER_AGGREGATE`` people and nothing per person, so
nothing here describes or ranks individuals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from xlapulse.streams.scoring.personas import TOUCH_POINTS
from xlapulse.streams.scoring.published import Record
from xlapulse.streams.scoring.xla import XlaConfig

OVERALL = "overall"
DAY = "1d"
HOUR = "1h"


def _ms(record: Record) -> int:
    return record.time_ns // 1_000_000


def of(records: Iterable[Record], measurement: str, window: str) -> list[Record]:
    """The records of one measurement and window size."""
    return [r for r in records if r.measurement == measurement and r.tags["window"] == window]


def latest_day_ms(records: Iterable[Record]) -> int | None:
    """Start of the latest day window with a published score, None before the first."""
    starts = [_ms(r) for r in of(records, "experience_score", DAY)]
    return max(starts) if starts else None


@dataclass(frozen=True)
class Score:
    """A score combined from records, sample-weighted, so sites and days combine exactly
    (a record's score is the mean sample score of its window)."""

    score: float
    samples: int
    time_lost_ms: int


def combine(records: Iterable[Record]) -> Score | None:
    """One score from experience_score records: the mean of their scores weighted by samples."""
    score_sum = 0.0
    total = lost_ms = 0
    for record in records:
        samples = int(record.fields["samples"])
        score_sum += float(record.fields["score"]) * samples
        total += samples
        lost_ms += int(record.fields["time_lost_ms"])
    if total == 0:
        return None
    return Score(score_sum / total, total, lost_ms)


def touch_point_scores(
    records: Iterable[Record], config: XlaConfig, day_ms: int | None = None
) -> dict[tuple[str, str], Score]:
    """(persona, touch point or 'overall') -> score over all sites, one day or the whole run.

    A touch point's score is the sample-weighted mean of its records' scores; 'overall' is the
    persona-weighted mean of those scores, as the engine computes it per cell.
    """
    grouped: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in of(records, "experience_score", DAY):
        if record.tags["touch_point"] != OVERALL and (day_ms is None or _ms(record) == day_ms):
            grouped[record.tags["persona"], record.tags["touch_point"]].append(record)
    scores = {key: combine(group) for key, group in grouped.items()}
    result = {key: score for key, score in scores.items() if score is not None}
    for persona in {persona for persona, _ in result}:
        weights = config.persona(persona).weights
        parts = {point: s for (p, point), s in result.items() if p == persona}
        total_weight = sum(weights.get(point, 0.0) for point in parts)
        if total_weight > 0:
            result[persona, OVERALL] = Score(
                sum(s.score * weights.get(point, 0.0) for point, s in parts.items()) / total_weight,
                sum(s.samples for s in parts.values()),
                sum(s.time_lost_ms for s in parts.values()),
            )
    return result


@dataclass(frozen=True)
class CellScore:
    """One persona at one site in one day window: overall score and its weakest touch point."""

    persona: str
    site: str
    overall: float
    users: int
    users_with_issues: int
    worst_touch_point: str | None
    worst_score: float | None


def cell_scores(records: Iterable[Record], day_ms: int) -> list[CellScore]:
    """Every persona x site of the day window starting at ``day_ms``, sorted by name."""
    day = [r for r in of(records, "experience_score", DAY) if _ms(r) == day_ms]
    by_cell: dict[tuple[str, str], dict[str, Record]] = defaultdict(dict)
    for record in day:
        by_cell[record.tags["persona"], record.tags["site"]][record.tags["touch_point"]] = record
    rows = []
    for (persona, site), points in sorted(by_cell.items()):
        overall = points.get(OVERALL)
        if overall is None:
            continue
        parts = {tp: float(r.fields["score"]) for tp, r in points.items() if tp != OVERALL}
        worst = min(parts, key=parts.__getitem__) if parts else None
        rows.append(
            CellScore(
                persona=persona,
                site=site,
                overall=float(overall.fields["score"]),
                users=int(overall.fields["users"]),
                users_with_issues=int(overall.fields.get("users_with_issues", 0)),
                worst_touch_point=worst,
                worst_score=parts[worst] if worst else None,
            )
        )
    return rows


@dataclass(frozen=True)
class WorstWindow:
    """The lowest score of one touch point in any window of the run."""

    touch_point: str
    persona: str
    site: str
    window_start_ms: int
    score: float
    samples: int


def worst_windows(records: Iterable[Record], window: str = DAY) -> list[WorstWindow]:
    """Per touch point (and overall), the persona, site and window with the lowest score."""
    lowest: dict[str, Record] = {}
    for record in of(records, "experience_score", window):
        point = record.tags["touch_point"]
        if point not in lowest or float(record.fields["score"]) < float(
            lowest[point].fields["score"]
        ):
            lowest[point] = record
    order = [*TOUCH_POINTS, OVERALL]
    return [
        WorstWindow(
            touch_point=point,
            persona=lowest[point].tags["persona"],
            site=lowest[point].tags["site"],
            window_start_ms=_ms(lowest[point]),
            score=float(lowest[point].fields["score"]),
            samples=int(lowest[point].fields["samples"]),
        )
        for point in order
        if point in lowest
    ]


def site_scores(records: Iterable[Record], touch_point: str) -> dict[tuple[str, str], Score]:
    """(persona, site) -> one touch point's score over the whole run (day windows)."""
    grouped: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in of(records, "experience_score", DAY):
        if record.tags["touch_point"] == touch_point:
            grouped[record.tags["persona"], record.tags["site"]].append(record)
    scores = {key: combine(group) for key, group in grouped.items()}
    return {key: score for key, score in scores.items() if score is not None}


def hourly_overall(records: Iterable[Record]) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """persona -> site -> [(hour start ms, overall score)] in time order."""
    series: dict[str, dict[str, list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
    for record in of(records, "experience_score", HOUR):
        if record.tags["touch_point"] == OVERALL:
            series[record.tags["persona"]][record.tags["site"]].append(
                (_ms(record), float(record.fields["score"]))
            )
    for sites in series.values():
        for points in sites.values():
            points.sort()
    return {persona: dict(sites) for persona, sites in sorted(series.items())}


# --- XLA compliance ----------------------------------------------------------


@dataclass(frozen=True)
class ObjectiveResult:
    """One objective of a persona: how many windows met it, and the misses of one day."""

    persona: str
    objective: str
    touch_point: str
    target: float
    windows: int
    met: int
    missed_at: tuple[str, ...] = ()

    @property
    def met_ratio(self) -> float:
        return self.met / self.windows if self.windows else 0.0


def compliance(
    records: Iterable[Record], window: str = DAY, day_ms: int | None = None
) -> list[ObjectiveResult]:
    """Per persona and objective: windows with a verdict, windows met, sites that missed."""
    tally: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in of(records, "xla_compliance", window):
        if day_ms is None or _ms(record) == day_ms:
            tally[record.tags["persona"], record.tags["objective"]].append(record)
    results = []
    for (persona, objective), group in sorted(tally.items()):
        missed = sorted({r.tags["site"] for r in group if not r.fields["met"]})
        results.append(
            ObjectiveResult(
                persona=persona,
                objective=objective,
                touch_point=group[0].tags["touch_point"],
                target=float(group[0].fields["target"]),
                windows=len(group),
                met=sum(int(r.fields["met"]) for r in group),
                missed_at=tuple(missed),
            )
        )
    return results


# --- service desk --------------------------------------------------------------


@dataclass
class ServiceDesk:
    """Ticket correlation and handling, summed over persona x site day windows."""

    tickets_opened: int = 0
    explained: int = 0
    explained_by: dict[str, int] = field(default_factory=dict)
    without_signal: int = 0
    silent_sufferers: int = 0
    users_suffering: int = 0
    users_frustrated: int = 0
    handled: int = 0
    no_contact: int = 0
    reopened: int = 0
    sla_weighted: float = 0.0
    sla_weight: int = 0
    telemetry_time_lost_ms: int = 0
    self_reported_lost_ms: int = 0
    self_reported_answers: int = 0
    watermelons: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def sla_met_ratio(self) -> float | None:
        """Mean of the windows' SLA-met ratios, weighted by tickets handled."""
        return self.sla_weighted / self.sla_weight if self.sla_weight else None

    def add(self, record: Record) -> None:
        fields = record.fields
        self.tickets_opened += int(fields.get("tickets_opened", 0))
        self.explained += int(fields.get("explained", 0))
        self.without_signal += int(fields.get("without_signal", 0))
        self.silent_sufferers += int(fields.get("silent_sufferers", 0))
        self.users_suffering += int(fields.get("users_suffering", 0))
        self.users_frustrated += int(fields.get("users_frustrated", 0))
        self.handled += int(fields.get("handled", 0))
        self.no_contact += int(fields.get("no_contact", 0))
        self.reopened += int(fields.get("reopened", 0))
        self.telemetry_time_lost_ms += int(fields.get("telemetry_time_lost_ms", 0))
        self.self_reported_lost_ms += int(fields.get("self_reported_lost_ms", 0))
        self.self_reported_answers += int(fields.get("self_reported_answers", 0))
        for key, value in fields.items():
            if key.startswith("explained_by_") and int(value):
                point = key.removeprefix("explained_by_")
                self.explained_by[point] = self.explained_by.get(point, 0) + int(value)
        if "sla_met_ratio" in fields and int(fields.get("handled", 0)):
            self.sla_weighted += float(fields["sla_met_ratio"]) * int(fields.get("handled", 0))
            self.sla_weight += int(fields.get("handled", 0))
        if int(fields.get("watermelon", 0)):
            self.watermelons.append((record.tags["persona"], record.tags["site"], _ms(record)))


def service_desk(records: Iterable[Record], day_ms: int | None = None) -> dict[str, ServiceDesk]:
    """persona -> summed service-desk figures of the day windows (one day or the whole run)."""
    totals: dict[str, ServiceDesk] = defaultdict(ServiceDesk)
    for record in of(records, "service_desk", DAY):
        if day_ms is None or _ms(record) == day_ms:
            totals[record.tags["persona"]].add(record)
    return dict(sorted(totals.items()))


def all_personas(per_persona: Mapping[str, ServiceDesk]) -> ServiceDesk:
    """The sum over personas."""
    total = ServiceDesk()
    for desk in per_persona.values():
        for name in (
            "tickets_opened",
            "explained",
            "without_signal",
            "silent_sufferers",
            "users_suffering",
            "users_frustrated",
            "handled",
            "no_contact",
            "reopened",
            "sla_weighted",
            "sla_weight",
            "telemetry_time_lost_ms",
            "self_reported_lost_ms",
            "self_reported_answers",
        ):
            setattr(total, name, getattr(total, name) + getattr(desk, name))
        for point, count in desk.explained_by.items():
            total.explained_by[point] = total.explained_by.get(point, 0) + count
        total.watermelons += desk.watermelons
    return total


# --- peak-end journeys --------------------------------------------------------


@dataclass(frozen=True)
class JourneyStats:
    """Peak-end journeys of one persona at one site in one day (a published record:
    five people or more; no journey of one person is shown)."""

    persona: str
    site: str
    day_ms: int
    users: int
    mean_score: float
    mean_worst_moment: float
    mean_end: float
    users_below_issue_score: int


def journey_stats(records: Iterable[Record]) -> list[JourneyStats]:
    """Per persona, site and day: the published journey figures, by persona, day and site."""
    stats = [
        JourneyStats(
            persona=record.tags["persona"],
            site=record.tags["site"],
            day_ms=_ms(record),
            users=int(record.fields["users"]),
            mean_score=float(record.fields["mean_score"]),
            mean_worst_moment=float(record.fields["mean_worst_moment"]),
            mean_end=float(record.fields["mean_end"]),
            users_below_issue_score=int(record.fields["users_below_issue_score"]),
        )
        for record in of(records, "journey", DAY)
    ]
    return sorted(stats, key=lambda s: (s.persona, s.day_ms, s.site))
