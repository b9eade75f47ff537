"""Exposure (issue 11): failures divided by the time people were exposed to them.

Contract events go through the in-process pipeline (the same steps as the Faust agents);
the tests read the cells' exposed time and the published ``reliability`` records,
including that no interleaving of users changes what each is credited.
"""

from __future__ import annotations

import copy
import json
import random
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tests.unit.engine_events import assignment_event, feed
from xlapulse.collectors.contract.events import (
    AppResponsivenessEvent,
    EventBase,
    SessionEvent,
    VpnSessionEvent,
    event_time_ms,
)
from xlapulse.collectors.contract.topics import INPUT_TOPICS, topic_for
from xlapulse.collectors.simulator.fleet import Fleet
from xlapulse.streams.inprocess import InProcessPipeline
from xlapulse.streams.scoring.cells import Cell, span_holder
from xlapulse.streams.scoring.exposure import ACTIVE, VPN_CONNECTED, VPN_DOWN
from xlapulse.streams.scoring.exposure_clock import MAX_OPEN_MS
from xlapulse.streams.scoring.pipeline import update_cells
from xlapulse.streams.scoring.published import RELIABILITY, Record
from xlapulse.streams.scoring.retractions import EXPOSURE_OBJECTIVE_KIND, retractions
from xlapulse.streams.scoring.xla import default_xla_config

DAY = datetime(2026, 11, 24, tzinfo=UTC)  # a Tuesday
PERSONA, SITE = "knowledge_worker", "utrecht"
HOUR_MS = 3_600_000


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


def user(n: int) -> str:
    return f"u_{n:032x}"


def device(n: int) -> str:
    return f"d_{n:032x}"


def session(n: int, state: str, hours: float, active_s: int | None = None) -> SessionEvent:
    return SessionEvent(
        event_time=at(hours),
        user_id=user(n),
        device_id=device(n),
        state=state,
        session_id="0x3e7",
        active_duration_s=active_s,
    )


def vpn(n: int, state: str, hours: float) -> VpnSessionEvent:
    return VpnSessionEvent(event_time=at(hours), user_id=user(n), device_id=device(n), state=state)


def crash(n: int, hours: float) -> AppResponsivenessEvent:
    return AppResponsivenessEvent(
        event_time=at(hours),
        user_id=user(n),
        device_id=device(n),
        kind="crash",
        app_name="excel.exe",
    )


def assigned(people: int) -> list[EventBase]:
    return [assignment_event(user(n), at(0), PERSONA, SITE) for n in range(people)]


def workday(n: int) -> list[EventBase]:
    """09:00 to 17:00 with a lunch lock 12:00-12:30: 7.5 active hours."""
    return [
        session(n, "started", 9),
        session(n, "locked", 12, 3 * 3600),
        session(n, "unlocked", 12.5),
        session(n, "ended", 17, int(4.5 * 3600)),
    ]


def exposed_ms(pipeline, window_s: int, hours: float, exposure: str = ACTIVE) -> int:
    start_ms = int(at(hours).timestamp() * 1000)
    cell = pipeline.cells.get(f"{PERSONA}|{SITE}|{window_s}|{start_ms}")
    return 0 if cell is None else sum(cell.exposed_ms(exposure).values())


def reliability(pipeline, touch_point: str, window: str = "1d") -> dict:
    [record] = pipeline.latest(RELIABILITY, touch_point=touch_point, window=window)
    return record.fields


def test_a_workday_is_credited_to_every_window_it_spans() -> None:
    pipeline = feed([*assigned(1), *workday(0)])
    assert exposed_ms(pipeline, 86_400, 0) == 7.5 * HOUR_MS
    assert exposed_ms(pipeline, 3600, 9) == HOUR_MS
    assert exposed_ms(pipeline, 3600, 12) == HOUR_MS / 2, "locked over lunch"
    assert exposed_ms(pipeline, 300, 12.25) == 0
    assert exposed_ms(pipeline, 300, 16.75) == 300_000
    assert exposed_ms(pipeline, 3600, 17) == 0
    assert not pipeline.exposure_clocks[f"{PERSONA}|{SITE}|0|0"].open, "all closed"


