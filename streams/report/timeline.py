"""The report's time plot: where and when did the experience drop?

Reads the hourly overall scores per persona and site (``summary.hourly_overall``), the
scenario's incidents and the detected dips, each with the sites they concern; returns
an inline SVG string (``plots.to_svg``). One panel per site, one line per persona; an
incident is shaded only on the panels of the sites it hit, a dip is a bar on its site's
panel, and labels that would overlap are put on separate rows. Times are shown in the
fleet's time zone (Europe/Amsterdam), named on the axis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import matplotlib
from matplotlib.dates import DateFormatter, DayLocator, HourLocator
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from xlapulse.collectors.simulator.rhythm import LOCAL_TZ
from xlapulse.streams.report.plots import POOR_COLOUR, SVG_STYLE, empty_figure, to_svg
from xlapulse.streams.scoring.published import ISSUE_SCORE

HOUR_MS = 3_600_000
INCIDENT_COLOUR, DIP_COLOUR = "#ef9a9a", "#6a1b9a"
PERSONA_COLOURS = ("#1565c0", "#ef6c00", "#2e7d32", "#6d4c41", "#00838f", "#ad1457")
#: Characters of label text that fit across one panel (figure 11 in wide, two panels).
LABEL_CHARACTERS_PER_PANEL = 55
TITLE = (
    "Where and when did the experience drop? Hourly overall score (0-100) per site, "
    "one line per persona"
)


@dataclass(frozen=True)
class Span:
    """An incident or a dip: a label, the sites it concerns, and when (epoch ms)."""

    label: str
    sites: frozenset[str]
    start_ms: int
    end_ms: int


def local_time(ms: int) -> datetime:
    """Epoch ms as a naive Europe/Amsterdam time (what the axis shows)."""
    return datetime.fromtimestamp(ms / 1000, LOCAL_TZ).replace(tzinfo=None)


def zone_names(points_ms: Sequence[int]) -> str:
    """The zone and its abbreviations over the plotted times, e.g. 'Europe/Amsterdam, CET'."""
    abbreviations = dict.fromkeys(
        datetime.fromtimestamp(ms / 1000, LOCAL_TZ).tzname() or "" for ms in points_ms
    )
    return ", ".join(["Europe/Amsterdam", *filter(None, abbreviations)])


def _local_midnight(ms: int) -> int:
    """The start of the Europe/Amsterdam day of an instant (epoch ms)."""
    moment = datetime.fromtimestamp(ms / 1000, LOCAL_TZ)
    return int(moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)


def with_gaps(points: Sequence[tuple[int, float]]) -> tuple[list[datetime], list[float]]:
    """Times and scores with a NaN between hours that are not adjacent, so nights show as gaps."""
    times: list[datetime] = []
    scores: list[float] = []
    previous_ms = None
    for ms, score in points:
        if previous_ms is not None and ms - previous_ms > HOUR_MS:
            times.append(local_time(previous_ms + HOUR_MS))
            scores.append(math.nan)
        times.append(local_time(ms))
        scores.append(score)
        previous_ms = ms
    return times, scores


def label_rows(spans: Sequence[Span], label_ms_per_character: float) -> list[int]:
    """A row per span such that no two labels (or spans) on one row overlap: each span
    takes from its start to the later of its end and the end of its label."""
    row_ends: list[int] = []
    rows = []
    for span in spans:
        reach = max(span.end_ms, span.start_ms + int(len(span.label) * label_ms_per_character))
        row = next((i for i, end in enumerate(row_ends) if end <= span.start_ms), len(row_ends))
        if row == len(row_ends):
            row_ends.append(reach)
        else:
            row_ends[row] = reach
        rows.append(row)
    return rows


def _draw_incidents(axis, incidents: list[Span], ms_per_character: float) -> None:
    for span, row in zip(incidents, label_rows(incidents, ms_per_character), strict=True):
        axis.axvspan(
            local_time(span.start_ms),
            local_time(span.end_ms),
            color=INCIDENT_COLOUR,
            alpha=0.45,
            zorder=0,
        )
        axis.annotate(
            span.label,
            (local_time(span.start_ms), 108 - 7 * row),
            fontsize=8,
            color=POOR_COLOUR,
            annotation_clip=False,
        )


def _draw_dips(axis, dips: list[Span], ms_per_character: float) -> None:
    for span, row in zip(dips, label_rows(dips, ms_per_character), strict=True):
        height = 6 + 9 * row
        axis.hlines(
            height, local_time(span.start_ms), local_time(span.end_ms), DIP_COLOUR, linewidth=3
        )
        axis.annotate(
            span.label, (local_time(span.start_ms), height + 2), fontsize=8, color=DIP_COLOUR
        )


def scores_over_time(
    hourly: dict[str, dict[str, list[tuple[int, float]]]],
    incidents: Sequence[Span] = (),
    dips: Sequence[Span] = (),
) -> str:
    """The plot as SVG; a 'no data' figure before any group was published."""
    if not any(hourly.values()):
        return empty_figure(TITLE)
    with matplotlib.rc_context(SVG_STYLE):  # type: ignore[arg-type]  # rc names are typed as one Literal
        return to_svg(score_figure(hourly, incidents, dips))


def score_figure(
    hourly: dict[str, dict[str, list[tuple[int, float]]]],
    incidents: Sequence[Span] = (),
    dips: Sequence[Span] = (),
) -> Figure:
    """One panel per site, a line per persona (``hourly``: persona -> site -> points)."""
    sites = sorted({site for per_site in hourly.values() for site in per_site})
    personas = sorted(hourly)
    colours = dict(zip(personas, PERSONA_COLOURS * 2, strict=False))
    all_ms = [
        ms for per_site in hourly.values() for points in per_site.values() for ms, _ in points
    ]
    first_ms, last_ms = _local_midnight(min(all_ms)), max(all_ms) + HOUR_MS
    ms_per_character = (last_ms - first_ms) / LABEL_CHARACTERS_PER_PANEL
    rows = math.ceil(len(sites) / 2)
    with matplotlib.rc_context(SVG_STYLE):  # type: ignore[arg-type]  # rc names are typed as one Literal
        figure = Figure(figsize=(11, 3.0 * rows + 1.4))
        axes = list(figure.subplots(rows, 2, sharex=True, sharey=True, squeeze=False).flat)
        for axis in axes[len(sites) :]:
            axis.set_visible(False)
        for axis, site in zip(axes, sites, strict=False):
            for persona in personas:
                if site in hourly[persona]:
                    axis.plot(
                        *with_gaps(hourly[persona][site]),
                        linewidth=1.2,
                        color=colours[persona],
                    )
            _draw_incidents(axis, [s for s in incidents if site in s.sites], ms_per_character)
            _draw_dips(axis, [s for s in dips if site in s.sites], ms_per_character)
            axis.axhline(ISSUE_SCORE, color=POOR_COLOUR, linewidth=0.8, linestyle="--")
            axis.set_title(site, loc="left", fontsize=11, fontweight="bold")
            axis.set_ylim(0, 115)
            axis.set_xlim(local_time(first_ms), local_time(last_ms))
            axis.xaxis.set_major_locator(DayLocator())
            axis.xaxis.set_major_formatter(DateFormatter("%a %d %b"))
            axis.xaxis.set_minor_locator(HourLocator(byhour=(6, 12, 18)))
            axis.grid(axis="x", which="major", color="#e0e0e0")
        for axis in axes[-2:]:
            axis.set_xlabel(f"time ({zone_names([first_ms, last_ms])})")
        figure.legend(
            handles=_legend_handles(personas, colours),
            loc="lower center",
            ncols=4,
            fontsize=9,
            frameon=False,
        )
        figure.suptitle(TITLE, fontsize=11)
        figure.tight_layout(rect=(0, 0.1, 1, 1))
        return figure


def _legend_handles(personas: list[str], colours: dict[str, str]) -> list:
    handles: list = [
        Line2D([], [], color=colours[p], linewidth=2, label=p.replace("_", " ")) for p in personas
    ]
    return [
        *handles,
        Patch(color=INCIDENT_COLOUR, label="incident (scenario), on the sites it hit"),
        Line2D([], [], color=DIP_COLOUR, linewidth=3, label="dip detected: touch point, persona"),
        Line2D(
            [],
            [],
            color=POOR_COLOUR,
            linewidth=0.8,
            linestyle="--",
            label=f"{ISSUE_SCORE:g}: issues",
        ),
    ]
