"""The report's summaries and HTML page, on a small day of events built by hand.

The day: field workers at Utrecht lose the VPN at 10:00 and five of them call
the service desk (fewer would not be published); field workers at Amsterdam and
knowledge workers at Amsterdam have a normal day; one knowledge worker files a
ticket without any signal (one person: not published); four developers at
Eindhoven are too few to be shown at all.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from tests.unit.engine_events import assignment_event, ticket_event
from xlapulse.collectors.contract.events import (
    EventBase,
    LogonEvent,
    SurveyAnswerEvent,
    TicketEvent,
    VpnSessionEvent,
)
from xlapulse.streams.inprocess import InProcessPipeline
from xlapulse.streams.report import plots, summary
from xlapulse.streams.report.html import RunInfo, render_report, write_report
from xlapulse.streams.report.timeline import Span
from xlapulse.streams.scoring.journey import JOURNEY_FORMULA_VERSION
from xlapulse.streams.scoring.records import FORMULA_VERSION

DAY = datetime(2026, 11, 23, tzinfo=UTC)
DAY_MS = int(DAY.timestamp() * 1000)
GROUPS = {
    ("field_worker", "utrecht"): 8,
    ("field_worker", "amsterdam"): 6,
    ("knowledge_worker", "amsterdam"): 6,
    ("developer", "eindhoven"): 4,
}
CALLERS = 5


def at(hour: float, minute: float = 0) -> datetime:
    return DAY + timedelta(hours=hour, minutes=minute)


def user(persona: str, site: str, index: int) -> str:
    return "u_" + hashlib.sha256(f"{persona}/{site}/{index}".encode()).hexdigest()[:32]


def device(user_id: str) -> str:
    return "d_" + user_id[2:]


def ticket(user_id: str, ticket_id: str, action: str, when: datetime, **extra) -> TicketEvent:
    return ticket_event(user_id, action, when, ticket_id, **extra)


def person_day(persona: str, site: str, index: int) -> list[EventBase]:
    uid = user(persona, site, index)
    events: list[EventBase] = [
        assignment_event(uid, at(7), persona, site),
        LogonEvent(
            event_time=at(8, index), user_id=uid, device_id=device(uid), logon_duration_ms=9_000
        ),
        VpnSessionEvent(
            event_time=at(8, 10 + index), user_id=uid, device_id=device(uid), state="connected"
        ),
    ]
    outage = (persona, site) == ("field_worker", "utrecht")
    if outage:
        events += [
            VpnSessionEvent(
                event_time=at(10, index), user_id=uid, device_id=device(uid), state="dropped"
            ),
            VpnSessionEvent(
                event_time=at(11, 30 + index), user_id=uid, device_id=device(uid), state="failed"
            ),
        ]
        if index < CALLERS:
            tid = f"VPN-{index}"
            events += [
                ticket(uid, tid, "created", at(10, 40 + index), priority=2),
                ticket(uid, tid, "first_contact", at(11, index)),
                ticket(uid, tid, "resolved", at(12, index), sla_breached=False),
            ]
    events.append(
        VpnSessionEvent(
            event_time=at(13, index), user_id=uid, device_id=device(uid), state="connected"
        )
    )
    events.append(
        SurveyAnswerEvent(
            event_time=at(15, index),
            user_id=uid,
            score=3 if outage else 9,
            self_reported_lost_minutes=40 if outage else 0,
        )
    )
    if persona == "knowledge_worker" and index == 0:
        events.append(ticket(uid, "NOSIG-1", "created", at(14)))
    return events


@pytest.fixture(scope="module")
def pipeline() -> InProcessPipeline:
    events = [
        event
        for (persona, site), people in GROUPS.items()
        for index in range(people)
        for event in person_day(persona, site, index)
    ]
    pipeline = InProcessPipeline()
    for event in sorted(events, key=lambda e: e.event_time):
        pipeline.feed_event(event)
    pipeline.flush()
    return pipeline


def test_the_outage_site_has_the_lowest_vpn_score(pipeline) -> None:
    records = list(pipeline.records.values())
    vpn = summary.site_scores(records, "vpn")
    assert min(vpn, key=lambda key: vpn[key].score) == ("field_worker", "utrecht")
    assert vpn["field_worker", "amsterdam"].score == 100.0
    worst = {w.touch_point: w for w in summary.worst_windows(records)}
    assert (worst["vpn"].persona, worst["vpn"].site) == ("field_worker", "utrecht")


def test_tickets_are_explained_by_the_vpn_and_the_others_are_silent(pipeline) -> None:
    desks = summary.service_desk(list(pipeline.records.values()))
    field = desks["field_worker"]
    assert field.tickets_opened == CALLERS
    assert field.explained_by == {"vpn": CALLERS}
    assert field.silent_sufferers == GROUPS["field_worker", "utrecht"] - CALLERS
    assert field.sla_met_ratio == 1.0
    assert field.self_reported_lost_ms == 8 * 40 * 60_000
    knowledge = desks["knowledge_worker"]
    assert (knowledge.tickets_opened, knowledge.without_signal) == (0, 0), "one person's ticket"


def test_too_small_groups_are_never_summarised(pipeline) -> None:
    records = list(pipeline.records.values())
    assert "developer" not in {record.tags["persona"] for record in records}
    assert all(stats.persona != "developer" for stats in summary.journey_stats(records))


def test_the_outage_victims_remember_the_worst_journeys(pipeline) -> None:
    """Means of five people or more, never one person's journey."""
    stats = {(s.persona, s.site): s for s in summary.journey_stats(pipeline.records.values())}
    victims = stats["field_worker", "utrecht"]
    calm = stats["field_worker", "amsterdam"]
    assert victims.users == GROUPS["field_worker", "utrecht"]
    assert victims.mean_score < calm.mean_score
    assert victims.mean_worst_moment == 0.0  # every victim's worst moment was a drop
    assert victims.mean_end == 100.0  # the day ended on a good VPN session


