"""k-anonymity: no published figure describes fewer than five distinct people.

A property test (hypothesis) counts random observations of a few people into a cell
and checks every field of every record ``cell_records`` publishes against the people
it rests on, computed here from the observations alone. The field table below covers
every measurement of ``streams/sink/points.py``; a field it does not know fails the
test, so a new figure cannot be published without saying whose it is.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.xla_helpers import JUDGE_EVERY_SAMPLE
from xlapulse.streams.scoring.cell_counts import add_observation, print_server_component
from xlapulse.streams.scoring.cells import (
    COMPONENT_BREAKDOWNS,
    PRINT_SERVER,
    UNKNOWN_COMPONENT,
    Cell,
)
from xlapulse.streams.scoring.component_record import OTHER_COMPONENT
from xlapulse.streams.scoring.exposure import ACTIVE, EXPOSURES, FAILURE_EXPOSURE, VPN_DOWN
from xlapulse.streams.scoring.exposure_clock import ExposureClock, apply
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.observations import (
    ExposureObservation,
    JourneyObservation,
    Observation,
    SampleObservation,
    SurveyObservation,
    TicketObservation,
)
from xlapulse.streams.scoring.personas import SERVICE_DESK, TELEMETRY_TOUCH_POINTS
from xlapulse.streams.scoring.published import DIP, MEASUREMENTS, MIN_USERS_PER_AGGREGATE, Record
from xlapulse.streams.scoring.records import cell_records
from xlapulse.streams.scoring.xla import OVERALL, SENTIMENT
from xlapulse.streams.sink.points import TAG_KEYS

#: Every objective judged from its first sample, so compliance points are published often.
CONFIG = JUDGE_EVERY_SAMPLE
DAY_START_MS = 1_795_392_000_000  # 2026-11-23 00:00 UTC
TARGET_MS = 3 * 86_400_000
PERSONAS = ("call_centre_agent", "executive", "field_worker", "knowledge_worker", "developer")


def user(n: int) -> str:
    return f"u_{n:032x}"


class People:
    """Who each figure rests on, from the observations alone (not from the cell)."""

    def __init__(self, observations: list[Observation]) -> None:
        self.observations = observations

    def _who(self, keep: Callable[[Observation], bool]) -> set[str]:
        return {o.user_id for o in self.observations if keep(o)}

    def of_touch_point(self, point: str) -> set[str]:
        if point == SERVICE_DESK:
            return self._who(lambda o: isinstance(o, TicketObservation) and o.stage == "handled")
        return self._who(lambda o: isinstance(o, SampleObservation) and o.touch_point == point)

    def telemetry(self) -> set[str]:
        return self._who(lambda o: isinstance(o, SampleObservation))

    def openers(self) -> set[str]:
        return self._who(lambda o: isinstance(o, TicketObservation) and o.stage == "opened")

    def answerers(self, about_ticket: bool = False) -> set[str]:
        return self._who(
            lambda o: isinstance(o, SurveyObservation) and (o.about_ticket or not about_ticket)
        )

    def self_reporters(self) -> set[str]:
        return self._who(
            lambda o: isinstance(o, SurveyObservation) and o.self_reported_lost_ms is not None
        )

    def journeys(self) -> set[str]:
        return self._who(lambda o: isinstance(o, JourneyObservation))

    def of_component(self, point: str, names: set[str]) -> set[str]:
        """Who had a sample of the touch point naming one of the components (print
        servers: who printed through one of them)."""
        return self._who(
            lambda o: (
                isinstance(o, SampleObservation)
                and o.touch_point == breakdown_touch_point(point)
                and breakdown_name(point, o) in names
            )
        )

    def exposed(self, exposure: str) -> set[str]:
        """Who had an exposure interval of this kind."""
        return self._who(lambda o: isinstance(o, ExposureObservation) and o.exposure == exposure)


def breakdown_touch_point(breakdown: str) -> str:
    """The touch point a ``component`` breakdown (its ``touch_point`` tag) divides."""
    return "print" if breakdown == PRINT_SERVER else breakdown


def breakdown_name(breakdown: str, sample: SampleObservation) -> str:
    """The name the breakdown gives the sample's component."""
    component = sample.component or UNKNOWN_COMPONENT
    return print_server_component(component) if breakdown == PRINT_SERVER else component


