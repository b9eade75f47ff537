"""``xlapulse backtest`` replays history under two formulas and XLA files and compares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.unit.engine_events import assignment_event
from xlapulse.collectors.cli import main
from xlapulse.collectors.cli_evaluation import backtest as backtest_command
from xlapulse.collectors.contract.codec import encode_event
from xlapulse.collectors.contract.events import LogonEvent
from xlapulse.streams.backtest import (
    WINDOWS,
    compare,
    compare_desk,
    history_from_file,
    replay,
)
from xlapulse.streams.scoring.formula_versions import (
    CURRENT_FORMULA,
    FORMULA_2_2,
    FORMULA_3_0,
    FORMULAS,
)
from xlapulse.streams.scoring.xla import DEFAULT_XLA_PATH, default_xla_config, load_xla_file

DAY = datetime(2026, 11, 23, 8, tzinfo=UTC)
USERS = [f"u_{n:032x}" for n in range(6)]


def write_history(path: Path) -> None:
    events = [
        assignment_event(user, DAY, "call_centre_agent", "utrecht", "support") for user in USERS
    ]
    events += [
        LogonEvent(
            event_time=DAY + timedelta(minutes=5 + n),
            user_id=user,
            device_id="d_" + user[2:],
            logon_duration_ms=25_000,
        )
        for n, user in enumerate(USERS)
    ]
    lines = [encode_event(event) for event in reversed(events)]  # order must not matter
    lines.insert(3, b"{not json")
    path.write_bytes(b"\n".join(lines) + b"\n")


def looser_call_centre_logons(path: Path) -> Path:
    """The default XLA file with call-centre agents given a 30 s logon target, not 20 s."""
    text = DEFAULT_XLA_PATH.read_text()
    persona_at = text.index("  call_centre_agent:\n")
    thresholds_at = text.index("    thresholds:\n", persona_at) + len("    thresholds:\n")
    path.write_text(text[:thresholds_at] + "      logon_target_ms: 30000\n" + text[thresholds_at:])
    return path


def test_history_is_sorted_and_bad_lines_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    write_history(path)
    history = history_from_file(path)
    assert len(history.events) == 12
    assert history.events[0].event_type == "directory_assignment"
    assert history.rejected and history.rejected[0].startswith(f"{path}:4: ")


def test_a_looser_threshold_raises_the_logon_score(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    write_history(path)
    history = history_from_file(path)
    baseline = default_xla_config()
    assert baseline.persona("call_centre_agent").thresholds.logon_target_ms == 20_000
    changed = load_xla_file(looser_call_centre_logons(tmp_path / "changed.yaml"))
    scores, _ = compare(replay(history, baseline), replay(history, changed), "1d")
    logon = next(r for r in scores if r.touch_point == "logon")
    # 25 s against T = 20 s: tolerating, graded 100 x (80 - 25) / 60 (formula 3.0)
    assert (logon.baseline, logon.changed) == (pytest.approx(91.667, abs=1e-3), 100.0)


def test_the_old_formula_beside_the_new_one_on_the_same_xla_file(tmp_path: Path) -> None:
    """Six 25 s logons against T = 20 s: 2.2 scores each 50 (tolerating), 3.0 by its
    time lost; 2.2 counts nobody as suffering, 3.0 nobody either (5 s lost each)."""
    path = tmp_path / "events.ndjson"
    write_history(path)
    history = history_from_file(path)
    old = replay(history, default_xla_config(), FORMULA_2_2)
    new = replay(history, default_xla_config(), FORMULA_3_0)
    scores, _ = compare(old, new, "1d")
    logon = next(r for r in scores if r.touch_point == "logon")
    assert (logon.baseline, logon.changed) == (50.0, pytest.approx(91.667, abs=1e-3))
    assert {r.tags["formula_version"] for r in old.latest("experience_score")} == {"2.2"}
    desk = {row.figure: row for row in compare_desk(old, new, "1d")}
    assert (desk["silent_sufferers"].baseline, desk["silent_sufferers"].changed) == (0, 0)


def test_the_command_prints_formulas_versions_scores_and_rejections(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    write_history(path)
    result = CliRunner().invoke(main, ["backtest", "--events", str(path)])
    assert result.exit_code == 0, result.output
    assert "12 events, 1 rejected records" in result.output
    assert "baseline formula 2.2, XLA" in result.output
    assert f"changed  formula {CURRENT_FORMULA.version}, XLA" in result.output
    assert "call_centre_agent    logon" in result.output
    assert "call_centre_agent    silent_sufferers" in result.output
    assert f"{path}:4: " in result.output
    same = CliRunner().invoke(
        main,
        ["backtest", "--events", str(path), "--xla", str(DEFAULT_XLA_PATH), "--baseline-formula",
         CURRENT_FORMULA.version],
    )  # fmt: skip
    assert f"baseline formula {CURRENT_FORMULA.version}" in same.output
    windows = CliRunner().invoke(
        main, ["backtest", "--events", str(path), "--window", "1h", "--window", "1d"]
    )
    assert "=== window 1h" in windows.output and "=== window 1d" in windows.output
    assert "compliance points: baseline " in windows.output


def test_the_command_offers_every_formula_version() -> None:
    option = next(p for p in backtest_command.params if p.name == "baseline_formula")
    assert set(option.type.choices) == set(FORMULAS)


def test_an_invalid_xla_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    write_history(path)
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\npersonas:\n  developer:\n    weights: {vpn: -1}\n")
    result = CliRunner().invoke(main, ["backtest", "--events", str(path), "--xla", str(broken)])
    assert result.exit_code != 0
    assert f"{broken}:" in result.output


def test_a_window_with_nothing_published_says_so_and_fails(tmp_path: Path) -> None:
    path = tmp_path / "small.ndjson"
    made = CliRunner().invoke(
        main, ["simulate", "--endpoints", "20", "--first-day", "2026-11-24", "--output", str(path)]
    )
    assert made.exit_code == 0, made.output
    result = CliRunner().invoke(
        main, ["backtest", "--events", str(path), "--window", "1d", "--window", "1h"]
    )
    assert result.exit_code == 65
    assert result.output.count("nothing published: no persona x site group had 5 or more") == 2
    assert "xlapulse backtest: nothing to compare in window 1d, 1h" in result.output
    assert "persona              touch point" not in result.output  # no empty tables


def test_an_unknown_window_size_is_refused() -> None:
    option = next(p for p in backtest_command.params if p.name == "windows")
    assert tuple(option.type.choices) == WINDOWS
    result = CliRunner().invoke(main, ["backtest", "--window", "2h"])
    assert result.exit_code == 2
    assert "'2h' is not one of '5m', '1h', '1d'" in result.output
