"""Dip detection, pure parts: minute buckets, the three detectors, the dip life cycle,
what a dip publishes (event, InfluxDB point, alert, notice) and the settings file."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from xlapulse.collectors.contract.outputs import NoticeEvent
from xlapulse.collectors.contract.wire import SCHEMA_DIR
from xlapulse.collectors.yamlfile import YamlFileError
from xlapulse.streams.dips.alertmanager import AlertmanagerClient, AlertmanagerError, alert_for
from xlapulse.streams.dips.buckets import (
    ALL_SITES,
    MINUTE_MS,
    BucketBuilder,
    MinuteBucket,
    Scope,
)
from xlapulse.streams.dips.causes import likely_cause
from xlapulse.streams.dips.detectors import (
    Budget,
    WindowTotals,
    binomial_tail,
    burn_rate,
    peer,
    robust_z,
    seasonal,
)
from xlapulse.streams.dips.engine import DipPublisher
from xlapulse.streams.dips.publish import dip_event, dip_record
from xlapulse.streams.dips.settings import BurnRateWindow, DipSettings, load_dip_settings
from xlapulse.streams.dips.state import restore_persona, scope_record
from xlapulse.streams.dips.tracker import DipTracker
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.observations import SampleObservation, TicketObservation
from xlapulse.streams.sink.points import record_to_point

T0 = 1_764_576_000_000  # 2025-12-01 08:00 UTC, a minute boundary
SETTINGS = DipSettings()


def user(index: int) -> str:
    return f"u_{index:032x}"


def sample(
    index: int,
    minute: int,
    band: Band = Band.GOOD,
    *,
    site: str = "utrecht",
    touch_point: str = "vpn",
    lost_ms: int = 0,
    hits: tuple[tuple[str, bool], ...] = (),
    event_id: str | None = None,
) -> SampleObservation:
    return SampleObservation(
        event_id=event_id or f"{site}-{touch_point}-{index}-{minute}-{band.value}",
        user_id=user(index),
        persona="field_worker",
        site=site,
        event_time_ms=T0 + minute * MINUTE_MS + 1_000,
        touch_point=touch_point,
        band=band,
        time_lost_ms=lost_ms,
        cause=None if band is Band.GOOD else "vpn_failed",
        detail=None if band is Band.GOOD else "gateway vpn-utr-01, error 809",
        objective_hits=hits,
    )


def bucket(site: str, minute: int, good: int, bad: int, first_user: int = 0) -> MinuteBucket:
    result = MinuteBucket(Scope("field_worker", site, "vpn"), T0 + minute * MINUTE_MS)
    for index in range(good):
        result.add(sample(first_user + index, minute, site=site))
    for index in range(bad):
        result.add(sample(first_user + good + index, minute, Band.FRUSTRATING, site=site))
    return result


# --- buckets -----------------------------------------------------------------------


def test_a_minute_is_emitted_once_its_group_clock_passes_it_and_replays_count_once() -> None:
    builder = BucketBuilder()
    assert builder.add(sample(1, 0, Band.FRUSTRATING)) == []
    assert builder.add(sample(1, 0, Band.FRUSTRATING)) == []  # the same event again
    assert builder.add(sample(2, 1)) == []  # 08:01: 08:00 waits for stragglers
    emitted = builder.add(sample(3, 2))  # 08:02:01 is past 08:00's end + one minute
    assert [(b.minute_ms, b.samples, b.frustrating) for b in emitted] == [(T0, 1, 1)]
    assert emitted[0].affected_users == {user(1)}
    assert emitted[0].details == Counter({"gateway vpn-utr-01, error 809": 1})


def test_a_late_observation_reopens_its_minute_and_it_is_emitted_again_whole() -> None:
    builder = BucketBuilder()
    builder.add(sample(1, 0, Band.FRUSTRATING))
    builder.add(sample(2, 5))
    late = builder.add(sample(4, 0, Band.FRUSTRATING))
    again = [b for b in late if b.minute_ms == T0]
    assert again and again[0].frustrating == 2, "the whole minute, not only the straggler"


def test_a_record_sends_each_bucket_it_finished_once_where_it_first_finished() -> None:
    builder = BucketBuilder()
    builder.add(sample(1, 0, Band.FRUSTRATING))
    record = [
        sample(2, 5),  # finishes 08:00
        sample(3, 0, Band.FRUSTRATING),  # late: reopens 08:00 ...
        sample(4, 6),  # ... which this finishes again
        sample(5, 0),  # and again
        sample(7, 1, site="amsterdam"),  # another group: its own clock
    ]
    finished = builder.add_record(record)
    assert list(finished) == ["field_worker"]
    sent = [(b.scope.site, b.minute_ms, b.samples) for b in finished["field_worker"]]
    assert sent == [("utrecht", T0, 3)], "once, with every sample of the record"
    # the same record without the de-duplication: the minute three times
    again = BucketBuilder()
    again.add(sample(1, 0, Band.FRUSTRATING))
    copies = [b.minute_ms for observation in record for b in again.add(observation)]
    assert copies == [T0, T0, T0]


def test_a_ticket_counts_for_the_touch_point_that_explains_it() -> None:
    builder = BucketBuilder()
    ticket = TicketObservation(
        event_id="t1",
        user_id=user(1),
        persona="field_worker",
        site="utrecht",
        event_time_ms=T0,
        ticket_id="INC1",
        stage="opened",
        explained_by="vpn",
    )
    builder.add(ticket)
    (vpn,) = builder.flush()
    assert vpn.scope.touch_point == "vpn" and vpn.tickets == 1 and vpn.samples == 0


def test_bucket_round_trips_through_json_without_its_event_ids() -> None:
    original = bucket("utrecht", 0, 3, 2)
    assert original.event_ids, "stage 1 de-duplicates by them"
    copy = MinuteBucket.from_dict(json.loads(json.dumps(original.to_dict())))
    assert copy == replace(original, event_ids=set())


def test_a_bucket_sent_with_event_ids_by_an_earlier_version_is_read() -> None:
    original = bucket("utrecht", 0, 3, 2)
    earlier = {**original.to_dict(), "event_ids": sorted(original.event_ids)}
    assert MinuteBucket.from_dict(earlier) == replace(original, event_ids=set())


# --- detectors ------------------------------------------------------------------------


def test_binomial_tail_matches_hand_computed_values() -> None:
    assert binomial_tail(3, 3, 0.5) == pytest.approx(0.125)
    assert binomial_tail(1, 2, 0.5) == pytest.approx(0.75)
    assert binomial_tail(0, 5, 0.1) == 1.0
    # C(20,5) 0.02^5 0.98^15 = 3.664e-5, plus the terms for 6..20 failures
    assert binomial_tail(5, 20, 0.02) == pytest.approx(3.859e-5, rel=1e-3)


def test_robust_z_uses_the_median_and_mad_of_the_references() -> None:
    z, centre = robust_z(0.9, [0.1, 0.2, 0.1, 0.15], "badness")
    assert centre == pytest.approx(0.125)
    # MAD 0.025 x 1.4826 is below the 0.05 floor, so the floor is the spread
    assert z == pytest.approx((0.9 - 0.125) / 0.05)


def totals(good: int, bad: int, first_user: int = 0) -> WindowTotals:
    return WindowTotals.of([bucket("x", 0, good, bad, first_user)])


def test_peer_fires_for_a_site_far_worse_than_the_others() -> None:
    site = totals(10, 10)
    peers = [totals(20, 0), totals(19, 1), totals(20, 0)]
    finding = peer(site, peers, SETTINGS)
    assert finding is not None and finding.fires and finding.detector == "peer"
    assert finding.metric == "badness" and finding.value == pytest.approx(0.5)


def test_peer_stays_quiet_for_a_few_unlucky_samples_and_for_similar_sites() -> None:
    assert not peer(totals(18, 2), [totals(20, 0)] * 3, SETTINGS).fires
    similar = [totals(15, 5), totals(16, 4), totals(14, 6)]
    assert not peer(totals(15, 5), similar, SETTINGS).fires


def test_peer_needs_enough_peers_and_people() -> None:
    assert peer(totals(0, 10), [totals(20, 0)], SETTINGS) is None
    one_person = WindowTotals.of([bucket("x", 0, 0, 1)] * 5)
    assert peer(one_person, [totals(20, 0)] * 3, SETTINGS) is None


def test_seasonal_needs_history_then_compares_with_the_same_hour_of_past_weeks() -> None:
    now = totals(10, 10)
    weeks = SETTINGS.seasonal_min_weeks
    assert seasonal(now, {"badness": [0.0, 0.05], "time_lost_s": [0, 0]}, weeks, SETTINGS) is None
    history = {"badness": [0.0, 0.05, 0.02, 0.03], "time_lost_s": [0.0, 0.0, 0.0, 0.0]}
    finding = seasonal(now, history, weeks, SETTINGS)
    assert finding is not None and finding.fires and finding.detector == "seasonal"
    usual = {"badness": [0.45, 0.5, 0.55, 0.5], "time_lost_s": [0.0, 0.0, 0.0, 0.0]}
    assert not seasonal(now, usual, weeks, SETTINGS).fires


def test_an_incident_at_every_site_is_found_against_the_past_working_days() -> None:
    """No site stands out from its peers when all are hit (an app release everywhere):
    from the third working day on, the same hour of past working days is the baseline.
    It is one dip over all sites; the sites' own candidates do not open beside it."""
    sites = ("amsterdam", "rotterdam", "eindhoven", "utrecht")
    tracker = DipTracker(SETTINGS, {})
    day = 24 * 60  # minutes; T0 is a Monday 08:00 UTC
    history = [
        bucket(site, d * day + m, 6, 0, 100 * (i + 1))
        for d in range(3)
        for m in range(0, 66)
        for i, site in enumerate(sites)
    ]
    assert feed(tracker, history) == [], "calm working days open nothing"
    thursday = [
        bucket(site, 3 * day + m, 3, 3 if m >= 10 else 0, 100 * (i + 1) + (m % 10) * 6)
        for m in range(0, 40)
        for i, site in enumerate(sites)
    ]
    opened = [t for t in feed(tracker, thursday) if t.state == "opened"]
    assert [t.scope.site for t in opened] == [ALL_SITES]
    assert {t.detector for t in opened} == {"seasonal"}
    assert all(t.onset_ms >= T0 + (3 * day + 10) * MINUTE_MS for t in opened)