def _overall_people(people: People, published: set[str]) -> set[str]:
    return set().union(*(people.of_touch_point(point) for point in published))


def _objective_people(people: People, record: Record, published: set[str]) -> set[str]:
    point = record.tags["touch_point"]
    if record.tags["kind"] == "happiness_at_least":
        return people.answerers(about_ticket=point == SERVICE_DESK)
    if point == OVERALL:
        return _overall_people(people, published)
    assert point != SENTIMENT, "sentiment objectives are happiness objectives"
    return people.of_touch_point(point)


SERVICE_DESK_GROUPS: dict[str, Callable[[People], set[str]]] = {
    **dict.fromkeys(
        ("silent_sufferers", "users_suffering", "users_frustrated", "telemetry_time_lost_ms"),
        People.telemetry,
    ),
    **dict.fromkeys(
        (
            "tickets_opened",
            "explained",
            "without_signal",
            "explained_via_device",
            "signal_time_lost_ms",
        ),
        People.openers,
    ),
    **dict.fromkeys(("self_reported_lost_ms", "self_reported_answers"), People.self_reporters),
    **dict.fromkeys(
        (
            "handled",
            "no_contact",
            "reopened",
            "mean_first_contact_ms",
            "mean_reassignments",
            "reassigned_twice_ratio",
            "sla_met_ratio",
            "service_experience_score",
            "dex_score",
            "watermelon",
        ),
        lambda people: people.of_touch_point(SERVICE_DESK),
    ),
}


def people_of(
    people: People,
    record: Record,
    field: str,
    published: set[str],
    named: frozenset[tuple[str, str]] = frozenset(),
) -> set[str]:
    """The people one published field rests on; AssertionError for an unknown field.
    ``named``: the (touch point, component) published by name, for "other"."""
    measurement = record.measurement
    if measurement == "experience_score":
        point = record.tags["touch_point"]
        if point == OVERALL:
            return _overall_people(people, published)
        return people.of_touch_point(point)
    if measurement == "xla_compliance":
        return _objective_people(people, record, published)
    if measurement == "service_desk":
        if field.startswith("explained_by_"):
            return people.openers()
        assert field in SERVICE_DESK_GROUPS, f"service_desk.{field}: whose figure is it?"
        return SERVICE_DESK_GROUPS[field](people)
    if measurement == "sentiment":
        assert field in ("happiness", "answers", "users", "csat_ratio"), field
        return people.answerers(about_ticket=field == "csat_ratio")
    if measurement == "journey":
        return people.journeys()
    if measurement == "reliability":
        point = record.tags["touch_point"]
        if point == "print":
            return people.of_touch_point(point)
        if field in ("down_hours", "down_ratio"):
            return people.exposed(VPN_DOWN)
        return people.exposed(FAILURE_EXPOSURE[point])
    if measurement == "phase":
        point, phase = record.tags["touch_point"], record.tags["phase"]
        return people._who(
            lambda o: (
                isinstance(o, SampleObservation)
                and o.touch_point == point
                and phase in dict(o.phases)
            )
        )
    if measurement == "component":
        point, name = record.tags["touch_point"], record.tags["component"]
        if name != OTHER_COMPONENT:
            return people.of_component(point, {name})
        every = {
            breakdown_name(point, o)
            for o in people.observations
            if isinstance(o, SampleObservation) and o.touch_point == breakdown_touch_point(point)
        }
        return people.of_component(point, every - {n for p, n in named if p == point})
    raise AssertionError(f"measurement {measurement} has no people rule in this test")


def test_every_measurement_of_the_sink_has_a_people_rule() -> None:
    """people_of knows the cells' five; dips have their own property test below; a new
    measurement must be added to one of them first."""
    assert set(TAG_KEYS) == {*MEASUREMENTS, DIP}
    assert set(MEASUREMENTS) == {
        "experience_score",
        "xla_compliance",
        "service_desk",
        "sentiment",
        "journey",
        "reliability",
        "component",
        "phase",
    }


