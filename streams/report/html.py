"""The demo's HTML report: one self-contained page, plots inline as SVG, no JavaScript.

Reads the pipeline's published records (through ``summary.py``) and the XLA
configuration; :func:`render_report` returns the page as a string
and :func:`write_report` writes it to a file. Nothing is fetched over the
network when the page is opened: styles and plots are inside the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from xlapulse.collectors.contract.outputs import DipEvent
from xlapulse.collectors.simulator.rhythm import LOCAL_TZ
from xlapulse.streams.report import plots
from xlapulse.streams.report.summary import (
    all_personas,
    compliance,
    hourly_overall,
    journey_stats,
    service_desk,
    worst_windows,
)
from xlapulse.streams.report.timeline import Span, scores_over_time, zone_names
from xlapulse.streams.scoring.journey import JOURNEY_FORMULA_VERSION, JOURNEY_WEIGHTS
from xlapulse.streams.scoring.published import ISSUE_SCORE, MIN_USERS_PER_AGGREGATE, Record
from xlapulse.streams.scoring.records import FORMULA_VERSION
from xlapulse.streams.scoring.xla import XlaConfig

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; color: #212121;
       line-height: 1.45; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } h2 { border-bottom: 2px solid #eceff1; padding-top: 1rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #eceff1; padding: 0.25rem 0.7rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.muted { color: #757575; } .bad { color: #c62828; font-weight: 600; } .good { color: #2e7d32; }
svg { max-width: 100%; height: auto; }
"""


@dataclass(frozen=True)
class RunInfo:
    """What was run: shown in the report's header."""

    title: str
    description: str
    events: int
    dead_letters: int
    invitations: int
    #: the scenario's incidents, shaded in the score plot on the sites they hit
    incidents: Sequence[Span] = field(default_factory=tuple)
    #: the dip events the run published (opened, updated, closed)
    dips: Sequence[DipEvent] = field(default_factory=tuple)


def dip_spans(dips: Sequence[DipEvent]) -> list[tuple[DipEvent, int]]:
    """Each dip's opening event and when it closed (epoch ms)."""
    opened = {dip.dip_id: dip for dip in dips if dip.state == "opened"}
    closed = {dip.dip_id: dip for dip in dips if dip.state == "closed"}
    spans = []
    for dip_id, first in opened.items():
        end = closed.get(dip_id, first)
        spans.append((first, _epoch_ms(end)))
    return sorted(spans, key=lambda span: span[0].event_time)


def _epoch_ms(dip: DipEvent) -> int:
    return int(dip.event_time.timestamp() * 1000)


def dip_marks(dips: Sequence[DipEvent]) -> list[Span]:
    """Each dip as a mark on its site's panel: touch point and persona, opened to closed."""
    return [
        Span(
            f"{first.touch_point} · {first.persona.replace('_', ' ')}",
            frozenset({first.site}),
            _epoch_ms(first),
            end_ms,
        )
        for first, end_ms in dip_spans(dips)
    ]


def dips_section(dips: Sequence[DipEvent]) -> str:
    spans = dip_spans(dips)
    if not spans:
        return _section("dips", "Journey dips", _p("No dip was detected in this run.", "muted"))
    return _section(
        "dips",
        "Journey dips",
        _p(
            "Each dip as it opened: where, which detector saw it, how many people it had "
            "affected (at least 5) and the likely cause the signals name; marked on its "
            "site's panel in the plot above."
        ),
        _table(
            (
                f"opened ({zone_names([_epoch_ms(spans[0][0]), spans[-1][1]])})",
                "closed",
                "persona",
                "site",
                "touch point",
                "detector",
                "severity",
                "people",
                "likely cause",
            ),
            (
                (
                    f"{first.event_time.astimezone(LOCAL_TZ):%a %H:%M}",
                    datetime.fromtimestamp(end_ms / 1000, LOCAL_TZ).strftime("%a %H:%M"),
                    first.persona,
                    first.site,
                    first.touch_point,
                    first.detector,
                    first.severity,
                    first.affected_people,
                    first.likely_cause or "",
                )
                for first, end_ms in spans
            ),
        ),
    )


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%a %d %b")


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(anchor: str, title: str, *parts: str) -> str:
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{"".join(parts)}</section>'


