"""The persona-wide scope of dip detection (``streams/dips/all_sites.py``): an incident
everywhere opens one dip over all sites sooner than any site could, an outage at one
site stays that site's, and what the dip publishes says "all sites"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from tests.unit.test_dips import SETTINGS, T0, bucket, calm, feed, sample
from xlapulse.collectors.contract.outputs import DipEvent
from xlapulse.collectors.simulator.truth import IncidentTruth, Person
from xlapulse.collectors.simulator.truth import Scope as TruthScope
from xlapulse.streams.dips.alertmanager import alert_for
from xlapulse.streams.dips.all_sites import all_sites_clock, largest_site_share, merged
from xlapulse.streams.dips.buckets import ALL_SITES, MINUTE_MS, MinuteBucket, Scope
from xlapulse.streams.dips.detectors import Budget
from xlapulse.streams.dips.notices import notice_for
from xlapulse.streams.dips.publish import dip_event, summary
from xlapulse.streams.dips.state import restore_persona, scope_record
from xlapulse.streams.dips.tracker import DipTracker
from xlapulse.streams.evaluation.dips import judge, people_floor
from xlapulse.streams.scoring.indicators import Band

SITES = ("amsterdam", "rotterdam", "eindhoven", "utrecht")
DAY_MINUTES = 24 * 60


def calm_working_days(days: int = 3) -> list:
    """The same hour of three calm working days: the seasonal detector's first baseline."""
    return [
        bucket(site, d * DAY_MINUTES + m, 6, 0, 100 * (i + 1))
        for d in range(days)
        for m in range(0, 66)
        for i, site in enumerate(SITES)
    ]


def sparse_incident_everywhere(tracker: DipTracker) -> list:
    """Thursday: from 08:10 one new person per site and minute fails (every site hit)."""
    thursday = [
        bucket(site, 3 * DAY_MINUTES + m, 1, 1 if m >= 10 else 0, 1000 * (i + 1) + m * 10)
        for m in range(0, 40)
        for i, site in enumerate(SITES)
    ]
    return feed(tracker, thursday)


def test_an_incident_everywhere_opens_over_all_sites_before_any_site_has_five_people() -> None:
    tracker = DipTracker(SETTINGS, {})
    assert feed(tracker, calm_working_days()) == []
    transitions = sparse_incident_everywhere(tracker)
    opened = [t for t in transitions if t.state == "opened"]
    assert [t.scope for t in opened] == [Scope("field_worker", ALL_SITES, "vpn")]
    # one new person per site and minute: no site has five before 08:14
    fifth_at_one_site_ms = T0 + (3 * DAY_MINUTES + 14) * MINUTE_MS
    assert opened[0].event_time_ms < fifth_at_one_site_ms
    assert opened[0].affected_people >= SETTINGS.min_affected_people
    assert opened[0].onset_ms == T0 + (3 * DAY_MINUTES + 10) * MINUTE_MS
    # the sites' own candidates did not open beside it
    assert all(t.scope.site == ALL_SITES for t in transitions)


def test_the_same_incident_at_one_site_opens_only_once_that_site_has_five_people() -> None:
    """What the persona-wide scope gains: the same trickle at a single site waits for the
    site's own fifth person (its all-sites scope holds one site only, so never opens)."""
    tracker = DipTracker(SETTINGS, {})
    history = [b for b in calm_working_days() if b.scope.site == "utrecht"]
    assert feed(tracker, history) == []
    thursday = [
        bucket("utrecht", 3 * DAY_MINUTES + m, 1, 1 if m >= 10 else 0, 1000 + m * 10)
        for m in range(0, 40)
    ]
    opened = [t for t in feed(tracker, thursday) if t.state == "opened"]
    assert [t.scope.site for t in opened] == ["utrecht"]
    assert opened[0].event_time_ms >= T0 + (3 * DAY_MINUTES + 14) * MINUTE_MS


