"""Boot and logon phases (``streams/scoring/phases.py``): what a sample carries, and the
``phase`` records of a cell (mean and share of duration, five people or nothing)."""

from __future__ import annotations

import pytest

from tests.unit.test_contract import ONE_OF_EACH
from xlapulse.collectors.contract.events import BootEvent, LogonEvent
from xlapulse.streams.scoring.cell_counts import add_observation
from xlapulse.streams.scoring.cells import Cell
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.observations import SampleObservation
from xlapulse.streams.scoring.phases import phase_records, sample_phases

DAY_MS = 1_795_392_000_000


def test_a_boot_and_a_logon_carry_the_phases_they_report() -> None:
    boot = next(e for e in ONE_OF_EACH if isinstance(e, BootEvent))
    logon = next(e for e in ONE_OF_EACH if isinstance(e, LogonEvent))
    assert sample_phases(logon) == (("group_policy", 9000),)
    scanned = boot.model_copy(update={"antivirus_scan_duration_ms": 38_000})
    assert sample_phases(scanned) == (("antivirus_scan", 38_000),)
    assert sample_phases(boot) == ()  # the share alone is no duration
    assert sample_phases(next(e for e in ONE_OF_EACH if e.event_type == "vpn_session")) == ()


def logon(n: int, total_ms: int, group_policy_ms: int | None) -> SampleObservation:
    phases = (("group_policy", group_policy_ms),) if group_policy_ms else ()
    return SampleObservation(
        event_id=f"l{n}",
        user_id=f"u{n}",
        persona="knowledge_worker",
        site="utrecht",
        event_time_ms=DAY_MS + n * 60_000,
        touch_point="logon",
        band=Band.GOOD,
        time_lost_ms=0,
        measured_ms=total_ms,
        phases=phases,
    )


def records_of(observations: list[SampleObservation]) -> dict:
    cell = Cell("knowledge_worker", "utrecht", 86_400, DAY_MS)
    for observation in observations:
        add_observation(cell, observation, 86_400_000)
    tags = {"persona": "knowledge_worker", "site": "utrecht", "window": "1d"}
    return {
        r.tags["phase"]: r.fields
        for r in phase_records(cell.phase_sums, cell.phase_users, tags, DAY_MS * 10**6)
    }


def test_a_phase_of_five_people_has_its_mean_and_its_share_of_the_timed_total() -> None:
    # five people whose group policy took 10 s of 40 s, one whose logon reports no phases
    found = records_of([logon(n, 40_000, 10_000) for n in range(5)] + [logon(9, 20_000, None)])
    share = pytest.approx(50 / 220, abs=1e-5)
    assert found == {"group_policy": {"mean_s": 10.0, "share_of_duration": share}}
    assert records_of([logon(n, 40_000, 10_000) for n in range(4)]) == {}, "four people"