def _p(text: str, css: str = "") -> str:
    return f'<p class="{css}">{escape(text)}</p>' if css else f"<p>{escape(text)}</p>"


def formula_section(config: XlaConfig) -> str:
    """How the numbers are made, in plain language, with every version that produced them."""
    mean_weight, worst_weight, end_weight = JOURNEY_WEIGHTS
    return _section(
        "formula",
        "How to read this report",
        _p(
            "Each section answers one question and starts with its plot. Times are "
            "Europe/Amsterdam, the fleet's time zone (the plots name CET or CEST), except where "
            "marked UTC; a day window is a UTC day."
        ),
        _p(
            "Each touch point (boot, logon, VPN, apps, calls, printing, synthetic probes, "
            "service desk) is scored 0-100: a good moment scores 100, a frustrating one 0, "
            "and a tolerable one by the time it lost, from 100 just over its target down to 0 "
            "at four times the target. A persona's overall score is "
            "the mean of its touch-point scores, weighted by how much each touch point "
            "matters to that persona. Below "
            f"{ISSUE_SCORE:g} a person or group 'has issues'."
        ),
        _p(
            "A day journey is remembered by its worst moment and its end, not by its length "
            f"(the peak-end rule): journey score = {mean_weight:g} x mean + {worst_weight:g} x "
            f"worst moment + {end_weight:g} x end."
        ),
        _p(
            "XLA objectives are agreed per persona (e.g. 85 % of logons within 45 s); a window "
            "meets an objective when its value reaches the target, judged only on enough "
            "samples. Tickets are explained when "
            "the person's own telemetry showed a problem that fits the ticket's category shortly "
            "before; silent sufferers had a frustrating moment, or lost 20 s or more in slow "
            "ones, and filed no ticket. A watermelon is a window "
            "whose SLA is green while the experience is red."
        ),
        _p(
            f"No figure here describes fewer than {MIN_USERS_PER_AGGREGATE} people, and none "
            "describes or ranks one person."
        ),
        _table(
            ("what", "version"),
            (
                ("score formula", FORMULA_VERSION),
                ("journey formula", JOURNEY_FORMULA_VERSION),
                ("XLA file version", config.version),
                ("XLA file digest (SHA-256, first 12 hex)", config.digest),
            ),
        ),
    )


def scores_section(records: list[Record], run: RunInfo) -> str:
    worst = worst_windows(records)
    return _section(
        "scores",
        "Where and when did the experience drop?",
        _p(
            "One panel per site, one line per persona: the hourly overall score. A shaded "
            "band is an incident the scenario injected, on the sites it hit only; a purple "
            "bar is a dip the detectors found (touch point and persona). Nights and weekends "
            "have no line: too few people work then to publish a figure."
        ),
        scores_over_time(hourly_overall(records), run.incidents, dip_marks(run.dips)),
        _p("The lowest day score of each touch point, and the persona and site it was for:"),
        _table(
            ("touch point", "persona", "site", "day", "score", "samples"),
            (
                (
                    w.touch_point,
                    w.persona,
                    w.site,
                    _day(w.window_start_ms),
                    f"{w.score:.1f}",
                    w.samples,
                )
                for w in worst
            ),
        ),
    )