def test_an_open_session_is_credited_when_its_5_minute_window_has_passed() -> None:
    """The live denominator: any observation of the group past the window credits it,
    without waiting for the session to lock."""
    pipeline = feed([*assigned(2), session(0, "started", 9), session(1, "started", 9.1)])
    assert exposed_ms(pipeline, 300, 9) == 300_000, "user 1's start moved the clock to 09:05"
    assert exposed_ms(pipeline, 300, 9 + 5 / 60) == 0, "09:05-09:10 has not passed yet"
    pipeline.feed_event(crash(1, 9.2))  # 09:12
    assert exposed_ms(pipeline, 300, 9 + 5 / 60) == 300_000 + 240_000, "user 1 since 09:06"
    assert exposed_ms(pipeline, 3600, 9) == 300_000 + 300_000 + 240_000


def test_a_close_without_an_open_credits_the_length_the_collector_measured() -> None:
    """The engine started after the session did: the lock says how long it was active."""
    pipeline = feed([*assigned(1), session(0, "locked", 12, 3 * 3600)])
    assert exposed_ms(pipeline, 86_400, 0) == 3 * HOUR_MS
    assert exposed_ms(pipeline, 3600, 9) == HOUR_MS


def test_a_session_never_closed_counts_for_at_most_twelve_hours() -> None:
    """A device that died unlocked must not count as active for days: user 0 from 01:00
    and user 1 from 08:00 are credited 12 h each, though the clock moves on to 06:00 the
    next day (user 1 starting again, which also ends the first session)."""
    later = [session(1, "started", hours) for hours in (8, 30)]
    pipeline = feed([*assigned(2), session(0, "started", 1), *later])
    assert exposed_ms(pipeline, 86_400, 0) == 2 * MAX_OPEN_MS
    assert exposed_ms(pipeline, 86_400, 24) == 0


def test_app_failures_per_active_hour_with_a_calm_baseline() -> None:
    """Five people, 37.5 active hours: two crashes are 0.05333 per hour; a calm day
    publishes 0 per hour (a baseline failure-only telemetry never had)."""
    people = [event for n in range(5) for event in workday(n)]
    calm = feed([*assigned(5), *people])
    assert reliability(calm, "app") == {
        "exposure_hours": 37.5,
        "failures": 0,
        "failures_per_hour": 0.0,
        "users": 5,
    }
    crashed = feed([*assigned(5), *people, crash(0, 10), crash(3, 15)])
    fields = reliability(crashed, "app")
    assert (fields["failures"], fields["failures_per_hour"]) == (2, round(2 / 37.5, 5))


def test_four_exposed_people_publish_no_reliability() -> None:
    pipeline = feed([*assigned(4), *[event for n in range(4) for event in workday(n)]])
    assert pipeline.latest(RELIABILITY) == []


def test_vpn_drops_per_connected_hour_and_the_share_of_time_down() -> None:
    """Each of five: connected 09:00, dropped 10:00, back 10:30, disconnected 12:00."""
    tunnel = [
        event
        for n in range(5)
        for event in (
            vpn(n, "connected", 9),
            vpn(n, "dropped", 10),
            vpn(n, "connected", 10.5),
            vpn(n, "disconnected", 12),
        )
    ]
    pipeline = feed([*assigned(5), *tunnel])
    assert exposed_ms(pipeline, 86_400, 0, VPN_CONNECTED) == 5 * 2.5 * HOUR_MS
    assert exposed_ms(pipeline, 86_400, 0, VPN_DOWN) == 5 * 0.5 * HOUR_MS
    assert reliability(pipeline, "vpn") == {
        "exposure_hours": 12.5,
        "failures": 5,
        "failures_per_hour": 0.4,
        "users": 5,
        "down_hours": 2.5,
        "down_ratio": round(2.5 / 15, 5),
    }