def test_burn_rate_needs_both_windows_to_burn() -> None:
    window = BurnRateWindow(long_minutes=60, short_minutes=5, burn_rate=14.4, severity="critical")
    long_ok = WindowTotals(objectives={"vpn-ok": [100, 90]})
    short_ok = WindowTotals(objectives={"vpn-ok": [10, 9]}, affected_users={user(1), user(2)})
    finding = burn_rate([(window, long_ok, short_ok)], {"vpn-ok": Budget("vpn", 0.05)}, SETTINGS)
    assert finding.fires and finding.severity == "critical"
    assert finding.value == pytest.approx(0.9 / 0.05)
    # a 15 % budget cannot burn 14.4 times over: most samples missing still fires
    assert burn_rate([(window, long_ok, short_ok)], {"vpn-ok": Budget("vpn", 0.15)}, SETTINGS).fires
    assert Budget("vpn", 0.15).limit(14.4, SETTINGS) == pytest.approx(0.575)
    assert Budget("vpn", 0.02).limit(6, SETTINGS) == pytest.approx(0.12)
    recovered = WindowTotals(objectives={"vpn-ok": [10, 0]}, affected_users={user(1), user(2)})
    finding = burn_rate([(window, long_ok, recovered)], {"vpn-ok": Budget("vpn", 0.05)}, SETTINGS)
    assert not finding.fires and not finding.holds, "the short window says it is over"


