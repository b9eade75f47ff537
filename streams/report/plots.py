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
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

from xlapulse.streams.report.summary import JourneyStats, ObjectiveResult, ServiceDesk

_SVG_STYLE = {"svg.fonttype": "none", "svg.hashsalt": "xlapulse", "font.size": 9}
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
    with matplotlib.rc_context(_SVG_STYLE):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


HOUR_MS = 3_600_000


NO_DATA = "no data: no group of at least 5 people yet"


def _empty(title: str) -> str:
    """A small figure saying there is nothing to plot, so every section keeps its plot."""
    with matplotlib.rc_context(_SVG_STYLE):
        figure = Figure(figsize=(11, 1.2))
        axis = figure.subplots()
        axis.set_axis_off()
        axis.set_title(title)
        axis.text(0.5, 0.3, NO_DATA, ha="center", color="#757575")
        return to_svg(figure)


def _time_label(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC).replace(tzinfo=None)


def _with_gaps(points: Sequence[tuple[int, float]]) -> tuple[list[datetime], list[float]]:
    """Times and scores with a NaN between hours that are not adjacent, so nights show as gaps."""
    times: list[datetime] = []
    scores: list[float] = []
    previous_ms = None
    for ms, score in points:
        if previous_ms is not None and ms - previous_ms > HOUR_MS:
            times.append(_time_label(previous_ms + HOUR_MS))
            scores.append(math.nan)
        times.append(_time_label(ms))
        scores.append(score)
        previous_ms = ms
    return times, scores


def scores_over_time(
    hourly: dict[str, dict[str, list[tuple[int, float]]]],
    incidents: Sequence[tuple[str, int, int]] = (),
    dips: Sequence[tuple[str, str, int, int]] = (),
) -> str:
    """One panel per persona, a line per site: hourly overall scores; incidents shaded;
    ``dips`` (persona, label, opened ms, closed ms) marked on their persona's panel."""
    title = (
        "Overall experience score per hour (0-100) per persona and site; "
        "incidents shaded, detected dips marked, 70 = issues line"
    )
    if not hourly:
        return _empty(title)
    personas = list(hourly)
    columns = 2
    rows = max(1, math.ceil(len(personas) / columns))
    with matplotlib.rc_context(_SVG_STYLE):
        figure = Figure(figsize=(11, 2.6 * rows))
        axes = list(figure.subplots(rows, columns, sharex=True, sharey=True, squeeze=False).flat)
        for axis in axes[len(personas) :]:
            axis.set_visible(False)
        for axis, persona in zip(axes, personas, strict=False):
            for site, points in sorted(hourly[persona].items()):
                axis.plot(
                    *_with_gaps(points),
                    marker=".",
                    markersize=3,
                    linewidth=1,
                    label=site,
                )
            for name, start_ms, end_ms in incidents:
                axis.axvspan(_time_label(start_ms), _time_label(end_ms), color="#ffcdd2", alpha=0.6)
                axis.annotate(name, (_time_label(start_ms), 104), fontsize=7, color=POOR_COLOUR)
            marked = [dip for dip in dips if dip[0] == persona]
            for index, (_, label, opened_ms, closed_ms) in enumerate(marked):
                height = 8 + (index % 4) * 6
                axis.hlines(
                    height,
                    _time_label(opened_ms),
                    _time_label(closed_ms),
                    color="#6a1b9a",
                    linewidth=3,
                )
                axis.annotate(
                    label, (_time_label(opened_ms), height + 1.5), fontsize=6, color="#6a1b9a"
                )
            axis.axhline(70, color=POOR_COLOUR, linewidth=0.6, linestyle="--")
            axis.set_title(persona.replace("_", " "), loc="left")
            axis.set_ylim(0, 112)
            axis.xaxis.set_major_formatter(DateFormatter("%a %H:%M"))
            axis.legend(fontsize=7, loc="lower left", ncols=4, framealpha=0.9)
        figure.suptitle(title)
        figure.autofmt_xdate()
        return to_svg(figure)


def journeys(stats: Sequence[JourneyStats]) -> str:
    """Bars per persona and site of the latest day: mean journey score, worst moment, end."""
    title = "Day journeys as they will be remembered (peak-end), means per persona and site"
    if not stats:
        return _empty(title)
    latest = max(s.day_ms for s in stats)
    shown = [s for s in stats if s.day_ms == latest]
    with matplotlib.rc_context(_SVG_STYLE):
        figure = Figure(figsize=(11, 0.45 * max(len(shown), 2) + 1.2))
        axis = figure.subplots()
        labels = [f"{s.persona.replace('_', ' ')} @ {s.site} ({s.users} people)" for s in shown]
        parts = (
            ("journey score", "mean_score", "#37474f"),
            ("worst moment", "mean_worst_moment", POOR_COLOUR),
            ("end", "mean_end", FAIR_COLOUR),
        )
        height = 0.25
        for offset, (label, attribute, colour) in enumerate(parts):
            bars = axis.barh(
                [index + offset * height for index in range(len(shown))],
                [getattr(s, attribute) for s in shown],
                height=height,
                color=colour,
                label=label,
            )
            axis.bar_label(bars, fmt="%.0f", fontsize=6, padding=2)
        axis.set_yticks([index + height for index in range(len(shown))], labels)
        axis.invert_yaxis()
        axis.set_xlim(0, 108)
        axis.set_xlabel(f"mean score (0-100), {_time_label(latest):%a %d %b}")
        axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=3, fontsize=8)
        axis.set_title(title)
        return to_svg(figure)


def compliance_heatmap(results: Sequence[ObjectiveResult]) -> str:
    """Persona x objective: share of windows that met the objective."""
    title = "XLA compliance: share of windows that met each objective"
    if not results:
        return _empty(title)
    personas = sorted({r.persona for r in results})
    objectives = sorted({r.objective for r in results})
    share = [[math.nan] * len(objectives) for _ in personas]
    for result in results:
        share[personas.index(result.persona)][objectives.index(result.objective)] = result.met_ratio
    with matplotlib.rc_context(_SVG_STYLE):
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


def ticket_correlation(per_persona: dict[str, ServiceDesk]) -> str:
    """Stacked bars per persona: tickets by the signal that explains them; silent sufferers."""
    if not per_persona:
        return _empty("Tickets opened, by the signal that explains them")
    personas = list(per_persona)
    signals = sorted({point for desk in per_persona.values() for point in desk.explained_by})
    with matplotlib.rc_context(_SVG_STYLE):
        figure = Figure(figsize=(11, 3.6))
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
        left.set_title("Tickets opened, by the signal that explains them")
        left.legend(fontsize=7)
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
        right.set_title("Suffering people per day window: silent sufferers")
        right.legend(fontsize=7)
        for axis in (left, right):
            axis.tick_params(axis="x", labelsize=8)
        return to_svg(figure)


def lost_time(per_persona: dict[str, ServiceDesk]) -> str:
    """Hours lost per persona: measured by telemetry next to what people reported."""
    if not per_persona:
        return _empty("Time lost: telemetry against what people said")
    personas = list(per_persona)
    positions = range(len(personas))
    with matplotlib.rc_context(_SVG_STYLE):
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
        axis.legend(fontsize=8)
        axis.set_title("Time lost: telemetry against what people said")
        return to_svg(figure)
