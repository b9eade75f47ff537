"""``xlapulse backtest``: replay stored history under two formulas and XLA files, compare.

Reads: contract events from an NDJSON file (one encoded event per line, as
``xlapulse simulate --output`` writes) or from the input topics in Kafka (from
the beginning up to the end offsets at start), plus two XLA files and two
formula versions (``formula_versions.py``; by default the previous one, 2.2,
against the current one, 3.0).
Writes: a comparison table to stdout; nothing else.

Both runs use the in-process pipeline (the same code as the Faust workers)
with an event-time clock, in event-time order, so the result depends only on
the events and the two files. Records that fail the contract are counted and
reported, never silently skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from xlapulse.collectors.contract.codec import ContractViolation, encode_event, parse_event
from xlapulse.collectors.contract.events import EventBase, event_time_ms
from xlapulse.collectors.contract.topics import INPUT_TOPICS, topic_for
from xlapulse.streams.inprocess import InProcessPipeline
from xlapulse.streams.scoring.cells import WINDOW_SIZES_S, window_label
from xlapulse.streams.scoring.formula_versions import CURRENT_FORMULA, Formula
from xlapulse.streams.scoring.published import (
    EXPERIENCE_SCORE,
    MIN_USERS_PER_AGGREGATE,
    SERVICE_DESK_MEASUREMENT,
    XLA_COMPLIANCE,
)
from xlapulse.streams.scoring.xla import XlaConfig

#: Service-desk figures the comparison sums over a window size's records.
DESK_FIELDS = ("silent_sufferers", "users_suffering", "tickets_opened", "explained")


@dataclass
class History:
    """Valid events in event-time order, and the reasons of the records that were not."""

    events: Sequence[EventBase]
    rejected: list[str]


def _collect(records: Iterable[tuple[str, bytes]]) -> History:
    events, rejected = [], []
    for where, raw in records:
        try:
            events.append(parse_event(raw))
        except ContractViolation as violation:
            rejected.append(f"{where}: {violation.reason}")
    events.sort(key=event_time_ms)
    return History(events, rejected)


def history_from_file(path: Path) -> History:
    """Events of an NDJSON file; blank lines are skipped, bad lines are reported by number."""
    with path.open("rb") as lines:
        return _collect(
            (f"{path}:{number}", line.strip())
            for number, line in enumerate(lines, start=1)
            if line.strip()
        )


def history_from_kafka(bootstrap: str, max_records: int) -> History:
    """Events of every input topic, from the earliest offset to the end offsets at start."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=10_000
    )
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in INPUT_TOPICS
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end_offsets = consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if end_offsets[tp] > consumer.position(tp)}

        def records() -> Iterator[tuple[str, bytes]]:
            for read, record in enumerate(consumer, start=1):
                tp = TopicPartition(record.topic, record.partition)
                yield f"{record.topic}/{record.partition}@{record.offset}", record.value
                if record.offset + 1 >= end_offsets[tp]:
                    remaining.discard(tp)
                if not remaining or read >= max_records:
                    return

        return _collect(records()) if remaining else History([], [])
    finally:
        consumer.close()


def replay(
    history: History, config: XlaConfig, formula: Formula = CURRENT_FORMULA
) -> InProcessPipeline:
    """Score the history with one XLA configuration and formula."""
    pipeline = InProcessPipeline(
        config=config, formula=formula, max_event_age_ms=10 * 365 * 86_400_000
    )
    for event in history.events:
        pipeline.feed_record(encode_event(event), topic_for(event))
    return pipeline


@dataclass(frozen=True)
class ScoreRow:
    """Sample-weighted score of one persona and touch point over all cells of a window size."""

    persona: str
    touch_point: str
    baseline: float | None
    changed: float | None


@dataclass(frozen=True)
class DeskRow:
    """One service-desk figure of one persona, summed over all cells of a window size
    (people are counted per window: a person-window)."""

    persona: str
    figure: str
    baseline: int
    changed: int


@dataclass(frozen=True)
class ComplianceRow:
    """Share of windows in which one objective was met."""

    persona: str
    objective: str
    baseline: float | None
    changed: float | None


def _scores(pipeline: InProcessPipeline, window: str) -> dict[tuple[str, str], float]:
    weighted: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for record in pipeline.latest(EXPERIENCE_SCORE, window=window):
        key = (record.tags["persona"], record.tags["touch_point"])
        samples = float(record.fields["samples"])
        weighted[key][0] += float(record.fields["score"]) * samples
        weighted[key][1] += samples
    return {key: total / samples for key, (total, samples) in weighted.items() if samples}


def _compliance(pipeline: InProcessPipeline, window: str) -> dict[tuple[str, str], float]:
    met: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for record in pipeline.latest(XLA_COMPLIANCE, window=window):
        key = (record.tags["persona"], record.tags["objective"])
        met[key][0] += int(record.fields["met"])
        met[key][1] += 1
    return {key: hits / windows for key, (hits, windows) in met.items()}


def _desk(pipeline: InProcessPipeline, window: str) -> dict[tuple[str, str], int]:
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for record in pipeline.latest(SERVICE_DESK_MEASUREMENT, window=window):
        for figure in DESK_FIELDS:
            if figure in record.fields:
                totals[record.tags["persona"], figure] += int(record.fields[figure])
    return totals