# --- observations -------------------------------------------------------------


@st.composite
def observations(draw: st.DrawFn) -> tuple[str, list[Observation]]:
    persona = draw(st.sampled_from(PERSONAS))
    people = draw(st.integers(min_value=1, max_value=9))
    count = draw(st.integers(min_value=1, max_value=45))
    made: list[Observation] = []
    for number in range(count):
        who = user(draw(st.integers(min_value=0, max_value=people - 1)))
        envelope = {
            "event_id": f"e{number}",
            "user_id": who,
            "persona": persona,
            "site": "utrecht",
            "event_time_ms": DAY_START_MS + number * 60_000,
        }
        kind = draw(
            st.sampled_from(("sample", "sample", "opened", "handled", "survey", "day", "exposure"))
        )
        made.append(_observation(draw, kind, envelope, number))
    return persona, made


def _observation(draw: st.DrawFn, kind: str, envelope: dict, number: int) -> Observation:
    band = draw(st.sampled_from(list(Band)))
    if kind == "sample":
        point = draw(st.sampled_from(TELEMETRY_TOUCH_POINTS))
        return SampleObservation(
            **envelope,
            touch_point=point,
            band=band,
            time_lost_ms=draw(st.integers(0, 600_000)),
            measured_ms=draw(st.none() | st.integers(0, 200_000)),
            score=draw(st.none() | st.floats(0, 100)),
            component=draw(
                st.none()
                | st.sampled_from(
                    (
                        "gw-1",
                        "ide 17.14",
                        "prn-2",
                        "x",
                        "\\\\srv1\\mfp",
                        "ipp://srv1/printers/a",
                        "mfp@srv2",
                    )
                )
            ),
            phases=tuple(
                (phase, draw(st.integers(1, 100_000)))
                for phase in ("group_policy", "antivirus_scan")
                if point in ("logon", "boot") and draw(st.booleans())
            ),
            objective_hits=tuple(
                (objective.id, draw(st.booleans()))
                for objective in CONFIG.objectives_for(envelope["persona"])
                if objective.touch_point == point
                and objective.kind in ("share_within", "frustrating_share_at_most")
            ),
        )
    if kind == "opened":
        return TicketObservation(
            **envelope,
            ticket_id=f"T{number}",
            stage="opened",
            explained_by=draw(st.none() | st.sampled_from(TELEMETRY_TOUCH_POINTS)),
            signal_time_lost_ms=draw(st.integers(0, 600_000)),
            via_device=draw(st.booleans()),
        )
    if kind == "handled":
        return TicketObservation(
            **envelope,
            ticket_id=f"T{number}",
            stage="handled",
            band=band,
            first_contact_ms=draw(st.none() | st.integers(0, 86_400_000)),
            resolution_ms=draw(st.integers(0, 10 * 86_400_000)),
            reassignments=draw(st.integers(0, 3)),
            reopened=draw(st.booleans()),
            sla_breached=draw(st.none() | st.booleans()),
        )
    if kind == "exposure":
        return ExposureObservation(
            **envelope,
            exposure=draw(st.sampled_from(EXPOSURES)),
            opened=False,
            holder="d_1",
            measured_ms=draw(st.integers(1, 3_600_000)),
        )
    if kind == "survey":
        return SurveyObservation(
            **envelope,
            score=draw(st.integers(0, 10)),
            self_reported_lost_ms=draw(st.none() | st.integers(0, 6_000_000)),
            about_ticket=draw(st.booleans()),
        )
    return JourneyObservation(
        **{**envelope, "event_id": f"journey:{number}"},
        day_start_ms=DAY_START_MS,
        score=draw(st.floats(0, 100)),
        mean=50.0,
        worst=draw(st.floats(0, 100)),
        end=50.0,
        moments=3,
    )