# --- the life cycle ---------------------------------------------------------------------


def feed(tracker: DipTracker, buckets: list[MinuteBucket]) -> list:
    transitions = []
    for item in sorted(buckets, key=lambda b: b.minute_ms):
        transitions += tracker.add(item)
    return transitions


def calm(minutes: range, sites: tuple[str, ...] = ("amsterdam", "rotterdam", "eindhoven")) -> list:
    return [
        bucket(site, minute, 6, 0, 100 * (i + 1))
        for minute in minutes
        for i, site in enumerate(sites)
    ]


def test_an_outage_opens_once_updates_and_closes_once() -> None:
    tracker = DipTracker(SETTINGS, {})
    outage = [bucket("utrecht", m, 0, 3, first_user=3 * m) for m in range(10, 40)]
    before = [bucket("utrecht", m, 5, 0, 500) for m in range(0, 10)]
    after = [bucket("utrecht", m, 5, 0, 500) for m in range(40, 130)]
    transitions = feed(tracker, calm(range(0, 130)) + before + outage + after)
    states = [t.state for t in transitions]
    assert states[0] == "opened" and states.count("opened") == 1
    assert states[-1] == "closed" and states.count("closed") == 1
    opened = transitions[0]
    assert opened.scope == Scope("field_worker", "utrecht", "vpn")
    assert opened.onset_ms == T0 + 10 * MINUTE_MS
    assert opened.event_time_ms - opened.onset_ms <= 3 * MINUTE_MS, "within minutes"
    assert opened.affected_people >= 5
    assert "VPN connection failures" in opened.likely_cause
    assert "gateway vpn-utr-01" in opened.likely_cause
    closed = transitions[-1]
    assert closed.event_time_ms >= T0 + (40 + SETTINGS.close_after_minutes - 1) * MINUTE_MS