def compare_desk(
    baseline: InProcessPipeline, changed: InProcessPipeline, window: str
) -> list[DeskRow]:
    """Rows for every persona and service-desk figure present in either run."""
    base, new = _desk(baseline, window), _desk(changed, window)
    return [
        DeskRow(*key, base.get(key, 0), new.get(key, 0)) for key in sorted(base.keys() | new.keys())
    ]


def compare(
    baseline: InProcessPipeline, changed: InProcessPipeline, window: str
) -> tuple[list[ScoreRow], list[ComplianceRow]]:
    """Rows for every persona x touch point and objective present in either run."""
    base_scores, new_scores = _scores(baseline, window), _scores(changed, window)
    base_met, new_met = _compliance(baseline, window), _compliance(changed, window)
    scores = [
        ScoreRow(*key, base_scores.get(key), new_scores.get(key))
        for key in sorted(base_scores.keys() | new_scores.keys())
    ]
    compliance = [
        ComplianceRow(*key, base_met.get(key), new_met.get(key))
        for key in sorted(base_met.keys() | new_met.keys())
    ]
    return scores, compliance


#: The window sizes the engine publishes, as labels: 5m, 1h, 1d.
WINDOWS = tuple(window_label(size) for size in WINDOW_SIZES_S)
NOTHING_PUBLISHED = (
    f"nothing published: no persona x site group had {MIN_USERS_PER_AGGREGATE} or more "
    "people with samples in any window of this size (figures about fewer are never published)"
)


def _cell(value: float | None, scale: float = 1.0) -> str:
    return "-" if value is None else f"{value * scale:6.1f}"


def _delta(baseline: float | None, changed: float | None, scale: float = 1.0) -> str:
    if baseline is None or changed is None:
        return "-"
    return f"{(changed - baseline) * scale:+6.1f}"


def missed(pipeline: InProcessPipeline, window: str) -> tuple[int, int]:
    """Compliance points published in the window size, and how many of them missed their
    target: what an alert on every missed point would have fired."""
    points = pipeline.latest(XLA_COMPLIANCE, window=window)
    return len(points), sum(not int(record.fields["met"]) for record in points)


def nothing_published(baseline: InProcessPipeline, changed: InProcessPipeline, window: str) -> bool:
    """True when neither replay published a score, compliance or service-desk figure in
    the window size (every group had fewer than 5 people): a comparison would be empty."""
    return not any(compare(baseline, changed, window)) and not compare_desk(
        baseline, changed, window
    )


def _window_report(
    baseline: InProcessPipeline, changed: InProcessPipeline, window: str
) -> list[str]:
    if nothing_published(baseline, changed, window):
        return ["", f"=== window {window}", NOTHING_PUBLISHED]
    scores, compliance = compare(baseline, changed, window)
    desk = compare_desk(baseline, changed, window)
    (base_points, base_missed), (new_points, new_missed) = (
        missed(baseline, window),
        missed(changed, window),
    )
    lines = [
        "",
        f"=== window {window}",
        f"compliance points: baseline {base_points} ({base_missed} missed), "
        f"changed {new_points} ({new_missed} missed)",
        "",
        f"{'persona':<20} {'touch point':<13} {'baseline':>8} {'changed':>8} {'delta':>7}",
    ]
    lines += [
        f"{row.persona:<20} {row.touch_point:<13} {_cell(row.baseline):>8} "
        f"{_cell(row.changed):>8} {_delta(row.baseline, row.changed):>7}"
        for row in scores
    ]
    lines += [
        "",
        f"{'persona':<20} {'objective':<28} {'met % base':>10} {'met % new':>10} {'delta':>7}",
    ]
    lines += [
        f"{row.persona:<20} {row.objective:<28} {_cell(row.baseline, 100):>10} "
        f"{_cell(row.changed, 100):>10} {_delta(row.baseline, row.changed, 100):>7}"
        for row in compliance
    ]
    lines += [
        "",
        f"{'persona':<20} {'person-windows, tickets':<28} {'baseline':>10} {'changed':>10} "
        f"{'delta':>7}",
    ]
    lines += [
        f"{row.persona:<20} {row.figure:<28} {row.baseline:>10} {row.changed:>10} "
        f"{row.changed - row.baseline:>+7}"
        for row in desk
    ]
    return lines


def format_report(
    history: History,
    baseline: InProcessPipeline,
    changed: InProcessPipeline,
    windows: Sequence[str],
) -> str:
    """The comparison of two replays of ``history`` as plain text, per window size."""
    lines = [
        f"backtest: {len(history.events)} events, {len(history.rejected)} rejected records",
        f"  baseline formula {baseline.formula.version}, "
        f"XLA {baseline.config.version} ({baseline.config.digest})",
        f"  changed  formula {changed.formula.version}, "
        f"XLA {changed.config.version} ({changed.config.digest})",
    ]
    for window in windows:
        lines += _window_report(baseline, changed, window)
    lines += [f"rejected: {reason}" for reason in history.rejected[:20]]
    if len(history.rejected) > 20:
        lines.append(f"rejected: ... and {len(history.rejected) - 20} more")
    return "\n".join(lines)