def test_print_failures_over_attempted_jobs() -> None:
    from xlapulse.collectors.contract.events import PrintJobEvent

    jobs = [
        PrintJobEvent(
            event_time=at(9 + n / 10),
            user_id=user(n % 5),
            device_id=device(n % 5),
            outcome="failed" if n < 2 else "printed",
            printer="floor-2",
        )
        for n in range(8)
    ]
    fields = reliability(feed([*assigned(5), *jobs]), "print")
    assert fields == {"attempts": 8, "failures": 2, "failure_ratio": 0.25, "users": 5}


def test_a_user_moved_mid_session_is_counted_once_in_each_group() -> None:
    """Moved to developers at 12:00: 09:00-12:00 counts for knowledge workers, 12:00-15:00
    for developers, 6 h in all (before, the old group kept the interval open until the
    12 h cap and the new one credited the measured length again)."""
    move = assignment_event(user(0), at(12), "developer", SITE)
    pipeline = feed(
        [*assigned(1), session(0, "started", 9), move, session(0, "ended", 15, 6 * 3600)]
    )
    assert exposed_ms(pipeline, 86_400, 0) == 3 * HOUR_MS
    day_ms = int(at(0).timestamp() * 1000)
    developers = pipeline.cells[f"developer|{SITE}|86400|{day_ms}"]
    assert sum(developers.exposed_ms(ACTIVE).values()) == 3 * HOUR_MS


def test_any_interleaving_of_users_gives_the_same_exposure() -> None:
    """Each user's events in order, users interleaved at random, times off the 5-minute
    grid: every interleaving credits each user exactly their intervals, in every window
    size (a cell credited by the clock and by a close in one step kept only one of them)."""
    rng = random.Random(7)
    events, truth_ms = [], {}
    for n in range(6):
        start = 8 + rng.random() * 2
        lock = start + 1 + rng.random() * 2
        unlock = lock + rng.random()
        end = unlock + 1 + rng.random() * 3
        events.append(
            [
                session(n, "started", start),
                session(n, "locked", lock, int((lock - start) * 3600)),
                session(n, "unlocked", unlock),
                session(n, "ended", end, int((end - unlock) * 3600)),
            ]
        )
        truth_ms[user(n)] = sum(
            event_time_ms(event) * sign
            for event, sign in zip(events[-1], (-1, 1, -1, 1), strict=True)
        )
    for seed in range(10):
        queues = [list(queue) for queue in events]
        order = []
        shuffle = random.Random(seed)
        while any(queues):
            order.append(shuffle.choice([q for q in queues if q]).pop(0))
        pipeline = feed([*assigned(6), *order])
        for window_s in (300, 3600, 86_400):
            credited: dict[str, int] = {}
            for cell in pipeline.cells.values():
                if cell.window_s == window_s:
                    for who, ms in cell.exposed_ms(ACTIVE).items():
                        credited[who] = credited.get(who, 0) + ms
            assert credited == truth_ms, (seed, window_s)


def test_a_lock_or_sign_out_ends_the_vpn_down_time() -> None:
    """Dropped at 16:00, then home: the lock at 16:30 ends the down time (no disconnect
    ever comes), so down time is 30 min a person, not the 12 h cap."""
    evening = [
        event
        for n in range(5)
        for event in (
            session(n, "started", 9),
            vpn(n, "connected", 9),
            vpn(n, "dropped", 16),
            session(n, "locked", 16.5, int(7.5 * 3600)),
        )
    ]
    fields = reliability(feed([*assigned(5), *evening]), "vpn")
    assert (fields["exposure_hours"], fields["down_hours"]) == (35.0, 2.5)


def test_vpn_down_time_of_fewer_than_five_people_is_not_published() -> None:
    """Five connected, one of them dropped: connected hours are published, that one
    person's down time is not."""
    tunnels = [vpn(n, "connected", 9) for n in range(5)] + [vpn(0, "dropped", 10)]
    closing = [vpn(n, "disconnected", 12) for n in range(5)]
    fields = reliability(feed([*assigned(5), *tunnels, *closing]), "vpn")
    assert "down_hours" not in fields and "down_ratio" not in fields
    assert fields["exposure_hours"] == 4 * 3 + 1