def test_an_outage_at_one_site_is_that_sites_dip_not_the_personas() -> None:
    tracker = DipTracker(SETTINGS, {})
    outage = [bucket("utrecht", m, 0, 6, first_user=6 * m) for m in range(10, 40)]
    before = [bucket("utrecht", m, 5, 0, 500) for m in range(0, 10)]
    transitions = feed(tracker, calm(range(0, 40)) + before + outage)
    opened = [t for t in transitions if t.state == "opened"]
    assert [t.scope.site for t in opened] == ["utrecht"]
    series = tracker.personas["field_worker"]
    everywhere = Scope("field_worker", ALL_SITES, "vpn").key()
    # the persona-wide scope saw the outage (its buckets hold the site's people) ...
    assert any(b.bad for b in series.buckets[everywhere].values())
    # ... but one site held all of its affected people, so it did not open
    candidate = series.dips.get(everywhere)
    assert candidate is None or candidate.state == "candidate"
    if candidate is not None:
        assert largest_site_share(series, candidate) > 0.5


def test_the_all_sites_bucket_is_the_sum_of_the_sites_and_follows_a_replaced_bucket() -> None:
    parts = [bucket(site, 5, 3, 2, 100 * (i + 1)) for i, site in enumerate(SITES)]
    total = merged(Scope("field_worker", ALL_SITES, "vpn"), T0 + 5 * MINUTE_MS, parts)
    assert (total.samples, total.frustrating) == (20, 8)
    assert total.affected_users == set().union(*(p.affected_users for p in parts))
    assert total.time_lost_ms == sum(p.time_lost_ms for p in parts)
    assert total.details == sum((p.details for p in parts), start=type(total.details)())
    tracker = DipTracker(SETTINGS, {})
    feed(
        tracker,
        [bucket(site, m, 3, 0, 100 * (i + 1)) for m in range(3) for i, site in enumerate(SITES)],
    )
    tracker.add(bucket("utrecht", 0, 0, 3, 900))  # minute 0 again, now bad (late copy)
    feed(tracker, [bucket(site, 3, 3, 0, 100 * (i + 1)) for i, site in enumerate(SITES)])
    series = tracker.personas["field_worker"]
    minute_zero = series.buckets[Scope("field_worker", ALL_SITES, "vpn").key()][T0]
    assert (minute_zero.samples, minute_zero.frustrating) == (12, 3)


def test_the_all_sites_clock_waits_for_current_sites_not_for_quiet_ones() -> None:
    assert all_sites_clock({}, 2 * MINUTE_MS) == 0
    clocks = {"a": 10 * MINUTE_MS, "b": 9 * MINUTE_MS, "night": MINUTE_MS}
    assert all_sites_clock(clocks, 2 * MINUTE_MS) == 9 * MINUTE_MS


def test_an_all_sites_dip_says_so_to_ops_and_to_the_people_told() -> None:
    tracker = DipTracker(SETTINGS, {})
    feed(tracker, calm_working_days())
    dip = next(t for t in sparse_incident_everywhere(tracker) if t.state == "opened")
    assert summary(dip).startswith("vpn for field_worker at all sites:")
    event = dip_event(dip)
    assert event.site == ALL_SITES
    alert = alert_for(event, "https://grafana.corp/")
    assert alert["labels"]["site"] == ALL_SITES
    assert "var-site=%24__all" in alert["annotations"]["dashboard"]
    notice = notice_for(dip, set())
    assert notice is not None and len(notice.recipients) == dip.affected_people
    assert (
        notice.messages["en"] == "We know that VPN at all sites is not working well; we are on it."
    )
    assert notice.messages["nl"].startswith("We weten dat VPN op alle locaties hapert")


def test_an_open_all_sites_dip_survives_a_restart_of_its_tracker() -> None:
    tracker = DipTracker(SETTINGS, {})
    feed(tracker, calm_working_days())
    dip = next(t for t in sparse_incident_everywhere(tracker) if t.state == "opened")
    key = dip.scope.key()
    record = scope_record(tracker, {dip.dip_id: {"u_1"}}, key)
    assert record is not None and record["dip"]["dip_id"] == dip.dip_id
    restored, told = DipTracker(SETTINGS, {}), {}
    assert restore_persona(restored, told, "field_worker", [(key, record)]) == 1
    state_then = tracker.personas["field_worker"].dips[key].state
    assert restored.personas["field_worker"].dips[key].state == state_then
    assert told == {dip.dip_id: {"u_1"}}


