"""The per-component breakdowns (``streams/scoring/component_record.py``): VPN per
gateway, apps per version, printing per printer and print server, with small components
pooled so that no difference of published figures describes fewer than five people."""

from __future__ import annotations

from xlapulse.streams.scoring.cell_counts import add_observation
from xlapulse.streams.scoring.cells import Cell
from xlapulse.streams.scoring.component_record import (
    component_groups,
    component_records,
    retractions,
)
from xlapulse.streams.scoring.details import print_server
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.observations import SampleObservation

DAY_MS = 1_795_392_000_000


def people(*names: int) -> set[str]:
    return {f"u{n}" for n in names}


def test_components_of_five_people_stand_alone_and_small_ones_pool_into_other() -> None:
    groups = component_groups(
        {"gw-a": people(*range(8)), "gw-b": people(1, 2, 3), "gw-c": people(4, 5, 6, 7, 8)}
    )
    # gw-b alone is 3 people: "other" needs 5, so the smallest published one (gw-c) joins
    assert groups == {"gw-a": ["gw-a"], "other": ["gw-b", "gw-c"]}
    three_small = {
        "p1": people(1, 2),
        "p2": people(3, 4),
        "p3": people(5),
        "big": people(*range(9)),
    }
    assert component_groups(three_small) == {"big": ["big"], "other": ["p3", "p1", "p2"]}
    assert component_groups({"a": people(*range(5)), "b": people(9)}) == {}, "nothing left"
    assert component_groups({"a": people(*range(5)), "b": people(*range(5, 10))}) == {
        "a": ["a"],
        "b": ["b"],
    }


def sample(n: int, touch_point: str, component: str | None, band: Band, cause: str | None = None):
    return SampleObservation(
        event_id=f"e{n}-{touch_point}-{component}",
        user_id=f"u{n % 7}",
        persona="knowledge_worker",
        site="utrecht",
        event_time_ms=DAY_MS + n * 1000,
        touch_point=touch_point,
        band=band,
        time_lost_ms=2_000 if band is not Band.GOOD else 0,
        cause=cause,
        component=component,
    )


def test_a_cell_publishes_print_failure_ratios_per_printer_and_app_counts_per_version() -> None:
    cell = Cell("knowledge_worker", "utrecht", 86_400, DAY_MS)
    observations = [sample(n, "print", "prn-1", Band.GOOD) for n in range(14)]
    observations += [sample(100 + n, "print", "prn-2", Band.FRUSTRATING) for n in range(7)]
    observations += [
        sample(200 + n, "app", "ide 17.14", Band.FRUSTRATING, "app_hang") for n in range(7)
    ]
    observations += [sample(300 + n, "app", None, Band.TOLERATING) for n in range(7)]
    for observation in observations:
        add_observation(cell, observation, 86_400_000)
    tags = {"persona": "knowledge_worker", "site": "utrecht", "window": "1d"}
    by_component = {
        (r.tags["touch_point"], r.tags["component"]): r.fields
        for r in component_records(cell, {**tags, "formula_version": "3.0"}, DAY_MS * 10**6)
    }
    assert by_component[("print", "prn-1")]["failure_ratio"] == 0.0
    assert by_component[("print", "prn-2")] == {
        "samples": 7, "tolerating": 0, "frustrating": 7, "failures": 7, "time_lost_s": 14.0,
        "users": 7, "failure_ratio": 1.0,
    }  # fmt: skip
    assert by_component[("app", "ide 17.14")]["failures"] == 7
    assert "failure_ratio" not in by_component[("app", "ide 17.14")], "apps have no denominator"
    assert by_component[("app", "unknown")]["tolerating"] == 7
    assert by_component[("print", "other")] == {
        "samples": 0, "tolerating": 0, "frustrating": 0, "failures": 0, "time_lost_s": 0.0,
        "users": 0, "failure_ratio": 0.0,
    }, "no other now: overwrite whatever an earlier state of the cell published"  # fmt: skip


def test_a_name_published_earlier_and_pooled_now_is_retracted() -> None:
    five, two = people(*range(5)), people(7, 8)
    assert retractions({"a": five, "b": five | two}, {"a": ["a"], "b": ["b"]}) == ["other"]
    pulled = {"a": five, "d": two, "b": people(*range(10, 16))}
    groups = component_groups(pulled)
    assert groups == {"b": ["b"], "other": ["d", "a"]}
    assert retractions(pulled, groups) == ["a"], "a was published by name before d came"
    assert retractions({"d": two}, {}) == [], "two people: nothing at all, not even zeros"
    assert retractions({"d": two, "e": people(20, 21, 22)}, {}) == ["other"]
    assert retractions({}, {}) == []


def test_printing_is_broken_down_per_print_server_too() -> None:
    """Two printers behind srv01 (one of them down), one behind srv02, and a direct IP
    printer: per server, srv01 carries both of its printers' jobs; the printer that names
    no server counts as 'direct' (each with 7 people, so none is pooled)."""
    cell = Cell("knowledge_worker", "utrecht", 86_400, DAY_MS)
    printers = {
        "\\\\SRV01\\mfp-2f": Band.GOOD,
        "\\\\srv01\\mfp-3f": Band.FRUSTRATING,
        "ipp://srv02.corp:631/printers/label": Band.GOOD,
        "HP LaserJet 4F": Band.GOOD,
    }
    for k, (printer, band) in enumerate(printers.items()):
        for n in range(7):
            add_observation(cell, sample(100 * k + n, "print", printer, band), 86_400_000)
    tags = {"persona": "knowledge_worker", "site": "utrecht", "window": "1d"}
    by_server = {
        r.tags["component"]: r.fields
        for r in component_records(cell, {**tags, "formula_version": "3.0"}, DAY_MS * 10**6)
        if r.tags["touch_point"] == "print_server" and r.fields["users"]  # not a retraction
    }
    assert set(by_server) == {"srv01", "srv02.corp", "direct"}
    assert by_server["srv01"]["samples"] == 14 and by_server["srv01"]["failure_ratio"] == 0.5
    assert by_server["direct"]["failures"] == 0


def test_the_print_server_is_read_from_the_printer_name_where_it_says_one() -> None:
    assert print_server("\\\\PRT-AMS\\prn-ams-02") == "prt-ams"
    assert print_server("ipp://print.corp.example:631/printers/floor2") == "print.corp.example"
    assert print_server("mfp-2f@cups-srv") == "cups-srv"
    for direct in ("HP LaserJet 4F", "unknown", "\\\\\\nothing", "ipp:///printers/x"):
        assert print_server(direct) is None, direct