def _observations_of(events: list[EventBase]) -> list:
    captured: list = []
    pipeline = InProcessPipeline(on_observation=captured.append)
    for event in events:
        pipeline.feed_event(event)
    return captured


def _count(observations: list, store: dict) -> dict:
    """update_cells over ``store`` (cells and the clock, as the cells table holds them)."""
    config = default_xla_config()
    for observation in observations:
        for cell in update_cells(observation, store.get, config):
            store[cell.key()] = cell
    return store


def _exposure_of(store: dict) -> dict:
    return {
        key: json.dumps(cell.exposure_spans, sort_keys=True)
        for key, cell in store.items()
        if isinstance(cell, Cell) and cell.exposure_spans
    }


def test_a_redelivered_batch_after_a_crash_credits_nothing_twice() -> None:
    """The worker stored the cells but not the clock (or nothing of the clock's last
    changes) and the observations are delivered again: the spans are unions, the replayed
    closes are recognised, so every cell ends as without the crash."""
    events = [*assigned(5), *[event for n in range(5) for event in workday(n)]]
    events.sort(key=lambda event: event.event_time)
    observations = _observations_of(events)
    expected = _exposure_of(_count(observations, {}))
    half = len(observations) // 2
    store = _count(observations[:half], {})
    clock_key = f"{PERSONA}|{SITE}|0|0"
    stale_clock = copy.deepcopy(store[clock_key])
    _count(observations[half:], store)
    store[clock_key] = stale_clock  # the clock's later writes were lost
    assert _exposure_of(_count(observations[half:], store)) == expected
    assert _exposure_of(_count(observations, store)) == expected, "and all of it again"


def test_a_devices_session_events_out_of_order_count_once() -> None:
    """The lock arrives before the start it closes: 09:00-12:00 counts once (the start,
    older than the device's last close, changes nothing)."""
    events = [session(0, "locked", 12, 3 * 3600), session(0, "started", 9)]
    pipeline = feed([*assigned(2), *events, session(1, "started", 18)])
    assert exposed_ms(pipeline, 86_400, 0) == 3 * HOUR_MS


def test_a_session_scored_unassigned_moves_whole_when_the_assignment_arrives() -> None:
    """The directory record came late: user 0's start was held, then scored unassigned
    (held too long). The assignment, stamped 08:00, moves the session whole, from its
    09:00 opening: 3 h for knowledge workers, none left in 'unassigned', none before 09:00."""
    late = assignment_event(user(0), at(8), PERSONA, SITE)
    events = [
        assignment_event(user(1), at(0), PERSONA, SITE),
        session(0, "started", 9),
        session(1, "started", 9 + 20 / 60),
        crash(0, 9 + 25 / 60),  # the hold gives up: user 0 is scored unassigned
        late,
        session(0, "ended", 12, 3 * 3600),
        session(1, "ended", 12, int((12 - 9 - 20 / 60) * 3600)),
    ]
    pipeline = feed(events)
    day_ms = int(at(0).timestamp() * 1000)
    ours = pipeline.cells[f"{PERSONA}|{SITE}|86400|{day_ms}"].exposed_ms(ACTIVE)
    assert ours[user(0)] == 3 * HOUR_MS
    unassigned = pipeline.cells.get(f"unassigned|unknown|86400|{day_ms}")
    assert unassigned is None or not unassigned.exposed_ms(ACTIVE).get(user(0))


def reliability_points(pipeline: InProcessPipeline) -> dict:
    pipeline.flush()
    return {
        key: record.fields
        for key, record in pipeline.records.items()
        if record.measurement == RELIABILITY
    }