def test_a_sparse_outage_opens_only_once_five_people_were_hit() -> None:
    tracker = DipTracker(SETTINGS, {})
    # a print server down: every job at the site fails, but few people print, one new
    # person every third minute
    before = [bucket("utrecht", m, 1, 0, 900 + m) for m in range(0, 10, 3)]
    trickle = [bucket("utrecht", m, 0, 1, first_user=m) for m in range(10, 40, 3)]
    transitions = feed(tracker, calm(range(0, 45)) + before + trickle)
    opened = [t for t in transitions if t.state == "opened"]
    assert opened, "a sparse outage opens"
    assert opened[0].affected_people >= 5
    fifth_person_minute = 10 + 3 * 4
    assert opened[0].event_time_ms >= T0 + fifth_person_minute * MINUTE_MS


def test_calm_sites_and_a_short_blip_open_nothing() -> None:
    tracker = DipTracker(SETTINGS, {})
    blip = [bucket("utrecht", 20, 3, 3, 700)]  # three people, one minute
    normal = [bucket("utrecht", m, 6, 0, 800) for m in range(0, 60) if m != 20]
    assert feed(tracker, calm(range(0, 60)) + blip + normal) == []


def skewed(site_buckets: list, others: list, lead_minutes: int) -> list:
    """The order stage 2 reads them in when the site's partition runs ``lead_minutes``
    ahead of its peers' (negative: behind)."""

    def minute(item: MinuteBucket) -> int:
        return (item.minute_ms - T0) // MINUTE_MS

    lead, lag = max(lead_minutes, 0), max(-lead_minutes, 0)
    return sorted(
        [(minute(b) - lead, 0, i, b) for i, b in enumerate(site_buckets)]
        + [(minute(b) - lag, 1, i, b) for i, b in enumerate(others)],
        key=lambda item: item[:3],
    )


@pytest.mark.parametrize("lead_minutes", [-40, -3, 3, 10, 40])
def test_partitions_out_of_step_find_the_same_dip(lead_minutes: int) -> None:
    """Input partitions do not run in step (a catch-up after a restart, one slower
    partition): a site whose minutes arrive before or after its peers' is judged against
    the peers' last hour as far as they have come, and finds the same dip."""
    outage = [bucket("utrecht", m, 0, 3, first_user=3 * m) for m in range(60, 90)]
    normal = [bucket("utrecht", m, 5, 0, 500) for m in [*range(0, 60), *range(90, 180)]]
    expected = feed(DipTracker(SETTINGS, {}), calm(range(0, 180)) + normal + outage)
    assert expected[0].state == "opened"
    tracker = DipTracker(SETTINGS, {})
    order = skewed(
        sorted(normal + outage, key=lambda b: b.minute_ms), calm(range(0, 180)), lead_minutes
    )
    transitions = [t for *_, item in order for t in tracker.add(item)]
    assert [(t.state, t.dip_id, t.event_time_ms) for t in transitions] == [
        (t.state, t.dip_id, t.event_time_ms) for t in expected
    ]