def records_of(persona: str, made: list[Observation]) -> list[Record]:
    """The records of the day's cell; exposure (a closed interval of the measured length)
    is credited by the group's exposure clock, as the engine does."""
    cell = Cell(persona, "utrecht", 86_400, DAY_START_MS)
    clock = ExposureClock(persona, "utrecht")
    for observation in made:
        if isinstance(observation, ExposureObservation):
            apply(clock, observation, lambda key: cell if key == cell.key() else None)
        else:
            add_observation(cell, observation, TARGET_MS)
    return cell_records(cell, CONFIG)


def published_touch_points(records: list[Record]) -> set[str]:
    return {
        r.tags["touch_point"]
        for r in records
        if r.measurement == "experience_score" and r.tags["touch_point"] != OVERALL
    }


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(observations())
def test_no_published_field_rests_on_fewer_than_five_people(
    drawn: tuple[str, list[Observation]],
) -> None:
    persona, made = drawn
    people = People(made)
    records = records_of(persona, made)
    published = published_touch_points(records)
    named = frozenset(
        (r.tags["touch_point"], r.tags["component"])
        for r in records
        if r.measurement == "component" and r.tags["component"] != OTHER_COMPONENT
    )
    for record in records:
        assert record.fields, f"{record.measurement} written without a field"
        if record.measurement == "component" and record.fields["users"] == 0:
            # a retraction (component_record.retractions): zeros, nobody described
            assert not any(record.fields.values()), record
            continue
        for field in record.fields:
            who = people_of(people, record, field, published, named)
            assert len(who) >= MIN_USERS_PER_AGGREGATE, (record.measurement, record.tags, field)


@settings(max_examples=200, deadline=None)
@given(observations())
def test_the_overall_figures_add_up_the_published_touch_points_only(
    drawn: tuple[str, list[Observation]],
) -> None:
    """So overall minus the published touch points reveals no suppressed one."""
    persona, made = drawn
    records = records_of(persona, made)
    points = [r for r in records if r.measurement == "experience_score"]
    overall = [r for r in points if r.tags["touch_point"] == OVERALL]
    parts = [r for r in points if r.tags["touch_point"] != OVERALL]
    if not overall:
        assert not parts or all(
            CONFIG.persona(persona).weights[r.tags["touch_point"]] == 0 for r in parts
        )
        return
    for field in ("good", "tolerating", "frustrating", "samples", "time_lost_ms"):
        assert overall[0].fields[field] == sum(int(r.fields[field]) for r in parts), field
    desk = [r for r in records if r.measurement == "service_desk"]
    if desk and "telemetry_time_lost_ms" in desk[0].fields:
        assert desk[0].fields["telemetry_time_lost_ms"] == sum(
            int(r.fields["time_lost_ms"]) for r in parts if r.tags["touch_point"] != SERVICE_DESK
        )


@settings(max_examples=200, deadline=None)
@given(observations())
def test_the_components_of_a_touch_point_add_up_to_its_total_or_none_is_published(
    drawn: tuple[str, list[Observation]],
) -> None:
    """So the total minus the published components reveals no suppressed one."""
    persona, made = drawn
    records = records_of(persona, made)
    totals = {r.tags["touch_point"]: r for r in records if r.measurement == "experience_score"}
    for breakdown in COMPONENT_BREAKDOWNS:
        point = breakdown_touch_point(breakdown)
        parts = [
            r
            for r in records
            if r.measurement == "component"
            and r.tags["touch_point"] == breakdown
            and r.fields["users"]  # not a retraction
        ]
        if not parts:
            continue
        assert point in totals, "a breakdown of a touch point that is not published"
        assert sum(int(r.fields["samples"]) for r in parts) == totals[point].fields["samples"]
        for field in ("tolerating", "frustrating"):
            assert sum(int(r.fields[field]) for r in parts) == totals[point].fields[field]