def journeys_section(records: list[Record]) -> str:
    stats = journey_stats(records)
    return _section(
        "journeys",
        "How will people remember their day?",
        plots.journeys(stats),
        _p("Peak-end journeys per persona, site and day (5 people or more):"),
        _table(
            (
                "persona",
                "site",
                "day",
                "people",
                "mean journey score",
                "mean worst moment",
                "mean end",
                f"journeys below {ISSUE_SCORE:g}",
            ),
            (
                (
                    s.persona,
                    s.site,
                    _day(s.day_ms),
                    s.users,
                    f"{s.mean_score:.1f}",
                    f"{s.mean_worst_moment:.1f}",
                    f"{s.mean_end:.1f}",
                    s.users_below_issue_score,
                )
                for s in stats
            ),
        ),
    )


def compliance_section(records: list[Record]) -> str:
    results = compliance(records, window="1h")
    return _section(
        "xla",
        "Which XLA objectives do we miss, and for whom?",
        plots.compliance_heatmap(results),
        _table(
            ("persona", "objective", "touch point", "target", "hourly windows", "met"),
            (
                (
                    r.persona,
                    r.objective,
                    r.touch_point,
                    f"{r.target:g}",
                    r.windows,
                    f"{r.met_ratio:.0%}",
                )
                for r in results
            ),
        ),
    )


def _watermelon_text(cells: list[tuple[str, str, int]]) -> str:
    if not cells:
        return _p("Watermelon check: no day window had a green SLA over a red experience.", "good")
    listed = "; ".join(f"{persona} at {site} on {_day(ms)}" for persona, site, ms in cells)
    return _p(f"Watermelon check: SLA green while experience red for {listed}.", "bad")


def tickets_section(records: list[Record]) -> str:
    per_persona = service_desk(records)
    total = all_personas(per_persona)
    sla = "n/a" if total.sla_met_ratio is None else f"{total.sla_met_ratio:.0%}"
    return _section(
        "tickets",
        "What drives tickets, who suffers silently, and is the SLA a watermelon?",
        plots.ticket_correlation(per_persona),
        _table(
            (
                "persona",
                "tickets",
                "explained",
                "without signal",
                "silent sufferers",
                "handled",
                "no contact",
                "reopened",
                "SLA met",
            ),
            (
                (
                    persona,
                    d.tickets_opened,
                    d.explained,
                    d.without_signal,
                    d.silent_sufferers,
                    d.handled,
                    d.no_contact,
                    d.reopened,
                    "n/a" if d.sla_met_ratio is None else f"{d.sla_met_ratio:.0%}",
                )
                for persona, d in per_persona.items()
            ),
        ),
        _p(
            f"All personas: {total.tickets_opened} tickets, {total.explained} explained by "
            f"telemetry, {total.without_signal} without a signal; {total.handled} handled, "
            f"{total.no_contact} without contacting the person, {total.reopened} reopened; "
            f"SLA met {sla}."
        ),
        _watermelon_text(total.watermelons),
        plots.lost_time(per_persona),
        _table(
            ("persona", "telemetry lost (h)", "self-reported lost (h)", "survey answers"),
            (
                (
                    persona,
                    f"{d.telemetry_time_lost_ms / 3_600_000:.1f}",
                    f"{d.self_reported_lost_ms / 3_600_000:.1f}",
                    d.self_reported_answers,
                )
                for persona, d in per_persona.items()
            ),
        ),
    )


def render_report(records: Iterable[Record], config: XlaConfig, run: RunInfo) -> str:
    """The whole page for the pipeline's published records."""
    records = list(records)
    header = (
        f"<h1>{escape(run.title)}</h1>"
        + _p(run.description, "muted")
        + _p(
            f"{run.events} events scored, {run.dead_letters} dead-lettered, "
            f"{run.invitations} survey invitations triggered."
        )
    )
    body = "".join(
        (
            header,
            formula_section(config),
            scores_section(records, run),
            dips_section(run.dips),
            journeys_section(records),
            compliance_section(records),
            tickets_section(records),
        )
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(run.title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def write_report(path: Path | str, page: str) -> Path:
    """Write the page (UTF-8) and return its absolute path."""
    target = Path(path).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target
