"""``xlapulse evaluate``: run an incident scenario, its calm twin and calm weeks; print.

Reads: two scenarios (packaged names or files; by default ``incident-week`` and
``calm-weeks``) and the fleet settings. Writes: the evaluation table to stdout.

Three runs of the same fleet (seed, endpoints) go through the in-process engine
(``harness.py``): the incident scenario, its calm twin (the same span and noise
without incidents, for the baseline and the silent sufferers a calm day has too),
and the calm weeks, which start on the first Monday after the incident span and
give every cell's calm range (``visibility.py``). The table holds, per incident:
visibility per touch point and window size, silent sufferers against the truth
(``silent.py``); then ticket correlation precision and recall (``correlation.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from xlapulse.streams.evaluation.correlation import CorrelationScore, correlation_scores
from xlapulse.streams.evaluation.digest import RunDigest
from xlapulse.streams.evaluation.harness import RunSettings, ScenarioRun, next_monday, start_run
from xlapulse.streams.evaluation.silent import SilentCount, silent_count
from xlapulse.streams.evaluation.visibility import Visibility, visibility
from xlapulse.streams.scoring.records import FORMULA_VERSION

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Evaluation:
    run: ScenarioRun
    twin: ScenarioRun
    calm: ScenarioRun
    visibility: tuple[Visibility, ...]
    silent: tuple[SilentCount, ...]
    correlation: tuple[CorrelationScore, ...]
    cpu_s: float


def evaluate(
    scenario: str | Path = "incident-week",
    calm: str | Path = "calm-weeks",
    settings: RunSettings | None = None,
    progress: Progress | None = None,
) -> Evaluation:
    """Run the three scenarios and measure the incident run against its truth."""
    settings = settings or RunSettings()
    say = progress or (lambda _: None)
    started = time.process_time()
    run = start_run(scenario, settings)
    incidents = run.truth.incidents
    twin = start_run(run.scenario, replace(settings, days=run.days), calm_twin=True)
    calm_first_day = next_monday(settings.first_day, run.days)
    calm_run = start_run(calm, replace(settings, first_day=calm_first_day))
    digests = []
    for label, one in (("incident", run), ("calm twin", twin), ("calm weeks", calm_run)):
        first_day = one.settings.first_day
        say(f"scoring the {label} run: {one.scenario.name}, {one.days} days from {first_day}")
        digests.append(RunDigest(incidents).add_all(one.publications()))
    digest, twin_digest, calm_digest = digests
    return Evaluation(
        run=run,
        twin=twin,
        calm=calm_run,
        visibility=tuple(
            row
            for incident in incidents
            for row in visibility(incident, digest, twin_digest, calm_digest)
        ),
        silent=tuple(silent_count(i, run.truth, digest, twin_digest) for i in incidents),
        correlation=tuple(correlation_scores(run.truth, run.explanations)),
        cpu_s=time.process_time() - started,
    )


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _after(minutes: float | None) -> str:
    return "-" if minutes is None else f"+{minutes:.0f} min"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def format_evaluation(evaluation: Evaluation) -> str:
    run, settings = evaluation.run, evaluation.run.settings
    lines = [
        f"xlapulse evaluate: formula {FORMULA_VERSION}; {settings.endpoints} endpoints, "
        f"seed {settings.seed}; flush every {settings.flush_every_s} s of event time",
        f"  incident run: {run.scenario.name}, {run.days} days from {settings.first_day} "
        f"({run.events:,} events); calm twin: the same without incidents "
        f"({evaluation.twin.events:,})",
        f"  calm range:   {evaluation.calm.scenario.name}, {evaluation.calm.days} days from "
        f"{evaluation.calm.settings.first_day} ({evaluation.calm.events:,} events); "
        f"{evaluation.cpu_s:.0f} CPU s",
        "",
        "Visibility: scope pairs = persona x site of the incident's scope; left = pairs "
        "published below their calm floor; twin = pairs the calm twin published below it;",
        "first hit and first leave in event-time minutes after the incident's onset",
        f"{'incident':<22} {'touch pt':<8} {'win':<3} {'baseline':>8} {'floor':>6} "
        f"{'worst':>6} {'pairs pub/left/scope':>20} {'twin':>4} {'no calm':>7} "
        f"{'first hit':>9} {'first leave':>11}",
    ]
    for row in evaluation.visibility:
        pairs = f"{row.published_pairs}/{row.left_pairs}/{row.scope_pairs}"
        lines.append(
            f"{row.incident:<22} {row.touch_point:<8} {row.window:<3} "
            f"{_number(row.baseline):>8} {_number(row.calm_floor):>6} {_number(row.worst):>6} "
            f"{pairs:>20} {row.twin_left_pairs:>4} {row.no_calm_pairs:>7} "
            f"{_after(row.first_hit_min):>9} {_after(row.first_leave_min):>11}"
        )
    lines += [
        "",
        "Silent sufferers on the incident's day (truth: affected, no ticket that day; "
        "published: scope's 1-day cells)",
        f"{'incident':<24} {'affected':>8} {'silent':>7} {'never file':>10} "
        f"{'published':>9} {'calm twin':>9} {'excess':>7}",
    ]
    for count in evaluation.silent:
        lines.append(
            f"{count.incident:<24} {count.affected:>8} {count.silent:>7} {count.never_file:>10} "
            f"{_number(count.published, 0):>9} {_number(count.calm, 0):>9} "
            f"{_number(count.excess, 0):>7}"
        )
    lines += [
        "",
        "Ticket correlation (correct = explained by the ticket's cause touch point)",
        f"{'tickets':<20} {'count':>5} {'w/ cause':>8} {'explained':>9} {'correct':>7} "
        f"{'precision':>9} {'recall':>6} {'no cause, left alone':>20}",
    ]
    for score in evaluation.correlation:
        no_cause = score.tickets - score.with_cause
        lines.append(
            f"{score.group:<20} {score.tickets:>5} {score.with_cause:>8} {score.explained:>9} "
            f"{score.correct:>7} {_ratio(score.precision):>9} {_ratio(score.recall):>6} "
            f"{f'{score.without_cause_left_alone}/{no_cause}':>20}"
        )
    every = evaluation.correlation[-1]
    if every.confusions:
        wrong = ", ".join(f"{cause}->{by} {n}" for (cause, by), n in every.confusions[:8])
        lines.append(f"  wrong explanations (cause->explained by): {wrong}")
    if every.unseen:
        lines.append(f"  {every.unseen} tickets were never counted by the engine")
    return "\n".join(lines)