def test_the_evaluation_matches_an_all_sites_dip_to_an_incident_at_several_sites() -> None:
    start = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    people = {
        f"u_{i}": Person(f"u_{i}", "developer", SITES[i % 4], files_tickets=False) for i in range(8)
    }
    everywhere = IncidentTruth(
        "release",
        "app_hang",
        TruthScope("app", frozenset(SITES), frozenset({"developer"})),
        start,
        start + timedelta(hours=2),
        frozenset(people),
        start,
        {user: start + timedelta(minutes=i) for i, user in enumerate(people)},
    )
    one_site = IncidentTruth(
        "outage",
        "vpn_outage",
        TruthScope("vpn", frozenset({"utrecht"}), frozenset({"developer"})),
        start,
        start + timedelta(hours=2),
        frozenset(),
        None,
    )
    # eight people over four sites, one a minute: five anywhere at 08:04, never five at one
    assert people_floor(everywhere, people, 5) == start + timedelta(minutes=4)
    dip = DipEvent.model_validate(
        dip_event(_opened_everywhere()).model_dump()
        | {"persona": "developer", "touch_point": "app", "event_time": start + timedelta(minutes=6)}
    )
    truth = SimpleNamespace(incidents=[everywhere, one_site], people=people)
    results, false = judge(truth, [dip])
    assert [len(r.dips) for r in results] == [1, 0] and false == []
    vpn_dip = DipEvent.model_validate(dip.model_dump() | {"touch_point": "vpn"})
    one_site_only = SimpleNamespace(incidents=[one_site], people=people)
    results, false = judge(one_site_only, [vpn_dip])
    assert false == [vpn_dip], "a dip over all sites does not explain a one-site incident"


def _opened_everywhere():
    tracker = DipTracker(SETTINGS, {})
    feed(tracker, calm_working_days())
    return next(t for t in sparse_incident_everywhere(tracker) if t.state == "opened")


def objective_bucket(site: str, minute: int, people: list[tuple[int, bool]]) -> MinuteBucket:
    """One minute of VPN samples at ``site``: (person, missed ``vpn-ok``) each."""
    result = MinuteBucket(Scope("field_worker", site, "vpn"), T0 + minute * MINUTE_MS)
    for person, missed in people:
        band = Band.FRUSTRATING if missed else Band.GOOD
        result.add(sample(person, minute, band, site=site, hits=(("vpn-ok", not missed),)))
    return result


def test_an_outage_at_a_quiet_site_is_that_sites_dip_even_where_its_people_are_few() -> None:
    """The same five people at quiet Utrecht fail every minute; the busy sites have a
    miss now and then, each time by someone new. Utrecht holds a quarter of the persona's
    affected people, so the share rule alone would let the persona-wide burn rate (its
    misses are mostly Utrecht's) open a dip "at all sites". Without Utrecht the other sites
    do not burn: only Utrecht's dip opens."""
    budgets = {"field_worker": {"vpn-ok": Budget("vpn", 0.05)}}
    tracker = DipTracker(SETTINGS, budgets)
    minutes = []
    for m in range(0, 40):
        minutes.append(objective_bucket("utrecht", m, [(p, True) for p in range(5)]))
        for i, site in enumerate(SITES[:3]):
            newcomer = 1000 * (i + 1) + m
            minutes.append(objective_bucket(site, m, [(newcomer, m % 4 == 0), (900 + i, False)]))
    transitions = feed(tracker, minutes)
    opened = [t for t in transitions if t.state == "opened"]
    assert [t.scope.site for t in opened] == ["utrecht"]
    series = tracker.personas["field_worker"]
    candidate = series.dips.get(Scope("field_worker", ALL_SITES, "vpn").key())
    assert candidate is not None and candidate.state == "candidate", "it fired, and waits"
    assert largest_site_share(series, candidate) <= 0.5