def test_a_replayed_bucket_replaces_its_copy_and_changes_nothing() -> None:
    first, second = DipTracker(SETTINGS, {}), DipTracker(SETTINGS, {})
    outage = [bucket("utrecht", m, 0, 3, first_user=3 * m) for m in range(10, 30)]
    data = calm(range(0, 30)) + outage
    once = feed(first, data)
    twice = feed(second, data + data)
    assert [(t.state, t.dip_id) for t in once] == [(t.state, t.dip_id) for t in twice]


# --- what a dip publishes ---------------------------------------------------------------


def opened_dip():
    tracker = DipTracker(SETTINGS, {})
    outage = [bucket("utrecht", m, 0, 3, first_user=3 * m) for m in range(10, 20)]
    return next(t for t in feed(tracker, calm(range(0, 20)) + outage) if t.state == "opened")


def test_the_dip_event_validates_against_the_committed_schema_and_names_nobody() -> None:
    event = dip_event(opened_dip())
    document = json.loads(event.model_dump_json())
    schema = json.loads((SCHEMA_DIR / "dip.schema.json").read_text())
    jsonschema.validate(document, schema)
    assert "u_" not in json.dumps(document), "a dip event carries no pseudonym"
    point = record_to_point(dip_record(event)).to_line_protocol()
    assert point.startswith("dip,detector=")
    assert "state=opened" in point and "affected_people=" in point


def test_the_alert_carries_the_labels_and_annotations_ops_route_on() -> None:
    alert = alert_for(dip_event(opened_dip()), "https://grafana.corp/")
    assert alert["labels"] == {
        "alertname": "XlapulseJourneyDip",
        "touch_point": "vpn",
        "site": "utrecht",
        "persona": "field_worker",
        "severity": alert["labels"]["severity"],
        "detector": alert["labels"]["detector"],
        "dip_id": alert["labels"]["dip_id"],
    }
    assert alert["annotations"]["dashboard"].startswith(
        "https://grafana.corp/d/xlapulse-live-dips?var-persona=field_worker&var-site=utrecht"
    )
    assert "endsAt" not in alert


def test_notices_tell_each_person_once_and_the_resolution_to_those_told() -> None:
    publisher = DipPublisher()
    dip = opened_dip()
    first = publisher.publish([dip]).notices
    assert len(first) == 1 and set(first[0].recipients) == dip.affected_users
    assert first[0].messages["nl"] == "We weten dat VPN op locatie utrecht hapert; we werken eraan."
    assert (
        first[0].messages["en"] == "We know that VPN at utrecht is not working well; we are on it."
    )
    newcomer = user(999)
    updated = type(dip)(**{**vars(dip), "state": "updated", "event_time_ms": dip.event_time_ms + 1})
    updated.affected_users = dip.affected_users | {newcomer}
    assert publisher.publish([updated]).notices[0].recipients == [newcomer]
    closed = type(dip)(**{**vars(dip), "state": "closed", "event_time_ms": dip.event_time_ms + 2})
    resolved = publisher.publish([closed]).notices[0]
    assert resolved.kind == "resolved" and set(resolved.recipients) == updated.affected_users
    assert resolved.messages["nl"] == "Het is opgelost: VPN op locatie utrecht werkt weer."
    NoticeEvent.model_validate_json(resolved.model_dump_json())


def test_likely_cause_names_the_dominant_cause_detail_and_extra_time() -> None:
    text = likely_cause(
        Counter({"group_policy": 40, "profile_load": 3}), Counter(), T0 + 10 * MINUTE_MS, 38.2
    )
    assert text == "group policy +38 s since 08:10 UTC"
    mixed = likely_cause(Counter({"app_hang": 5}), Counter({"crm 9.3": 2, "erp 1": 2}), T0, None)
    assert mixed == "app hangs since 08:00 UTC", "no detail when none names most samples"


