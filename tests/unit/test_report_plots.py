"""The report's plots answer an ops manager's question each and can be read (issue 13,
item 5): legends of readable size, an incident shaded only on the site it hit, labels
that do not collide, a time axis that names its time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import combinations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import Polygon, Rectangle

from xlapulse.streams.report import plots
from xlapulse.streams.report.summary import JourneyStats, ObjectiveResult, ServiceDesk
from xlapulse.streams.report.timeline import Span, label_rows, score_figure, scores_over_time

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
HOUR_MS = 3_600_000
SITES = ("amsterdam", "eindhoven", "rotterdam", "utrecht")
PERSONAS = ("call_centre_agent", "field_worker", "knowledge_worker")


def _ms(day: int, hour: float) -> int:
    return int((MONDAY + timedelta(days=day, hours=hour)).timestamp() * 1000)


def _hourly() -> dict[str, dict[str, list[tuple[int, float]]]]:
    """Three personas at four sites, working hours of two days."""
    return {
        persona: {
            site: [(_ms(day, hour), 80.0 + (hour % 3)) for day in (0, 1) for hour in range(7, 18)]
            for site in SITES
        }
        for persona in PERSONAS
    }


# Two incidents at Rotterdam an hour apart (their labels would collide), one at Utrecht,
# and three dips at Rotterdam in the same morning.
INCIDENTS = [
    Span("gpo-drive-mappings (logon)", frozenset({"rotterdam"}), _ms(0, 6), _ms(0, 16)),
    Span("print-rotterdam-down (print)", frozenset({"rotterdam"}), _ms(0, 7), _ms(0, 9)),
    Span("vpn-utrecht-down (vpn)", frozenset({"utrecht"}), _ms(1, 9), _ms(1, 10.5)),
]
DIPS = [
    Span("logon · knowledge worker", frozenset({"rotterdam"}), _ms(0, 7.5), _ms(0, 9)),
    Span("logon · call centre agent", frozenset({"rotterdam"}), _ms(0, 7.8), _ms(0, 8.5)),
    Span("print · knowledge worker", frozenset({"rotterdam"}), _ms(0, 8), _ms(0, 8.2)),
]


def _panels():
    figure = score_figure(_hourly(), INCIDENTS, DIPS)
    FigureCanvasAgg(figure)
    return figure, {axis.get_title(loc="left"): axis for axis in figure.axes if axis.get_visible()}


def test_an_incident_is_shaded_only_on_the_sites_it_hit() -> None:
    _, panels = _panels()
    assert sorted(panels) == list(SITES)
    shaded = {
        site: sum(isinstance(p, Polygon | Rectangle) for p in axis.patches)
        for site, axis in panels.items()
    }
    assert shaded == {"amsterdam": 0, "eindhoven": 0, "rotterdam": 2, "utrecht": 1}
    labels = {site: [t.get_text() for t in axis.texts] for site, axis in panels.items()}
    assert labels["amsterdam"] == [] and labels["eindhoven"] == []
    assert labels["utrecht"] == ["vpn-utrecht-down (vpn)"]


def test_no_two_labels_on_a_panel_overlap() -> None:
    figure, panels = _panels()
    renderer = figure.canvas.get_renderer()
    texts = panels["rotterdam"].texts
    assert len(texts) == 5
    for first, second in combinations(texts, 2):
        a, b = first.get_window_extent(renderer), second.get_window_extent(renderer)
        assert not a.overlaps(b), (first.get_text(), second.get_text())


def test_label_rows_separate_what_overlaps_and_reuse_free_rows() -> None:
    spans = [
        Span("a" * 10, frozenset(), 0, 5),
        Span("b" * 10, frozenset(), 3, 4),  # inside a's span and label: next row
        Span("c" * 10, frozenset(), 12, 20),  # after a's label: first row again
    ]
    assert label_rows(spans, label_ms_per_character=1.0) == [0, 1, 0]


def test_the_time_axis_names_its_time_zone_and_shows_local_time() -> None:
    figure, panels = _panels()
    labels = {axis.get_xlabel() for axis in figure.axes if axis.get_visible()} - {""}
    assert labels == {"time (Europe/Amsterdam, CET)"}
    (line, *_) = panels["rotterdam"].get_lines()
    first_time = line.get_xdata()[0]
    assert (first_time.hour, first_time.minute) == (8, 0)  # 07:00 UTC is 08:00 CET


def test_the_legend_is_readable_and_names_every_mark() -> None:
    figure, _ = _panels()
    (legend,) = figure.legends
    entries = [text.get_text() for text in legend.get_texts()]
    assert entries[:3] == ["call centre agent", "field worker", "knowledge worker"]
    assert any(entry.startswith("incident") for entry in entries)
    assert any(entry.startswith("dip detected") for entry in entries)
    assert min(text.get_fontsize() for text in legend.get_texts()) >= 9


def _font_sizes(svg: str) -> list[float]:
    return [float(size) for size in re.findall(r"font-size:\s*([\d.]+)px", svg)]


def test_no_text_in_any_plot_is_smaller_than_8_px() -> None:
    desk = ServiceDesk(tickets_opened=9, explained=7, explained_by={"vpn": 7}, without_signal=2)
    desk.silent_sufferers, desk.users_suffering = 4, 9
    desk.telemetry_time_lost_ms, desk.self_reported_lost_ms = 7_200_000, 3_600_000
    journey = JourneyStats("field_worker", "utrecht", _ms(0, 0), 8, 61.0, 20.0, 80.0, 3)
    objective = ObjectiveResult("field_worker", "vpn-failures", "vpn", 0.15, 10, 7)
    svgs = [
        scores_over_time(_hourly(), INCIDENTS, DIPS),
        plots.journeys([journey]),
        plots.compliance_heatmap([objective]),
        plots.ticket_correlation({"field_worker": desk}),
        plots.lost_time({"field_worker": desk}),
    ]
    for svg in svgs:
        sizes = _font_sizes(svg)
        assert sizes and min(sizes) >= 8, sorted(set(sizes))