def test_a_window_that_loses_its_fifth_exposed_person_is_retracted() -> None:
    """Five people active from 09:00; person 4 locks at 09:02, but the lock comes after
    person 0's 09:12 crash moved the clock on (another partition ran ahead). Flushed in
    between, the 09:05 window was published on five people, person 4 credited ahead;
    the late lock takes that back, and the point is retracted: what is published is then
    what the same events in time order publish (the 09:00 window keeps five people)."""
    late_lock = session(4, "locked", 9 + 2 / 60, 120)
    in_order = [*assigned(5), *(session(n, "started", 9) for n in range(5))]
    pipeline = feed(in_order)
    pipeline.feed_event(crash(0, 9 + 12 / 60))
    early = reliability_points(pipeline)
    at_0905_ns = int(at(9 + 5 / 60).timestamp()) * 1_000_000_000
    window_0905 = [key for key in early if ("window", "5m") in key[1] and key[2] == at_0905_ns]
    assert len(window_0905) == 1, "published on five people, one credited ahead"
    pipeline.feed_event(late_lock)
    retracted = reliability_points(pipeline)
    assert window_0905[0] not in retracted
    in_time_order = feed([*in_order, late_lock, crash(0, 9 + 12 / 60)])
    assert retracted == reliability_points(in_time_order)


def test_a_vpn_window_that_loses_its_down_time_is_rewritten_without_it() -> None:
    """Six tunnels up from 08:50. Four drop at 09:01 and reconnect at 09:10; person 4
    drops at 08:58 and reconnects at 08:59, but that reconnect comes late, after 09:10.
    Published in between, the 09:00 window had five people down (person 4 credited
    ahead); after the late reconnect only four, so its point is deleted and written
    again without down_hours and down_ratio (a rewritten point keeps its old fields)."""
    events = [*assigned(6)]
    for n in range(6):
        events += [session(n, "started", 8 + 40 / 60), vpn(n, "connected", 8 + 50 / 60)]
    events += [vpn(4, "dropped", 8 + 58 / 60)]
    events += [vpn(n, "dropped", 9 + 1 / 60) for n in range(4)]
    events += [vpn(n, "connected", 9 + 10 / 60) for n in range(4)]
    late = vpn(4, "connected", 8 + 59 / 60)
    pipeline = feed(events)
    before = reliability_points(pipeline)
    pipeline.feed_event(late)
    after = reliability_points(pipeline)
    at_0900_ns = int(at(9).timestamp()) * 1_000_000_000
    window_0900 = [
        key
        for key in after
        if ("window", "5m") in key[1] and ("touch_point", "vpn") in key[1] and key[2] == at_0900_ns
    ]
    assert len(window_0900) == 1
    assert "down_hours" in before[window_0900[0]]
    assert "down_hours" not in after[window_0900[0]]
    assert after == reliability_points(feed([*events[:-4], late, *events[-4:]]))


def test_any_interleaving_and_flush_cadence_publish_the_same_points() -> None:
    """A simulated fleet day (every signal), its users' events interleaved as four
    partitions may deliver them, flushed every few records (as the worker's batches
    are): every point of every measurement equals the single flush in time order."""
    fleet = Fleet(60, seed=123).events(DAY.date(), 1)
    events = [event for event in fleet if topic_for(event) in INPUT_TOPICS]
    partitions: dict[int, list[EventBase]] = {}
    for event in events:
        partitions.setdefault(zlib.crc32(event.user_id.encode()) % 4, []).append(event)

    def published(order: list[EventBase], flush_every: int) -> dict:
        pipeline = InProcessPipeline()
        for n, event in enumerate(order):
            pipeline.feed_event(event)
            if flush_every and n % flush_every == 0:
                pipeline.flush()
        pipeline.flush()
        return {key: record.fields for key, record in pipeline.records.items()}

    expected = published(events, 0)
    assert any(key[0] == RELIABILITY for key in expected)
    rng = random.Random(1)
    queues = [list(queue) for queue in partitions.values()]
    interleaved = []
    while any(queues):
        interleaved.append(rng.choice([queue for queue in queues if queue]).pop(0))
    assert published(interleaved, 23) == expected