def test_likely_cause_falls_back_to_the_print_server_or_gateway_most_name() -> None:
    """A print server down fails jobs on each of its printers, none of them most: the
    server they share is named (details as ``details.sample_detail`` writes them)."""
    printers = Counter(
        {
            "print server srv01, printer \\\\srv01\\mfp-2f": 3,
            "print server srv01, printer \\\\srv01\\mfp-3f": 3,
            "printer local-label": 1,
        }
    )
    text = likely_cause(Counter({"print_failed": 7}), printers, T0, None)
    assert text == "print failures (print server srv01) since 08:00 UTC"
    gateway = Counter({"gateway vpn-ams-2, error 809": 2, "gateway vpn-ams-2, error 691": 2})
    text = likely_cause(Counter({"vpn_failed": 4}), gateway, T0, None)
    assert text == "VPN connection failures (gateway vpn-ams-2) since 08:00 UTC"
    split = Counter({"gateway a, error 1": 2, "gateway b, error 1": 2})
    assert likely_cause(Counter({"vpn_failed": 4}), split, T0, None) == (
        "VPN connection failures since 08:00 UTC"
    )


# --- configuration ----------------------------------------------------------------------


def test_a_malformed_settings_file_names_file_line_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "dips.yaml"
    path.write_text("window_minutes: 15\nopen_z: -1\nbogus: 3\nhold_z: 9\n")
    with pytest.raises(YamlFileError) as error:
        load_dip_settings(path)
    text = str(error.value)
    assert f"{path}:2:9: open_z: Input should be greater than 0" in text
    assert f"{path}:3:8: bogus: Extra inputs are not permitted" in text


def test_settings_file_overrides_defaults(tmp_path: Path) -> None:
    path = tmp_path / "dips.yaml"
    path.write_text("min_affected_people: 8\nburn_rate_windows: []\n")
    settings = load_dip_settings(path)
    assert settings.min_affected_people == 8 and settings.burn_rate_windows == ()
    assert load_dip_settings("") == DipSettings()


def test_an_alertmanager_url_that_is_not_http_is_refused_with_the_variable_name() -> None:
    with pytest.raises(AlertmanagerError, match="XLAPULSE_ALERTMANAGER_URL"):
        AlertmanagerClient("alertmanager:9093")


def test_a_site_whose_minutes_arrive_after_its_peers_is_still_judged() -> None:
    """In the Faust worker each site's minutes come from its own partition: one site can
    be minutes or hours behind the others, so each site has its own event-time clock."""
    tracker = DipTracker(SETTINGS, {})
    outage = [bucket("utrecht", m, 0, 3, first_user=3 * m) for m in range(10, 40)]
    peers_first = sorted(calm(range(0, 130)), key=lambda b: b.minute_ms)
    late_site = sorted(
        [bucket("utrecht", m, 5, 0, 500) for m in (*range(0, 10), *range(40, 130))] + outage,
        key=lambda b: b.minute_ms,
    )
    transitions = [t for b in peers_first + late_site for t in tracker.add(b)]
    assert transitions[0].state == "opened"
    assert transitions[-1].state == "closed"
    assert transitions[0].event_time_ms - transitions[0].onset_ms <= 3 * MINUTE_MS


def test_failures_that_arrive_late_still_open_a_dip_while_in_the_window() -> None:
    """Observations of one site come from users on several input partitions, so some of
    a minute's failures can arrive after the site's clock has moved on."""
    tracker = DipTracker(SETTINGS, {})
    on_time = [bucket("utrecht", m, 2, 0, 900) for m in range(0, 31)]
    feed(tracker, calm(range(0, 31)) + on_time)
    late = []
    for minute in range(22, 31):
        replaced = bucket("utrecht", minute, 2, 3, first_user=3 * minute)
        late += tracker.add(replaced)
    assert [dip.state for dip in late] == ["opened"]
    assert late[0].onset_ms == T0 + 22 * MINUTE_MS
    assert late[0].event_time_ms == T0 + 30 * MINUTE_MS, "judged at the site's clock"
    stale = bucket("utrecht", 2, 0, 9, first_user=500)
    assert tracker.add(stale) == [], "older than the window: stored, not judged again"


# --- durable state (state.py) -----------------------------------------------------------


