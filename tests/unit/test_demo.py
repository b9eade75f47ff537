"""The embedded demo runs the real scoring code and ends with a readable summary."""

from __future__ import annotations

import io

from rich.console import Console

from xlapulse.streams.demo import DemoSettings, run_demo


def test_demo_scores_every_persona_and_finds_the_incident() -> None:
    console = Console(file=io.StringIO(), width=120)
    summary = run_demo(DemoSettings(endpoints=300, days=3), console=console, live=False)
    for persona in ("knowledge_worker", "call_centre_agent", "field_worker", "developer"):
        assert persona in summary
    assert "dead-lettered: 0" in summary
    # The demo incident slows logons at rotterdam on the third day (Wednesday).
    assert "worst hour:" in summary and "rotterdam, Wed" in summary