def test_with_five_people_in_every_group_every_measurement_and_field_group_is_published() -> None:
    """The suppression is not total: five people in each role publish every figure."""
    persona, made = "executive", []
    for n in range(5):
        envelope = {"user_id": user(n), "persona": persona, "site": "utrecht"}
        at = DAY_START_MS + n * 60_000
        made += [
            SampleObservation(
                **envelope, event_id=f"c{n}", event_time_ms=at, touch_point="call",
                band=Band.FRUSTRATING, time_lost_ms=60_000, objective_hits=(("poor-calls", False),),
            ),
            TicketObservation(
                **envelope, event_id=f"o{n}", event_time_ms=at, ticket_id=f"T{n}",
                stage="opened", explained_by="call", signal_time_lost_ms=60_000,
            ),
            TicketObservation(
                **envelope, event_id=f"h{n}", event_time_ms=at, ticket_id=f"T{n}",
                stage="handled", band=Band.GOOD, first_contact_ms=60_000,
                resolution_ms=3_600_000, sla_breached=False,
            ),
            SurveyObservation(
                **envelope, event_id=f"s{n}", event_time_ms=at, score=9,
                self_reported_lost_ms=600_000, about_ticket=True,
            ),
            JourneyObservation(
                **envelope, event_id=f"journey:{n}", event_time_ms=at, day_start_ms=DAY_START_MS,
                score=60.0, mean=60.0, worst=20.0, end=80.0, moments=2,
            ),
            ExposureObservation(
                **envelope, event_id=f"x{n}", event_time_ms=at + 3_600_000, exposure=ACTIVE,
                opened=False, holder="d_1", measured_ms=3_600_000,
            ),
            SampleObservation(
                **envelope, event_id=f"p{n}", event_time_ms=at, touch_point="print",
                band=Band.GOOD, time_lost_ms=0, component="prn-2",
            ),
            SampleObservation(
                **envelope, event_id=f"l{n}", event_time_ms=at, touch_point="logon",
                band=Band.GOOD, time_lost_ms=0, measured_ms=20_000,
                phases=(("group_policy", 8_000),),
            ),
        ]  # fmt: skip
    records = records_of(persona, made)
    assert {r.measurement for r in records} == set(MEASUREMENTS)
    desk = next(r for r in records if r.measurement == "service_desk").fields
    for field in ("silent_sufferers", "tickets_opened", "self_reported_lost_ms", "handled"):
        assert field in desk
    sentiment = next(r for r in records if r.measurement == "sentiment").fields
    assert "csat_ratio" in sentiment
    # Four people are not enough for any of it.
    assert records_of(persona, [o for o in made if o.user_id != user(4)]) == []


# --- dips -------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["amsterdam", "rotterdam", "utrecht", "eindhoven"]),
            st.integers(0, 59),  # minute
            st.integers(0, 6),  # good samples
            st.lists(st.integers(0, 11), max_size=6),  # who had a bad sample
        ),
        max_size=160,
    )
)
def test_no_dip_transition_describes_fewer_than_five_people(minutes) -> None:
    """Whatever the buckets, every published dip point rests on at least 5 people."""
    from xlapulse.streams.dips.buckets import MINUTE_MS, MinuteBucket, Scope
    from xlapulse.streams.dips.engine import DipPublisher
    from xlapulse.streams.dips.settings import DipSettings
    from xlapulse.streams.dips.tracker import DipTracker

    tracker, publisher = DipTracker(DipSettings(), {}), DipPublisher()
    records = []
    for site, minute, good, bad_users in sorted(minutes, key=lambda item: item[1]):
        bucket = MinuteBucket(
            Scope("field_worker", site, "print"), 1_764_576_000_000 + minute * MINUTE_MS
        )
        bucket.samples, bucket.frustrating = good + len(bad_users), len(bad_users)
        bucket.users = {f"u_{n:032x}" for n in range(good)} | {
            f"u_{100 + n:032x}" for n in bad_users
        }
        bucket.affected_users = {f"u_{100 + n:032x}" for n in bad_users}
        records += publisher.publish(tracker.add(bucket)).records
    records += publisher.publish(tracker.finish()).records
    for record in records:
        assert record.measurement == DIP
        assert record.fields["affected_people"] >= MIN_USERS_PER_AGGREGATE