def restarted(tracker: DipTracker, publisher: DipPublisher, stored: dict) -> tuple:
    """What a new worker has: the table's records (JSON round trip), nothing in memory."""
    for key in tracker.take_changed():
        record = scope_record(tracker, publisher.told, key)
        if record is None:
            stored.pop(key, None)
        else:
            stored[key] = json.loads(json.dumps(record))
    new_tracker, new_publisher = DipTracker(SETTINGS, {}), DipPublisher()
    restore_persona(new_tracker, new_publisher.told, "field_worker", stored.items())
    return new_tracker, new_publisher


def test_a_restarted_worker_goes_on_with_the_open_dip_and_closes_it_once() -> None:
    """Killed mid-outage (after the dip opened, its people told): the new worker gets the
    records of the dip-state table, the buckets since the last commit again, then the
    rest. The dip keeps its id, is never opened again, closes once, tells the resolution
    to everyone told before the restart, and its affected people keep growing from the
    stored ones."""
    outage = [bucket("utrecht", m, 0, 3, first_user=3 * m) for m in range(10, 40)]
    before = [bucket("utrecht", m, 5, 0, 500) for m in range(0, 10)]
    after = [bucket("utrecht", m, 5, 0, 500) for m in range(40, 130)]
    everything = sorted(calm(range(0, 130)) + before + outage + after, key=lambda b: b.minute_ms)
    cut = next(n for n, b in enumerate(everything) if b.minute_ms == T0 + 25 * MINUTE_MS)
    tracker, publisher = DipTracker(SETTINGS, {}), DipPublisher()
    first = [publisher.publish(tracker.add(b)) for b in everything[:cut]]
    opened = [event for outputs in first for event in outputs.events if event.state == "opened"]
    told = {
        person for outputs in first for notice in outputs.notices for person in notice.recipients
    }
    assert len(opened) == 1 and told
    people_at_cut = max(e.affected_people for outputs in first for e in outputs.events)
    tracker, publisher = restarted(tracker, publisher, {})
    redelivered = everything[cut - 20 :]  # the last commit was a little earlier
    second = [publisher.publish(tracker.add(b)) for b in redelivered]
    events = [event for outputs in second for event in outputs.events]
    assert [e.state for e in events].count("opened") == 0, "not opened a second time"
    closed = [e for e in events if e.state == "closed"]
    assert len(closed) == 1 and closed[0].dip_id == opened[0].dip_id
    assert closed[0].affected_people > people_at_cut, "the stored people, and the new ones"
    resolved = [n for outputs in second for n in outputs.notices if n.kind == "resolved"]
    assert len(resolved) == 1 and told <= set(resolved[0].recipients)
    assert not [n for outputs in second for n in outputs.notices if n.kind != "resolved"
                and set(n.recipients) & told], "nobody is told twice"  # fmt: skip


def test_the_seasonal_history_survives_a_restart_and_no_hour_is_remembered_twice() -> None:
    """Three hours of a calm site, a restart, and the last hour's buckets again: the
    history holds each hour once, as it would without the restart."""
    hours = [bucket("utrecht", m, 12, 0, 100) for m in range(0, 3 * 60 + 1)]
    tracker = DipTracker(SETTINGS, {})
    feed(tracker, hours)
    key = Scope("field_worker", "utrecht", "vpn").key()
    expected = tracker.personas["field_worker"].history
    tracker, _ = restarted(tracker, DipPublisher(), {})
    feed(tracker, hours[-61:])
    history = tracker.personas["field_worker"].history
    assert history.weekly[key] == expected.weekly[key] and len(expected.weekly[key]) == 3
    assert history.daily[key] == expected.daily[key]


# --- a restart ----------------------------------------------------------------------------


def burn_bucket(minute: int, misses: int) -> MinuteBucket:
    """Ten VPN samples of ten people at utrecht, ``misses`` of them missing ``vpn-ok``."""
    result = MinuteBucket(Scope("field_worker", "utrecht", "vpn"), T0 + minute * MINUTE_MS)
    for index in range(10):
        missed = index < misses
        band = Band.FRUSTRATING if missed else Band.GOOD
        result.add(sample(minute * 10 + index, minute, band, hits=(("vpn-ok", not missed),)))
    return result


