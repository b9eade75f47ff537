"""The report's plots, each drawn with matplotlib and returned as an inline SVG string.

Reads the summaries of ``summary.py``; writes nothing. Figures are built with
``matplotlib.figure.Figure`` (no pyplot, no global state, no display) and saved
as SVG with text kept as text, a fixed hash salt and no date, so the same
input gives the same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import UTC, datetime

import matplotlib
from matplotlib.figure import Figure

from xlapulse.streams.report.summary import JourneyStats, ObjectiveResult, ServiceDesk
from xlapulse.streams.scoring.published import MIN_USERS_PER_AGGREGATE

SVG_STYLE = {"svg.fonttype": "none", "svg.hashsalt": "xlapulse", "font.size": 10}
GOOD_COLOUR, FAIR_COLOUR, POOR_COLOUR = "#2e7d32", "#f9a825", "#c62828"
SIGNAL_COLOURS = {
    "boot": "#5c6bc0",
    "logon": "#8e24aa",
    "vpn": "#d84315",
    "app": "#00897b",
    "call": "#3949ab",
    "print": "#6d4c41",
    "probe": "#546e7a",
    "service_desk": "#7cb342",
    "no signal": "#bdbdbd",
}


def to_svg(figure: Figure) -> str:
    """The figure as an ``<svg>`` element (no XML declaration, no DOCTYPE)."""
    buffer = io.StringIO()
    with matplotlib.rc_context(SVG_STYLE):  # type: ignore[arg-type]  # rc names are typed as one Literal
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


NO_DATA = "no data: no group of at least 5 people yet"


def empty_figure(title: str) -> str:
    """A small figure saying there is nothing to plot, so every section keeps its plot."""
    with matplotlib.rc_context(SVG_STYLE):  # type: ignore[arg-type]  # rc names are typed as one Literal
        figure = Figure(figsize=(11, 1.2))
        axis = figure.subplots()
        axis.set_axis_off()
        axis.set_title(title)
        axis.text(0.5, 0.3, NO_DATA, ha="center", color="#757575")
        return to_svg(figure)


def journeys(stats: Sequence[JourneyStats]) -> str:
    """Persona and site x day: the mean peak-end journey score, the day people remember."""
    title = (
        "How will people remember each day? Mean peak-end journey score per persona and "
        f"site ({MIN_USERS_PER_AGGREGATE}+ people each)"
    )
    if not stats:
        return empty_figure(title)
    groups = sorted({(s.persona, s.site) for s in stats})
    days = sorted({s.day_ms for s in stats})
    scores = [[math.nan] * len(days) for _ in groups]
    for s in stats:
        scores[groups.index((s.persona, s.site))][days.index(s.day_ms)] = s.mean_score
    with matplotlib.rc_context(SVG_STYLE):  # type: ignore[arg-type]  # rc names are typed as one Literal
        figure = Figure(figsize=(max(6.0, 1.1 * len(days) + 4.5), 0.32 * len(groups) + 1.8))
        axis = figure.subplots()
        image = axis.imshow(scores, cmap="RdYlGn", vmin=40, vmax=100, aspect="auto")
        axis.set_yticks(
            range(len(groups)),
            [f"{persona.replace('_', ' ')} @ {site}" for persona, site in groups],
        )
        day_labels = [datetime.fromtimestamp(ms / 1000, UTC).strftime("%a %d %b") for ms in days]
        axis.set_xticks(range(len(days)), day_labels)
        axis.xaxis.tick_top()
        for row, values in enumerate(scores):
            for column, value in enumerate(values):
                if not math.isnan(value):
                    axis.text(column, row, f"{value:.0f}", ha="center", va="center", fontsize=9)
        figure.colorbar(image, ax=axis, label="mean journey score (0-100)")
        axis.set_xlabel("day (UTC day windows); blank: fewer than 5 people that day")
        axis.set_title(title, fontsize=10)
        return to_svg(figure)


def compliance_heatmap(results: Sequence[ObjectiveResult]) -> str:
    """Persona x objective: share of windows that met the objective."""
    title = "Which XLA objectives do we miss, and for whom? Share of hourly windows met"
    if not results:
        return empty_figure(title)
    personas = sorted({r.persona for r in results})
    objectives = sorted({r.objective for r in results})
    share = [[math.nan] * len(objectives) for _ in personas]
    for result in results:
        share[personas.index(result.persona)][objectives.index(result.objective)] = result.met_ratio
    with matplotlib.rc_context(SVG_STYLE):  # type: ignore[arg-type]  # rc names are typed as one Literal
        figure = Figure(figsize=(max(6, 0.75 * len(objectives) + 3), 0.55 * len(personas) + 2.6))
        axis = figure.subplots()
        image = axis.imshow(share, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
        axis.set_xticks(range(len(objectives)), objectives, rotation=40, ha="right")
        axis.set_yticks(range(len(personas)), [p.replace("_", " ") for p in personas])
        for row, values in enumerate(share):
            for column, value in enumerate(values):
                if not math.isnan(value):
                    axis.text(column, row, f"{value:.0%}", ha="center", va="center", fontsize=8)
        figure.colorbar(image, ax=axis, label="share of hourly windows met")
        axis.set_title(title)
        return to_svg(figure)


TICKETS_TITLE = "Which problems drive tickets, and who suffers without calling?"


def ticket_correlation(per_persona: dict[str, ServiceDesk]) -> str:
    """Stacked bars per persona: tickets by the signal that explains them; silent sufferers."""
    if not per_persona:
        return empty_figure(TICKETS_TITLE)
    personas = list(per_persona)
    signals = sorted({point for desk in per_persona.values() for point in desk.explained_by})
    with matplotlib.rc_context(SVG_STYLE):  # type: ignore[arg-type]  # rc names are typed as one Literal
        figure = Figure(figsize=(11, 4.0))
        left, right = figure.subplots(1, 2)
        bottoms = [0] * len(personas)
        names = [p.replace("_", "\n") for p in personas]
        for signal in [*signals, "no signal"]:
            counts = [
                desk.without_signal if signal == "no signal" else desk.explained_by.get(signal, 0)
                for desk in per_persona.values()
            ]
            left.bar(names, counts, bottom=bottoms, label=signal, color=SIGNAL_COLOURS.get(signal))
            bottoms = [b + c for b, c in zip(bottoms, counts, strict=True)]
        left.set_title("Tickets opened, by the signal that explains them", fontsize=10)
        left.legend(fontsize=9, title="explained by", title_fontsize=9)
        right.bar(
            names,
            [desk.silent_sufferers for desk in per_persona.values()],
            color=POOR_COLOUR,
            label="suffering, no ticket",
        )
        right.bar(
            names,
            [desk.users_suffering - desk.silent_sufferers for desk in per_persona.values()],
            bottom=[desk.silent_sufferers for desk in per_persona.values()],
            color="#9e9e9e",
            label="suffering, filed a ticket",
        )
        right.set_title("People suffering per day: who filed no ticket", fontsize=10)
        right.legend(fontsize=9)
        for axis in (left, right):
            axis.tick_params(axis="x", labelsize=9)
        figure.suptitle(TICKETS_TITLE, fontsize=11)
        return to_svg(figure)


LOST_TIME_TITLE = "How much time did people lose? Measured by telemetry against what they said"


def lost_time(per_persona: dict[str, ServiceDesk]) -> str:
    """Hours lost per persona: measured by telemetry next to what people reported."""
    if not per_persona:
        return empty_figure(LOST_TIME_TITLE)
    personas = list(per_persona)
    positions = range(len(personas))
    with matplotlib.rc_context(SVG_STYLE):  # type: ignore[arg-type]  # rc names are typed as one Literal
        figure = Figure(figsize=(11, 3.2))
        axis = figure.subplots()
        axis.bar(
            [p - 0.2 for p in positions],
            [desk.telemetry_time_lost_ms / 3_600_000 for desk in per_persona.values()],
            width=0.4,
            color="#455a64",
            label="measured by telemetry",
        )
        axis.bar(
            [p + 0.2 for p in positions],
            [desk.self_reported_lost_ms / 3_600_000 for desk in per_persona.values()],
            width=0.4,
            color=FAIR_COLOUR,
            label="self-reported in surveys",
        )
        axis.set_xticks(list(positions), [p.replace("_", " ") for p in personas])
        axis.set_ylabel("hours")
        axis.legend(fontsize=9)
        axis.set_title(LOST_TIME_TITLE)
        return to_svg(figure)