class _Page(HTMLParser):
    """Collects section ids, headings, svg count and the table rows of each section."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.svg_count = 0
        self.rows: dict[str, list[list[str]]] = {}
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            raise AssertionError("the report must not contain JavaScript")
        if tag == "section":
            self.sections.append(dict(attrs)["id"])
            self.rows[self.sections[-1]] = []
        elif tag == "svg":
            self.svg_count += 1
        elif tag == "tr":
            self.rows[self.sections[-1]].append([])
        elif tag == "td":
            self._in_cell = True

    def handle_endtag(self, tag):
        if tag == "td":
            self._in_cell = False

    def handle_data(self, data):
        if self._in_cell:
            self.rows[self.sections[-1]][-1].append(data)

    def row(self, section: str, first: str) -> list[str]:
        return next(row for row in self.rows[section] if row and row[0] == first)


def test_the_report_has_every_section_and_plot_with_the_pipelines_numbers(
    pipeline, tmp_path
) -> None:
    run = RunInfo(
        title="test day",
        description="a VPN outage at Utrecht",
        events=sum(pipeline.outcomes.values()),
        dead_letters=pipeline.outcomes["dead_letter"],
        invitations=len(pipeline.invitations),
        incidents=[
            Span(
                "vpn-utrecht-down",
                frozenset({"utrecht"}),
                DAY_MS + 10 * 3_600_000,
                DAY_MS + 13 * 3_600_000,
            )
        ],
    )
    page = render_report(pipeline.records.values(), pipeline.config, run)
    parsed = _Page()
    parsed.feed(page)
    # "how to read" comes first
    assert parsed.sections == ["formula", "scores", "dips", "journeys", "xla", "tickets"]
    assert parsed.svg_count == 5
    for title in (
        "How to read this report",
        "Where and when did the experience drop?",
        "How will people remember each day?",
        "Which XLA objectives do we miss, and for whom?",
        "Which problems drive tickets, and who suffers without calling?",
        "How much time did people lose?",
        "vpn-utrecht-down",
        "time (Europe/Amsterdam, CET)",
    ):
        assert title in page
    config = pipeline.config
    versions = [row[1] for row in parsed.rows["formula"] if row]
    assert versions == [FORMULA_VERSION, JOURNEY_FORMULA_VERSION, config.version, config.digest]
    assert f"{len(pipeline.invitations)} survey invitations triggered" in page
    assert len(pipeline.invitations) == GROUPS["field_worker", "utrecht"]
    # tickets, explained, without signal, silent sufferers of the field workers
    assert parsed.row("tickets", "field_worker")[1:5] == ["5", "5", "0", "3"]
    assert parsed.row("tickets", "knowledge_worker")[1:4] == ["0", "0", "0"], "one person"
    worst_vpn = parsed.row("scores", "vpn")
    assert worst_vpn[1:3] == ["field_worker", "utrecht"]
    assert float(worst_vpn[4]) == min(
        s.score for s in summary.site_scores(list(pipeline.records.values()), "vpn").values()
    )
    # privacy: no pseudonym anywhere, not even a shortened one
    everyone = {user(p, s, i) for (p, s), n in GROUPS.items() for i in range(n)}
    assert not any(uid[:10] in page for uid in everyone)
    assert "developer" not in page
    written = write_report(tmp_path / "out" / "report.html", page)
    assert written.read_text(encoding="utf-8") == page


def test_an_empty_run_still_renders_every_section_saying_there_is_no_data() -> None:
    empty = InProcessPipeline()
    run = RunInfo(title="empty", description="", events=0, dead_letters=0, invitations=0)
    page = render_report([], empty.config, run)
    parsed = _Page()
    parsed.feed(page)
    assert parsed.sections == ["formula", "scores", "dips", "journeys", "xla", "tickets"]
    assert parsed.svg_count == 5
    assert page.count(plots.NO_DATA) == 5


def test_the_overall_of_all_sites_weights_touch_points_like_the_engine(pipeline) -> None:
    records = list(pipeline.records.values())
    combined = summary.touch_point_scores(records, pipeline.config, DAY_MS)
    # knowledge workers sit at one site only: the combined overall is the cell's own
    (cell_overall,) = [
        r
        for r in summary.of(records, "experience_score", "1d")
        if r.tags["persona"] == "knowledge_worker" and r.tags["touch_point"] == "overall"
    ]
    assert combined["knowledge_worker", "overall"].score == pytest.approx(
        cell_overall.fields["score"], abs=0.001
    )
    weights = pipeline.config.persona("field_worker").weights
    parts = {p: s.score for (persona, p), s in combined.items() if persona == "field_worker"}
    parts.pop("overall")
    expected = sum(score * weights[p] for p, score in parts.items()) / sum(
        weights[p] for p in parts
    )
    assert combined["field_worker", "overall"].score == pytest.approx(expected)
    assert combined["field_worker", "vpn"].score < 100.0


def test_dips_are_listed_and_marked_on_the_score_plot(pipeline) -> None:
    from datetime import UTC, datetime, timedelta

    from xlapulse.collectors.contract.outputs import DipEvent

    opened_at = datetime.fromtimestamp(DAY_MS / 1000, UTC) + timedelta(hours=10, minutes=3)

    def dip(state: str, at: datetime) -> DipEvent:
        return DipEvent(
            event_id=uuid.uuid4(),
            event_time=at,
            dip_id="dip_" + "c" * 20,
            state=state,
            persona="field_worker",
            site="utrecht",
            touch_point="vpn",
            detector="burn_rate",
            severity="critical",
            onset_time=opened_at - timedelta(minutes=3),
            affected_people=7,
            time_lost_s=2100.0,
            tickets=2,
            likely_cause="VPN drops (gateway vpn-utr-01) since 10:00 UTC",
            summary="vpn for field_worker at utrecht",
            metric="badness",
            value=1.0,
            reference=0.0,
        )

    run = RunInfo(
        title="test day",
        description="",
        events=1,
        dead_letters=0,
        invitations=0,
        dips=[dip("opened", opened_at), dip("closed", opened_at + timedelta(hours=2))],
    )
    page = render_report(pipeline.records.values(), pipeline.config, run)
    parsed = _Page()
    parsed.feed(page)
    row = next(r for r in parsed.rows["dips"] if r and r[2:5] == ["field_worker", "utrecht", "vpn"])
    assert row[5:8] == ["burn_rate", "critical", "7"]
    assert row[8] == "VPN drops (gateway vpn-utr-01) since 10:00 UTC"
    assert "vpn · field worker" in page, "the dip's label on its site's panel"
