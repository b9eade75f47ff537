"""The embedded demo: the simulator's incidents show up in its summary, view and report."""

from __future__ import annotations

import io
import re
from datetime import UTC, date

import pyte
from click.testing import CliRunner
from rich.console import Console

from xlapulse.collectors.cli import main
from xlapulse.streams.demo import DemoSettings, run_demo

# The default scenario's two incidents, moved to the first day so one day is enough.
ONE_DAY_SCENARIO = """\
name: incidents-on-day-one
description: A GPO change slows Rotterdam's logons; Utrecht's VPN fails for field workers.
probe_interval_min: 120
incidents:
  - kind: gpo_slow_logons
    name: gpo-drive-mappings
    site: rotterdam
    start: {day: 0, at: "06:00"}
    duration_min: 600
    extra_logon_s: 70
  - kind: vpn_concentrator_failure
    name: vpn-utrecht-down
    site: utrecht
    personas: [field_worker]
    start: {day: 0, at: "10:00"}
    duration_min: 90
  - kind: ticket_wave
    name: vpn-utrecht-calls
    follows: vpn-utrecht-down
    delay_min: 30
    spread_min: 90
    affected_share: 0.6
    category: vpn
    channel: phone
    priority: 2
"""


def _console() -> Console:
    return Console(file=io.StringIO(), width=160)


def test_the_demo_finds_both_incidents_and_reports_them(tmp_path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(ONE_DAY_SCENARIO)
    settings = DemoSettings(
        endpoints=200,
        days=1,
        first_day=date(2026, 11, 24),
        scenario_path=scenario,
        report_path=tmp_path / "report.html",
    )
    console = _console()
    result = run_demo(settings, console=console, live=False)
    lines = result.summary.splitlines()
    vpn_line = next(line for line in lines if line.strip().startswith("vpn "))
    logon_line = next(line for line in lines if line.strip().startswith("logon "))
    assert "field_worker at utrecht" in vpn_line
    assert "at rotterdam" in logon_line
    assert "lowest VPN score over the run: field_worker at utrecht" in result.summary
    assert result.pipeline.outcomes["dead_letter"] == 0
    assert result.events == result.pipeline.outcomes["ok"] > 5_000
    # the outage's ticket wave is explained by the VPN, and people were invited to a survey
    shown = console.file.getvalue()
    assert "vpn" in shown and "Service desk" in shown and "Peak-end journeys" in shown
    assert len(result.pipeline.invitations) > 0
    page = result.report_path.read_text(encoding="utf-8")
    assert page.count("<svg") == 5
    assert "vpn-utrecht-down" in page and "gpo-drive-mappings" in page
    assert [(span.label, set(span.sites)) for span in result.incidents] == [
        ("gpo-drive-mappings (logon)", {"rotterdam"}),
        ("vpn-utrecht-down (vpn)", {"utrecht"}),
    ]


def test_the_live_view_redraws_per_half_day_with_its_progress() -> None:
    settings = DemoSettings(endpoints=20, days=1, report_path=None, seconds_per_half_day=0.0)
    console = Console(file=io.StringIO(), width=160, force_terminal=True, highlight=False)
    result = run_demo(settings, console=console, live=True)
    assert result.report_path is None
    frames = re.findall(
        r"simulated clock (\w+ \d+ \w+ \d+:\d+) CET .*? +(\d+)% +([\d,]+) events scored",
        console.file.getvalue(),
    )
    # the local Monday spans three UTC half days (from Sunday 23:00 UTC), then the end
    distinct = list(dict.fromkeys(frames))
    assert [clock.split()[0] for clock, _, _ in distinct] == ["Mon"] * 4
    assert [int(share) for _, share, _ in distinct][-1] == 100
    assert [int(share) for _, share, _ in distinct] == sorted(int(s) for _, s, _ in distinct)
    assert int(distinct[-1][2].replace(",", "")) == result.events


def _screen_after(console: Console) -> tuple[list[str], list[str]]:
    """(scrollback, screen) of a 40 x 120 terminal that received the console's output."""
    screen = pyte.HistoryScreen(120, 40, history=10_000)
    pyte.Stream(screen).feed(console.file.getvalue().replace("\n", "\r\n"))
    scrollback = ["".join(c.data for c in line.values()).rstrip() for line in screen.history.top]
    return scrollback, [line.rstrip() for line in screen.display]


def test_the_live_view_fits_40_by_120_and_leaves_no_copies_in_scrollback(tmp_path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(ONE_DAY_SCENARIO)
    settings = DemoSettings(
        endpoints=200,
        days=1,
        first_day=date(2026, 11, 24),
        scenario_path=scenario,
        report_path=None,
        seconds_per_half_day=0.0,
    )
    console = Console(
        file=io.StringIO(), width=120, height=40, force_terminal=True, color_system="standard"
    )
    run_demo(settings, console=console, live=True)
    scrollback, screen = _screen_after(console)
    everything = scrollback + screen
    title = "xlapulse demo: 200 simulated workplaces, 1 day from Tue 24 Nov"
    assert sum(title in line for line in everything) == 1, "a redraw left a copy"
    assert sum(line.startswith("Scores 0-100:") for line in everything) == 1
    # the final view, from its title to the summary, fits one screen
    start = next(i for i, line in enumerate(everything) if title in line)
    end = everything.index("Summary")
    assert end - start <= 40
    view = "\n".join(everything[start:end])
    assert "simulated clock Tue 24 Nov " in view  # the fleet's local time, with its zone
    assert "100%" in view and "events scored" in view
    for legend in ("85+ good", "70-84 fair", "under 70: issues", "fewer than 5 people: not shown"):
        assert legend in view
    assert "▲ dip open" in view and "✓ closed" in view
    assert "Peak-end journeys" in view and "Service desk" in view and "Journey dips" in view
    assert "field worker @ utrecht" in view  # the VPN outage's dip
    assert not re.search(r"\b[ud]_[0-9a-f]{8}", console.file.getvalue()), "no pseudonym shown"


def test_the_cli_writes_the_report_and_rejects_an_unknown_scenario(tmp_path) -> None:
    runner = CliRunner()
    report = tmp_path / "demo.html"
    ok = runner.invoke(
        main, ["demo", "--endpoints", "20", "--days", "1", "--no-live", "--report", str(report)]
    )
    assert ok.exit_code == 0, ok.output
    assert f"HTML report: {report}" in ok.output.replace("\n", "")
    assert report.read_text(encoding="utf-8").count("<svg") == 5
    bad = runner.invoke(main, ["demo", "--scenario", "no-such-scenario", "--no-live"])
    assert bad.exit_code == 2
    assert "neither a packaged scenario" in bad.output


def test_the_dips_panel_keeps_its_title_on_one_line_before_the_first_dip() -> None:
    from xlapulse.streams.report.terminal import dips_table

    console = Console(file=io.StringIO(), width=120)
    console.print(dips_table([], UTC))
    assert [line.rstrip() for line in console.file.getvalue().splitlines()[:2]] == [
        "Journey dips (5+ people each)",
        "none yet",
    ]