def test_two_devices_unlocked_at_once_count_once() -> None:
    """Person 0 works on a laptop 09:00-17:00 and on a second PC 10:00-12:00: 8 active
    hours, not 10. The others have one device each."""
    second = f"d_{99:032x}"
    desk_pc = [
        session(0, "started", 10).model_copy(update={"device_id": second}),
        session(0, "ended", 12, 2 * 3600).model_copy(update={"device_id": second}),
    ]
    pipeline = feed([*assigned(5), *(e for n in range(5) for e in workday(n)), *desk_pc])
    day_ms = int(at(0).timestamp() * 1000)
    cell = pipeline.cells[f"{PERSONA}|{SITE}|86400|{day_ms}"]
    assert cell.exposed_ms(ACTIVE)[user(0)] == cell.exposed_ms(ACTIVE)[user(1)]
    assert len(cell.exposure_spans[ACTIVE]) == 6, "both devices are kept, for their closes"


def test_retractions_delete_what_rests_on_exposure_and_was_published_no_longer() -> None:
    """A compliance point of failures per exposed hour (its exposed hours fell below the
    objective's minimum) and a reliability point gone, a VPN point that lost its down
    time: deleted. A score point gone is not this module's (its people never fall), and
    a point that gains fields needs no delete."""
    cell = Cell(PERSONA, SITE, 86_400, 0)
    base = {"persona": PERSONA, "site": SITE, "window": "1d", "formula_version": "3.0"}
    compliance = Record(
        "xla_compliance",
        {**base, "objective": "app-failures", "kind": EXPOSURE_OBJECTIVE_KIND,
         "touch_point": "app", "xla_version": "1"},
        {"value": 0.05, "samples": 116},
        0,
    )  # fmt: skip
    app = Record(RELIABILITY, {**base, "touch_point": "app"}, {"failures": 6}, 0)
    vpn = Record(RELIABILITY, {**base, "touch_point": "vpn"}, {"failures": 1, "down_hours": 2}, 0)
    score = Record("experience_score", {**base, "touch_point": "app"}, {"score": 90.0}, 0)
    assert retractions(cell, [compliance, app, vpn, score]) == []
    vpn_now = replace(vpn, fields={"failures": 1})
    gone = retractions(cell, [vpn_now])
    assert sorted((r.measurement, r.tags["touch_point"]) for r in gone) == [
        ("reliability", "app"), ("reliability", "vpn"), ("xla_compliance", "app"),
    ]  # fmt: skip
    assert all(r.fields == {} for r in gone)
    assert retractions(cell, [vpn]) == [], "a point that gains a field is rewritten, whole"
    assert retractions(cell, [vpn]) == []


def test_a_cell_stored_with_epoch_spans_reads_the_same_exposure() -> None:
    """Spans stored before ``SPANS_LAYOUT`` 2 (epoch ms under the full device pseudonym)
    are read as spans from the window's start under the short device id: the same
    people, the same exposed time, one person's overlapping devices counted once."""
    start = 1_795_392_000_000
    stored = Cell(PERSONA, SITE, 3600, start).to_dict()
    del stored["spans_layout"]
    stored["exposure_spans"] = {
        ACTIVE: {
            "u_a|d_1": [[start + 60_000, start + 120_000]],
            "u_a|d_2": [[start + 90_000, start + 150_000]],
            "u_b|d_3": [[start, start + 3_600_000]],
        }
    }
    cell = Cell.from_dict(json.loads(json.dumps(stored)))
    assert cell.exposed_ms(ACTIVE) == {"u_a": 90_000, "u_b": 3_600_000}
    assert cell.users() == {"u_a", "u_b"}
    assert cell.exposure_spans[ACTIVE][span_holder("u_a|d_1")] == [[60_000, 120_000]]
    again = Cell.from_dict(json.loads(json.dumps(cell.to_dict())))
    assert again == cell, "a cell in the current layout is read as it is"