def test_a_restarted_tracker_refilled_from_the_buckets_topic_judges_like_one_that_ran_on() -> None:
    """Six calm hours, then a 15-minute blip of 40 % misses (budget 5 %). A tracker that
    ran on sees the blip against the six hours and stays quiet; one restarted with empty
    windows sees only the blip, which burns the 6-hour budget 8x over its 30 minutes: a
    false slow-burn warning after every restart. Refilled (``preload``) it stays quiet."""
    budgets = {"field_worker": {"vpn-ok": Budget("vpn", 0.05)}}
    calm = [burn_bucket(m, 0) for m in range(0, 360)]
    blip = [burn_bucket(m, 4) for m in range(360, 375)]
    ran_on = DipTracker(SETTINGS, budgets)
    assert feed(ran_on, calm + blip) == []
    empty = DipTracker(SETTINGS, budgets)
    opened = [t for t in feed(empty, blip) if t.state == "opened"]
    assert [(t.detector, t.severity) for t in opened] == [("burn_rate", "warning")]
    refilled = DipTracker(SETTINGS, budgets)
    for item in calm:
        refilled.preload(item)
    assert feed(refilled, blip) == []


def test_an_outage_whose_minutes_all_arrive_late_is_found_at_its_own_minutes() -> None:
    """A catch-up: Utrecht's outage minutes come from a slower input partition, 40
    minutes after the site's later (calm) minutes. They are judged at their own minutes,
    so the same dip opens at the same minute as when everything arrived in order."""
    outage = [bucket("utrecht", m, 0, 3, first_user=3 * m) for m in range(60, 90)]
    before = [bucket("utrecht", m, 5, 0, 500) for m in range(0, 60)]
    after = [bucket("utrecht", m, 5, 0, 500) for m in range(90, 130)]
    in_order = feed(DipTracker(SETTINGS, {}), calm(range(0, 130)) + before + outage + after)
    first_opened = next(t for t in in_order if t.state == "opened")
    tracker = DipTracker(SETTINGS, {})
    late = feed(tracker, calm(range(0, 130)) + before + after)
    late += [t for item in outage for t in tracker.add(item)]
    opened = [t for t in late if t.state == "opened"]
    assert [(t.dip_id, t.event_time_ms) for t in opened] == [
        (first_opened.dip_id, first_opened.event_time_ms)
    ]
    # the site's later minutes close it; the outage's minutes, arriving later still,
    # do not open it a second time
    later = feed(tracker, [bucket("utrecht", m, 5, 0, 500) for m in range(130, 180)])
    later += [t for item in outage for t in tracker.add(item)]
    assert [t.state for t in later] == ["closed"]


def window(samples: int, tolerating: int, frustrating: int, lost_s: list[float]) -> WindowTotals:
    """A window whose samples lost ``lost_s`` seconds each (the rest none)."""
    return WindowTotals(
        samples=samples,
        tolerating=tolerating,
        frustrating=frustrating,
        time_lost_ms=round(sum(lost_s) * 1000),
        time_lost_sq_s2=sum(s * s for s in lost_s),
        affected_users={user(i) for i in range(tolerating + frustrating)},
    )


#: peers where a fifth of the logons are over the threshold (tolerating), 2 s lost each
CALM_PEERS = [window(40, 8, 0, [10.0] * 8) for _ in range(3)]


def test_every_sample_of_a_site_slowed_within_4t_fires_on_time_lost() -> None:
    """The GPO case: five logons, each +45 s and tolerating. Badness (a tolerating sample
    counts half) cannot back the rise in time lost at five samples; the share of samples
    over the threshold can (5 of 5 at the peers' 1 in 5)."""
    slowed = window(5, 5, 0, [45.0] * 5)
    finding = peer(slowed, CALM_PEERS, SETTINGS)
    assert finding is not None and finding.fires and finding.metric == "time_lost_s"


def test_a_few_broken_samples_do_not_fire_on_time_lost() -> None:
    """Time lost is heavy-tailed: two frustrating samples of 300 s (two people) lift a
    twenty-sample mean to 30 s, but 2 in 20 over the threshold is fewer than the peers
    have anyway."""
    one_broken = window(20, 0, 2, [300.0, 300.0])
    finding = peer(one_broken, CALM_PEERS, SETTINGS)
    assert finding is not None and not finding.fires
