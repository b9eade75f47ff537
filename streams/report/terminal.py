"""The demo's live terminal view: one screen that fits a 40 x 120 terminal.

Reads the published records (through ``summary.py``) and the dips the run published;
writes nothing: the caller hands the renderable to ``rich.live.Live`` or prints it.
Everything shown is a published figure (5 people or more); nothing is per person.

Layout, top to bottom (about 32 rows for the simulator's 5 personas): the header with
the run's progress, a legend for colours and symbols, overall score and peak-end
journey score per persona and site side by side, touch points per persona with the XLA
objectives met and missed, then the service desk beside the journey dips.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, tzinfo

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table

from xlapulse.collectors.contract.outputs import DipEvent
from xlapulse.streams.report.summary import (
    OVERALL,
    all_personas,
    cell_scores,
    compliance,
    journey_stats,
    latest_day_ms,
    service_desk,
    touch_point_scores,
)
from xlapulse.streams.scoring.personas import SERVICE_DESK, TOUCH_POINTS
from xlapulse.streams.scoring.published import ISSUE_SCORE, MIN_USERS_PER_AGGREGATE, Record
from xlapulse.streams.scoring.xla import XlaConfig

GOOD_SCORE = 85
NOT_PUBLISHED = "·"
OPEN_DIP, CLOSED_DIP = "▲", "✓"
#: Most dips listed at once: the open ones first, then the latest closed.
DIP_ROWS = 5
LEGEND = (
    f"Scores 0-100: [green]■ {GOOD_SCORE}+ good[/]  [yellow]■ {ISSUE_SCORE:g}-{GOOD_SCORE - 1} "
    f"fair[/]  [red]■ under {ISSUE_SCORE:g}: issues[/]   [dim]{NOT_PUBLISHED}[/] fewer than "
    f"{MIN_USERS_PER_AGGREGATE} people: not shown   [red]{OPEN_DIP}[/] dip open  "
    f"[green]{CLOSED_DIP}[/] closed"
)


def day_label(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%a %d %b")


def coloured(score: float | None) -> str:
    if score is None:
        return f"[dim]{NOT_PUBLISHED}[/]"
    style = "green" if score >= GOOD_SCORE else "yellow" if score >= ISSUE_SCORE else "red"
    return f"[{style}]{score:3.0f}[/]"


def _table(title: str, first_column: str, **options: object) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 0, 0, 1),
        **options,  # type: ignore[arg-type]
    )
    table.add_column(first_column, no_wrap=True)
    return table


def _persona(name: str) -> str:
    return name.replace("_", " ")


def persona_site_grid(title: str, scores: dict[tuple[str, str], float]) -> Table:
    """Rows personas, columns sites, a coloured score or 'not published' in each cell."""
    table = _table(title, "persona")
    sites = sorted({site for _, site in scores})
    for site in sites:
        table.add_column(site, justify="right", no_wrap=True)
    for persona in sorted({persona for persona, _ in scores}):
        table.add_row(_persona(persona), *(coloured(scores.get((persona, s))) for s in sites))
    return table


def overall_grid(records: list[Record], day_ms: int) -> Table:
    scores = {(row.persona, row.site): row.overall for row in cell_scores(records, day_ms)}
    return persona_site_grid(f"Overall score, {day_label(day_ms)}", scores)


def journey_grid(records: list[Record], day_ms: int) -> Table:
    scores = {
        (stats.persona, stats.site): stats.mean_score
        for stats in journey_stats(records)
        if stats.day_ms == day_ms
    }
    return persona_site_grid("Peak-end journeys: mean day score", scores)


def touch_points_table(records: list[Record], config: XlaConfig, day_ms: int) -> Table:
    """Per persona (all sites): every touch point, overall, and today's XLA objectives."""
    scores = touch_point_scores(records, config, day_ms)
    objectives: dict[str, list] = {}
    for result in compliance(records, day_ms=day_ms):
        objectives.setdefault(result.persona, []).append(result)
    table = _table(f"Touch points per persona, all sites, {day_label(day_ms)}", "persona")
    for point in (*TOUCH_POINTS, OVERALL):
        table.add_column("desk" if point == SERVICE_DESK else point, justify="right")
    table.add_column("XLA met", justify="right", no_wrap=True)
    table.add_column("missed objectives (site)", no_wrap=True, overflow="ellipsis", max_width=34)
    for persona in sorted({persona for persona, _ in scores}):
        results = objectives.get(persona, [])
        score_cells = [
            coloured(score.score if (score := scores.get((persona, p))) else None)
            for p in (*TOUCH_POINTS, OVERALL)
        ]
        missed = [f"{r.objective} ({', '.join(r.missed_at)})" for r in results if r.missed_at]
        met = sum(r.met for r in results)
        windows = sum(r.windows for r in results)
        table.add_row(
            _persona(persona),
            *score_cells,
            f"{met}/{windows}" if windows else NOT_PUBLISHED,
            f"[red]{'; '.join(missed)}[/]" if missed else "-",
        )
    return table


