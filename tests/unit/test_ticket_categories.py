"""Formula 3.0: a ticket is explained only by a signal that fits its category."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.engine_events import assignment_event, feed, ticket_event
from xlapulse.collectors.contract.events import AppResponsivenessEvent, EventBase, VpnSessionEvent
from xlapulse.streams.inprocess import InProcessPipeline
from xlapulse.streams.scoring.device_signals import DeviceTicket, device_signal_from_dict
from xlapulse.streams.scoring.formula_versions import FORMULA_2_2, FORMULA_3_0, Formula
from xlapulse.streams.scoring.ticket_categories import fitting_touch_points

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
ALICE, BOB = "u_" + "a" * 32, "u_" + "b" * 32
LAPTOP, KIOSK = "d_" + "1" * 32, "d_" + "e" * 32


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("category", "fits"),
    [
        ("vpn", ("vpn", "probe")),
        ("logon", ("boot", "logon")),
        ("boot", ("boot", "logon")),
        ("application", ("app", "probe")),
        ("call_quality", ("call",)),
        ("printing", ("print",)),
        ("Network", ("vpn", "call", "probe")),  # ServiceNow's default categories
        ("Software", ("app", "probe")),
        ("Sign-in problems", ("boot", "logon")),  # "sign in" written together
        ("password_reset", ()),
        ("access_request", ()),
        ("Inquiry / Help", ()),
        ("how_to", ()),
        ("uncategorized", None),  # unknown: any touch point, as formula 2.2
    ],
)
def test_a_category_fits_the_touch_points_its_words_name(category, fits) -> None:
    assert fitting_touch_points(category) == fits


def app_crash(user: str, minutes: float, device: str = LAPTOP) -> AppResponsivenessEvent:
    return AppResponsivenessEvent(
        event_time=at(minutes), user_id=user, device_id=device, app_name="crm", kind="crash"
    )


def vpn_drop(user: str, minutes: float, device: str = LAPTOP) -> VpnSessionEvent:
    return VpnSessionEvent(event_time=at(minutes), user_id=user, device_id=device, state="dropped")


def opened(user: str, minutes: float, category: str, device: str | None = None) -> EventBase:
    return ticket_event(user, "created", at(minutes), "INC1", category=category, device_id=device)


def explanation(events: list[EventBase], formula: Formula, user: str = BOB) -> str | None:
    """The ticket's final explanation, as Bob's state holds it."""
    pipeline = InProcessPipeline(formula=formula)
    for event in [assignment_event(u, at(-60), "developer", "utrecht") for u in (ALICE, BOB)]:
        pipeline.feed_event(event)
    for event in events:
        pipeline.feed_event(event)
    progress = pipeline.users[user].tickets["INC1"]
    return progress.explained_by


def test_a_vpn_ticket_is_explained_by_the_vpn_not_by_a_bigger_app_crash() -> None:
    # a crash costs 180 s, a VPN drop 300 s; two crashes lose the user more than one drop
    events = [app_crash(BOB, 0), app_crash(BOB, 1), vpn_drop(BOB, 2), opened(BOB, 30, "vpn")]
    assert explanation(events, FORMULA_2_2) == "app"
    assert explanation(events, FORMULA_3_0) == "vpn"


def test_a_password_reset_has_no_signal_whatever_went_wrong_before() -> None:
    events = [vpn_drop(BOB, 2), opened(BOB, 30, "password_reset", device=KIOSK)]
    assert explanation(events, FORMULA_2_2) == "vpn"
    assert explanation(events, FORMULA_3_0) is None
    pipeline = feed([assignment_event(BOB, at(-60), "developer", "utrecht"), *events])
    assert KIOSK not in pipeline.devices, "nothing on its device could explain it either"


def test_a_late_signal_that_does_not_fit_changes_nothing() -> None:
    events = [opened(BOB, 30, "vpn"), app_crash(BOB, 10)]
    assert explanation(events, FORMULA_2_2) == "app"
    assert explanation(events, FORMULA_3_0) is None
    assert explanation([*events, vpn_drop(BOB, 20)], FORMULA_3_0) == "vpn"


def test_the_device_explains_only_with_a_fitting_problem() -> None:
    """Alice's crash on the kiosk does not explain Bob's VPN ticket from it; her VPN
    drop there does."""
    crash = [app_crash(ALICE, 0, KIOSK), opened(BOB, 30, "vpn", device=KIOSK)]
    assert explanation(crash, FORMULA_2_2) == "app"
    assert explanation(crash, FORMULA_3_0) is None
    assert explanation([*crash, vpn_drop(ALICE, 5, KIOSK)], FORMULA_3_0) == "vpn"


def test_the_explanation_counts_only_fitting_lost_time() -> None:
    pipeline = InProcessPipeline()
    pipeline.feed_event(assignment_event(BOB, at(-60), "developer", "utrecht"))
    for event in (app_crash(BOB, 0), vpn_drop(BOB, 2), opened(BOB, 30, "vpn")):
        pipeline.feed_event(event)
    progress = pipeline.users[BOB].tickets["INC1"]
    assert (progress.explained_by, progress.signal_time_lost_ms) == ("vpn", 300_000)


def test_a_device_ticket_carries_its_fitting_touch_points_and_reads_old_ones() -> None:
    ticket = DeviceTicket(KIOSK, BOB, "INC1", 0, release=False, fits=("vpn", "probe"))
    assert device_signal_from_dict(ticket.to_dict()) == ticket
    before_3_0 = {k: v for k, v in ticket.to_dict().items() if k != "fits"}
    assert device_signal_from_dict(before_3_0).fits is None, "any touch point, as before"
