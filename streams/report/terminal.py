"""The demo's live terminal view: rich tables built from the pipeline's published state.

Reads the published records (through ``summary.py``); writes nothing: the
caller hands the renderable to ``rich.live.Live`` or prints it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from rich.console import Group, RenderableType
from rich.table import Table

from xlapulse.streams.report.summary import (
    OVERALL,
    ServiceDesk,
    all_personas,
    cell_scores,
    compliance,
    journey_stats,
    latest_day_ms,
    service_desk,
    touch_point_scores,
)
from xlapulse.streams.scoring.personas import TOUCH_POINTS
from xlapulse.streams.scoring.records import Record
from xlapulse.streams.scoring.xla import XlaConfig


def day_label(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%a %d %b")


def coloured(score: float | None) -> str:
    if score is None:
        return "[dim]-[/]"
    style = "green" if score >= 85 else "yellow" if score >= 70 else "red"
    return f"[{style}]{score:5.1f}[/]"


def cells_table(records: list[Record], day_ms: int) -> Table:
    table = Table(title=f"Persona x site, {day_label(day_ms)}", title_justify="left")
    for column in ("persona", "site", "overall", "weakest touch point", "people", "with issues"):
        table.add_column(column, justify="left" if column in ("persona", "site") else "right")
    for row in cell_scores(records, day_ms):
        weakest = f"{row.worst_touch_point} {coloured(row.worst_score)}" if row.worst_score else "-"
        table.add_row(
            row.persona,
            row.site,
            coloured(row.overall),
            weakest,
            str(row.users),
            str(row.users_with_issues),
        )
    return table


def touch_points_table(records: list[Record], config: XlaConfig, day_ms: int) -> Table:
    scores = touch_point_scores(records, config, day_ms)
    personas = sorted({persona for persona, _ in scores})
    table = Table(title="Touch points (all sites)", title_justify="left")
    table.add_column("touch point")
    for persona in personas:
        table.add_column(persona.replace("_", " "), justify="right")
    for point in (*TOUCH_POINTS, OVERALL):
        row = [scores.get((persona, point)) for persona in personas]
        if any(row):
            table.add_row(point, *(coloured(s.score if s else None) for s in row))
    return table


def compliance_table(records: list[Record], day_ms: int) -> Table:
    table = Table(title="XLA objectives, day window per site", title_justify="left")
    for column in ("persona", "met", "missed", "missed objectives"):
        table.add_column(column, justify="right" if column in ("met", "missed") else "left")
    by_persona: dict[str, list] = {}
    for result in compliance(records, day_ms=day_ms):
        by_persona.setdefault(result.persona, []).append(result)
    for persona, results in by_persona.items():
        met = sum(r.met for r in results)
        missed = [f"{r.objective} ({', '.join(r.missed_at)})" for r in results if r.missed_at]
        table.add_row(
            persona,
            f"[green]{met}[/]",
            f"[red]{sum(r.windows - r.met for r in results)}[/]",
            "; ".join(missed) or "-",
        )
    return table


def _desk_rows(desk: ServiceDesk) -> list[tuple[str, str]]:
    """(label, value) of one column of the service-desk table."""
    rows = [("tickets opened", str(desk.tickets_opened))]
    rows += [
        (f"  explained by {point}", str(count))
        for point, count in sorted(desk.explained_by.items(), key=lambda item: -item[1])
    ]
    sla = "-" if desk.sla_met_ratio is None else f"{desk.sla_met_ratio:.0%}"
    return [
        *rows,
        ("  without a signal", str(desk.without_signal)),
        ("silent sufferers (person-days)", str(desk.silent_sufferers)),
        ("resolved without contact", str(desk.no_contact)),
        ("reopened", str(desk.reopened)),
        ("SLA met", sla),
        ("hours lost, telemetry", f"{desk.telemetry_time_lost_ms / 3_600_000:.1f}"),
        ("hours lost, self-reported", f"{desk.self_reported_lost_ms / 3_600_000:.1f}"),
        ("watermelon days", f"[red]{len(desk.watermelons)}[/]" if desk.watermelons else "0"),
    ]


def service_desk_table(records: list[Record]) -> Table:
    """Rows are figures, columns personas and their sum: narrow enough for 80 columns."""
    per_persona = service_desk(records)
    columns = {**per_persona, "all": all_personas(per_persona)}
    table = Table(title="Service desk and lost time, whole run", title_justify="left")
    table.add_column("")
    values: dict[str, dict[str, str]] = {}
    for persona, desk in columns.items():
        table.add_column(persona.replace("_", " "), justify="right")
        values[persona] = dict(_desk_rows(desk))
    labels = list(dict.fromkeys(label for column in values.values() for label in column))
    explained = [label for label in labels if label.startswith("  explained by")]
    ordered = [labels[0], *explained, *(x for x in labels[1:] if x not in explained)]
    for label in ordered:
        table.add_row(label, *(values[persona].get(label, "0") for persona in columns))
    return table


def journeys_table(records: list[Record], day_ms: int) -> Table:
    table = Table(title="Peak-end journeys today (means of 5 people or more)", title_justify="left")
    for column in ("persona", "site", "people", "score", "worst moment", "end"):
        right = column in ("people", "score", "worst moment", "end")
        table.add_column(column, justify="right" if right else "left")
    for stats in journey_stats(records):
        if stats.day_ms == day_ms:
            table.add_row(
                stats.persona,
                stats.site,
                str(stats.users),
                coloured(stats.mean_score),
                coloured(stats.mean_worst_moment),
                coloured(stats.mean_end),
            )
    return table


def dashboard(
    records: Iterable[Record],
    config: XlaConfig,
    invitations: int,
    headline: str,
) -> RenderableType:
    """Everything the live view shows, for the latest day window."""
    records = list(records)
    day_ms = latest_day_ms(records)
    if day_ms is None:
        return Group(headline, "[dim]waiting for the first five people in a cell...[/]")
    return Group(
        headline,
        cells_table(records, day_ms),
        touch_points_table(records, config, day_ms),
        compliance_table(records, day_ms),
        service_desk_table(records),
        journeys_table(records, day_ms),
        f"Survey invitations triggered: {invitations}",
    )