def service_desk_table(records: list[Record], invitations: int) -> Table:
    """The whole run, all personas: tickets and what explains them, lost time, handling."""
    desk = all_personas(service_desk(records))
    explained = ", ".join(
        f"{point} {count}"
        for point, count in sorted(desk.explained_by.items(), key=lambda item: -item[1])
    )
    sla = "-" if desk.sla_met_ratio is None else f"{desk.sla_met_ratio:.0%}"
    table = _table("Service desk, whole run", "", show_header=False)
    table.columns[0].overflow = "ellipsis"
    table.columns[0].max_width = 36
    table.add_column("", justify="right", no_wrap=True)
    for label, value in (
        ("tickets opened", str(desk.tickets_opened)),
        (f"  explained: {explained or 'none yet'}", str(desk.explained)),
        ("  without a signal", str(desk.without_signal)),
        ("silent sufferers, person-days", str(desk.silent_sufferers)),
        ("resolved without contact / reopened", f"{desk.no_contact} / {desk.reopened}"),
        ("SLA met", sla),
        (
            "hours lost: telemetry / surveys",
            f"{desk.telemetry_time_lost_ms / 3_600_000:.1f} / "
            f"{desk.self_reported_lost_ms / 3_600_000:.1f}",
        ),
        ("watermelon days (SLA ok, UX red)", str(len(desk.watermelons))),
        ("survey invitations", str(invitations)),
    ):
        table.add_row(label, value)
    return table


def dip_rows(dips: Sequence[DipEvent]) -> list[tuple[bool, DipEvent]]:
    """(still open, opening event) per dip: open ones first (newest first), then the latest
    closed, at most ``DIP_ROWS``."""
    opened = {dip.dip_id: dip for dip in dips if dip.state == "opened"}
    closed = {dip.dip_id for dip in dips if dip.state == "closed"}
    newest = sorted(opened.values(), key=lambda dip: dip.event_time, reverse=True)
    rows = [(True, dip) for dip in newest if dip.dip_id not in closed]
    rows += [(False, dip) for dip in newest if dip.dip_id in closed]
    return rows[:DIP_ROWS]


def dips_table(dips: Sequence[DipEvent], zone: tzinfo) -> Table:
    """Two lines per dip: when, where and how many people; then its likely cause."""
    table = _table(f"Journey dips ({MIN_USERS_PER_AGGREGATE}+ people each)", "", show_header=False)
    table.columns[0].overflow = "ellipsis"
    table.columns[0].min_width = 40  # the title stays on one line while there is no dip
    table.columns[0].max_width = 66
    rows = dip_rows(dips)
    if not rows:
        table.add_row("[dim]none yet[/]")
    for is_open, dip in rows:
        symbol = f"[red]{OPEN_DIP}[/]" if is_open else f"[green]{CLOSED_DIP}[/]"
        opened = dip.event_time.astimezone(zone)
        table.add_row(
            f"{symbol} {opened:%a %H:%M %Z} {dip.touch_point}: {_persona(dip.persona)} @ "
            f"{dip.site}, {dip.affected_people} people"
        )
        table.add_row(f"  [dim]{dip.likely_cause or 'cause unknown'}[/]")
    return table


def _side_by_side(left: RenderableType, right: RenderableType) -> Table:
    row = Table.grid(padding=(0, 2))
    row.add_column()
    row.add_column()
    row.add_row(left, right)
    return row


def dashboard(
    records: Iterable[Record],
    config: XlaConfig,
    dips: Sequence[DipEvent],
    invitations: int,
    header: RenderableType,
    zone: tzinfo = UTC,
) -> RenderableType:
    """Everything the live view shows, for the latest day window; dips in ``zone``."""
    records = list(records)
    day_ms = latest_day_ms(records)
    if day_ms is None:
        waiting = f"[dim]waiting for the first group of {MIN_USERS_PER_AGGREGATE} people...[/]"
        return Group(header, LEGEND, waiting)
    return Group(
        header,
        LEGEND,
        _side_by_side(overall_grid(records, day_ms), journey_grid(records, day_ms)),
        touch_points_table(records, config, day_ms),
        _side_by_side(service_desk_table(records, invitations), dips_table(dips, zone)),
    )
