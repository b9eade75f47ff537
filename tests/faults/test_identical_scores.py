"""Identical final scores under a fault: every InfluxDB point equals a run without it.

Real Kafka and InfluxDB (deploy/local/services), Faust workers as subprocesses. One
simulated Friday (60 workplaces, every signal, a VPN outage at Utrecht with the ticket
wave that follows, about 5,000 events) is sent once. A baseline worker scores it
without a fault; then workers of a second engine (its own consumer group, internal
topics, tables and database) score the same records under a fault. The test compares
every point of the day in both databases, every field: none lost, none counted twice,
nothing different.

Scale: 60 workplaces keep each test within a few minutes on a shared machine; at that
size cells of fewer than five people publish nothing, so sentiment and journey points
may be missing from both runs alike. Both engines read the shared input topics from
their start, so in a long-lived development Kafka they also read what earlier runs
sent; each run's day is its own (a random Friday of 2023, which no other test uses), and
only that day's points are compared. 2023 is earlier than every other engine test's day:
the fleet's users are the same in every test, and a user's journeys of earlier days go on
only from their last moment (``streams/scoring/day_journey.py``), so a day sent later but
dated earlier never cuts into another test's journeys.
"""

from __future__ import annotations

import random
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.faults.engine_runs import (
    CATCH_UP_S,
    Engine,
    input_records,
    report,
    score_without_fault,
    stop_at,
    wait_for_identical,
)
from tests.faults.service_desk import (
    GENERIC_SECRET,
    event_ids_since,
    generic_webhook_body,
    post_as_a_service_desk,
)
from tests.integration.conftest import TOPIC_PARTITIONS, Services
from tests.integration.gateway_process import GatewayProcess
from tests.integration.helpers import (
    end_offsets,
    processed_inputs,
    read_metric,
    start_group_at_input_ends,
)
from tests.integration.test_engine_incident import SCENARIO as INCIDENT_SCENARIO
from tests.shared_helpers import free_port, wait_until
from xlapulse.collectors.agent.daemon import to_record
from xlapulse.collectors.agent.shipper import Shipper
from xlapulse.collectors.agent.spool import Spool
from xlapulse.collectors.contract.events import EventBase, LogonEvent, TicketEvent
from xlapulse.collectors.contract.topics import TICKETS_TOPIC
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings
from xlapulse.collectors.delivery.topics_admin import ensure_topics
from xlapulse.collectors.privacy import Pseudonymizer
from xlapulse.collectors.simulator.fleet import SIMULATOR_KEY, Fleet
from xlapulse.collectors.simulator.scenario import Scenario
from xlapulse.collectors.yamlfile import parse_yaml_model

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]

ENDPOINTS = 60
#: The fleet's seed: fixed, because at 60 workplaces a random seed sometimes gave a day
#: with no reliability cell of five people, and the baseline fixture then failed. With
#: seed 7 every Friday of 2023 publishes every measurement the fixture asks for (checked
#: in process, 2026-12-07).
FLEET_SEED = 7
#: The gateway test stops the broker a third of the way through the day's ticket steps,
#: so it needs a few on each side. With seed 7, 2023-02-17 and 2023-09-29 have none (a CI
#: run drew 2023-09-29 and the test found no refusal, 2026-12-07); 32 of the 48 Fridays
#: have at least this many.
MIN_TICKET_STEPS = 5
#: How long the survivor of the two-worker test may take after the kill (it took 16-20 s:
#: a 6 s session timeout, the rebalance, table recovery, and re-reading the dead worker's
#: uncommitted partitions from their beginning).
TAKEOVER_S = 120
#: After a broker restart, time for a worker that gives up on it to exit before the
#: test looks (its session timeout is 6 s in tests, ``engine_env``).
SUPERVISOR_GRACE_S = 10.0


#: The incident test's scenario under other incident names: a ticket wave's ticket ids
#: carry the wave's name, not the day, and the fleet's users are the same, so the session's
#: shared engine (which reads these topics later) would take the incident test's tickets
#: for ones it already knows (as test_dashboards_end_to_end.py does for its own day).
SCENARIO = INCIDENT_SCENARIO.replace("vpn-utrecht-", "faults-vpn-utrecht-")


def send_to_kafka(services: Services, events: list[EventBase]) -> None:
    """Produce ``events`` and wait until Kafka acknowledged every one."""
    producer = EventProducer(ProducerSettings(bootstrap_servers=services.kafka_bootstrap))
    try:
        producer.send_all(events)
    finally:
        producer.close()


def fleet_day(workday: date) -> list[EventBase]:
    """The simulated fleet's events of ``workday``."""
    scenario = parse_yaml_model(SCENARIO, Scenario, "vpn-utrecht-field-workers")
    return list(Fleet(ENDPOINTS, seed=FLEET_SEED, scenario=scenario).events(workday, 1))


@pytest.fixture(scope="module")
def sent_day(services: Services) -> tuple[date, list[EventBase]]:
    """A random Friday of 2023 with at least ``MIN_TICKET_STEPS`` ticket steps, and its
    events, sent to Kafka once."""
    run_id = uuid.uuid4().hex[:10]
    # A Friday: the weekly pulse survey is answered on Fridays (sentiment points too).
    fridays = [date(2023, 1, 6) + timedelta(weeks=week) for week in range(48)]
    random.Random(run_id).shuffle(fridays)
    for workday in fridays:
        events = fleet_day(workday)
        if sum(isinstance(event, TicketEvent) for event in events) >= MIN_TICKET_STEPS:
            break
    else:
        raise AssertionError(f"no Friday of 2023 has {MIN_TICKET_STEPS} ticket steps")
    ensure_topics(services.kafka_bootstrap, TOPIC_PARTITIONS)
    send_to_kafka(services, events)
    return workday, events


@pytest.fixture(scope="module")
def day(sent_day: tuple[date, list[EventBase]]) -> date:
    return sent_day[0]


@pytest.fixture()
def engine(services: Services, tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(services, tmp_path)
    yield engine
    engine.stop()


@pytest.fixture(scope="module")
def baseline(services: Services, day: date, tmp_path_factory: pytest.TempPathFactory) -> dict:
    points = score_without_fault(services, tmp_path_factory.mktemp("faults"), day)
    published = {key[0] for key in points}
    # formula 3.0 publishes nothing per person and every figure only for 5 people or more
    assert len(points) > 100, "the day publishes a hundred points or more"
    assert published >= {"experience_score", "xla_compliance", "service_desk", "reliability"}
    return points


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_a_worker_stopped_twice_mid_stream_gives_identical_scores(
    services: Services, day: date, baseline: dict, engine: Engine, sig: signal.Signals
) -> None:
    """The worker is stopped after it processed as many records as 30 % of the input,
    started again, stopped once more after 60 %, and started again: table recovery from
    the changelogs and redelivery of what was not committed, twice."""
    total = input_records(services)
    for share in (0.3, 0.6):
        stop_at(engine, engine.start(), share * total, sig)
    restarted = time.monotonic()
    engine.start()
    wait_for_identical(engine, day, baseline)
    report(f"{sig.name} twice (30 %, 60 %)", total, "restarted", time.monotonic() - restarted)


def test_one_of_two_workers_killed_mid_stream_gives_identical_scores(
    services: Services, day: date, baseline: dict, engine: Engine
) -> None:
    """Two workers share the partitions; one is killed with SIGKILL once the two
    processed as many records as 30 % of the input (in practice right after the second
    rebalance, often before the victim committed anything). The group rebalances after
    the session timeout, the survivor rebuilds the dead worker's tables from their
    changelogs and takes over its partitions. Faust's own consumer lost records here in
    about one run in five (streams/rebalance_consumer.py)."""
    total = input_records(services)
    engine.start()
    # The second worker joins once the first has partitions, so its internal topics exist:
    # two workers of a new engine id started at the same instant on a fresh broker were
    # assigned before the broker listed two of those topics, and both stalled (README).
    wait_until(
        lambda: (read_metric(engine.port, "xlapulse_assigned_partitions", {}) or 0) > 0,
        CATCH_UP_S,
        "the first worker to have partitions",
    )
    second_port = free_port()
    victim = engine.start(
        {
            "XLAPULSE_METRICS_PORT": str(second_port),
            "XLAPULSE_ENGINE_DATA_DIR": str(engine.tmp_path / "second"),
        }
    )
    wait_until(
        lambda: all(
            (read_metric(port, "xlapulse_assigned_partitions", {}) or 0) > 0
            for port in (engine.port, second_port)
        ),
        CATCH_UP_S,
        "both workers to have partitions",
    )
    wait_until(
        lambda: engine.processed_inputs() + processed_inputs(second_port) >= 0.3 * total,
        CATCH_UP_S,
        "30 % processed by the two",
    )
    process = victim._process
    assert process is not None
    killed = time.monotonic()
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    engine.workers.remove(victim)
    wait_for_identical(engine, day, baseline, TAKEOVER_S)
    report(
        "one of two workers SIGKILLed (rebalance)",
        total,
        "the other took over",
        time.monotonic() - killed,
    )


def restart_if_exited(engine: Engine) -> str:
    """What a supervisor (systemd ``Restart=on-failure``, Kubernetes) does: start the
    worker again if it exited. Returns how the worker went through the fault."""
    process = engine.workers[-1]._process
    assert process is not None
    if process.poll() is None:
        return "survived"
    code = process.returncode
    assert code != 0, "a worker that lost its broker or sink must not exit as if it were done"
    engine.start()
    return f"exited {code}, restarted"


def test_influxdb_down_mid_stream_gives_identical_scores(
    services: Services, day: date, baseline: dict, engine: Engine
) -> None:
    """InfluxDB stops after 30 % of the input and comes back 30 s later: the sink retries
    with backoff, the agent waits (backpressure, no offset committed), then catches up."""
    total = input_records(services)
    engine.start()
    wait_until(lambda: engine.processed_inputs() >= 0.3 * total, CATCH_UP_S, "30 % processed")
    services.control("stop", "influxdb")
    try:
        wait_until(
            lambda: engine.metric("xlapulse_sink_errors_total") > 0,
            120,
            "the sink to report failed writes",
        )
        time.sleep(30)
    finally:
        services.control("start", "influxdb")
    back = time.monotonic()
    outcome = restart_if_exited(engine)
    wait_for_identical(engine, day, baseline)
    report("InfluxDB down 30 s+", total, outcome, time.monotonic() - back)


def test_kafka_broker_restarted_mid_stream_gives_identical_scores(
    services: Services, day: date, baseline: dict, engine: Engine
) -> None:
    """The only broker stops after 30 % of the input and starts again 15 s later."""
    total = input_records(services)
    engine.start()
    wait_until(lambda: engine.processed_inputs() >= 0.3 * total, CATCH_UP_S, "30 % processed")
    services.control("stop", "kafka")
    try:
        time.sleep(15)
    finally:
        services.control("start", "kafka")
    back = time.monotonic()
    time.sleep(SUPERVISOR_GRACE_S)
    outcome = restart_if_exited(engine)
    wait_for_identical(engine, day, baseline)
    report("Kafka broker restarted", total, outcome, time.monotonic() - back)


def test_a_collector_through_a_long_outage_and_a_restart_gives_identical_scores(
    services: Services,
    sent_day: tuple[date, list[EventBase]],
    baseline: dict,
    engine: Engine,
    tmp_path: Path,
) -> None:
    """The day reaches this engine only through a collector's spool and shipper
    (``collectors/agent/spool.py``, ``shipper.py``): stored round by round, one simulated
    hour each, while no broker answers for the whole day (every drain keeps everything),
    the collector restarted halfway (its spool closed and opened again), then replayed in
    order once Kafka answers. The engine's group starts at the input topics' end, so it
    reads only what the spool sent: nothing evicted, nothing lost, none counted twice,
    every point equal to the baseline's. (A collector killed with SIGKILL while spooling
    is ``tests/integration/test_collector_delivery.py``.)"""
    day, events = sent_day
    start_group_at_input_ends(services.kafka_bootstrap, engine.engine_id)
    nowhere = ProducerSettings(
        bootstrap_servers=f"127.0.0.1:{free_port()}", bootstrap_timeout_ms=500, max_block_ms=500
    )
    folder = tmp_path / "spool"
    spool = Spool(folder, max_bytes=256 * 1024 * 1024, fsync="normal")
    hours: dict[int, list[EventBase]] = {}
    for event in events:
        hours.setdefault(event.event_time.hour, []).append(event)
    stored, bookmark = 0, None
    for index, (hour, chunk) in enumerate(sorted(hours.items())):
        if index == len(hours) // 2:
            spool.close()
            spool = Spool(folder, max_bytes=256 * 1024 * 1024, fsync="normal")
            # the restarted collector finds what it stored and where its source stood
            assert spool.stats().records == stored
            assert spool.bookmark("simulated-day") == bookmark
        records = [to_record(event.model_dump(mode="json")) for event in chunk]
        bookmark = str(hour)
        spool.store_round("simulated-day", records, bookmark)
        stored += len(records)
        unreachable = Shipper(spool, lambda: EventProducer(nowhere), ack_timeout_s=1.0)
        assert unreachable.drain() == 0 and unreachable.reachable is False
    stats = spool.stats()
    assert (stats.records, stats.evicted_records) == (len(events), 0)
    started = time.monotonic()
    shipper = Shipper(
        spool, lambda: EventProducer(ProducerSettings(bootstrap_servers=services.kafka_bootstrap))
    )
    try:
        assert shipper.drain() == len(events)
    finally:
        shipper.close()
    assert spool.stats().records == 0
    spool.close()
    engine.start()
    wait_for_identical(engine, day, baseline)
    report(
        "a collector's broker unreachable all day, the collector restarted while spooling",
        len(events),
        "none evicted, lost or counted twice",
        time.monotonic() - started,
    )


def test_the_same_day_sent_again_gives_identical_scores(
    services: Services,
    sent_day: tuple[date, list[EventBase]],
    baseline: dict,
    engine: Engine,
) -> None:
    """A replay: every event of the day reaches Kafka a second time (a collector or a
    gateway retrying after a lost acknowledgement). The last test here whose engine
    reads the topics from their start: they then hold the day three times (the collector
    test sent it too); the gateway test after it sends tickets under the gateway's event
    ids."""
    day, events = sent_day
    send_to_kafka(services, events)
    started = time.monotonic()
    engine.start()
    wait_for_identical(engine, day, baseline)
    report("the day sent twice", input_records(services), "no fault", time.monotonic() - started)


def test_a_replay_storm_at_the_edges_of_the_policy_gives_identical_scores(
    services: Services,
    sent_day: tuple[date, list[EventBase]],
    baseline: dict,
    engine: Engine,
) -> None:
    """What replays and backfills send, to an engine whose group starts at the input
    topics' end: the day; then the Friday before it (a day out of order); then a
    duplicate storm, a third of the day's events three times more, shuffled; then, from
    people of their own (who publish nothing), one event a day inside the late limit,
    one a day beyond it, and one an hour beyond the future limit. The day's points equal
    the baseline's, the two beyond the limits are dead-lettered as late and future, and
    every other record is scored or recognised as a duplicate."""
    day, events = sent_day
    start_group_at_input_ends(services.kafka_bootstrap, engine.engine_id)
    rng = random.Random(FLEET_SEED)
    storm = rng.sample(events, len(events) // 3) * 3
    rng.shuffle(storm)
    now = datetime.now(UTC)
    max_age = timedelta(seconds=int(engine.env["XLAPULSE_MAX_EVENT_AGE_S"]))

    def stranger_logon(at: datetime) -> LogonEvent:
        return LogonEvent(
            event_time=at,
            user_id=f"u_{uuid.uuid4().hex}",
            device_id=f"d_{uuid.uuid4().hex}",
            logon_duration_ms=20_000,
        )

    edges = [
        stranger_logon(now - max_age + timedelta(days=1)),
        stranger_logon(now - max_age - timedelta(days=1)),
        stranger_logon(now + timedelta(hours=1)),
    ]
    # without the incident: its ticket wave's ticket ids are the same every day
    earlier = list(Fleet(ENDPOINTS, seed=FLEET_SEED).events(day - timedelta(weeks=1), 1))
    sent = [*events, *earlier, *storm, *edges]
    send_to_kafka(services, sent)
    started = time.monotonic()
    engine.start()
    wait_for_identical(engine, day, baseline)
    wait_until(lambda: engine.processed_inputs() >= len(sent), CATCH_UP_S, "every record")
    outcomes = {
        outcome: processed_inputs(engine.port, (outcome,))
        for outcome in ("late", "future", "duplicate")
    }
    assert outcomes == {"late": 1, "future": 1, "duplicate": len(storm)}
    report(
        "a replay storm: the day, the Friday before it, a third of the day 3x shuffled, "
        "events at the edges of the late and future limits",
        len(sent),
        f"{len(storm)} duplicates, 1 late and 1 future dead-lettered",
        time.monotonic() - started,
    )


def test_tickets_through_the_gateway_while_kafka_is_down_give_identical_scores(
    services: Services,
    sent_day: tuple[date, list[EventBase]],
    baseline: dict,
    engine: Engine,
    tmp_path: Path,
) -> None:
    """The day's ticket steps reach Kafka only through the gateway's generic webhook,
    posted as a service desk posts them, from the clear identities the gateway
    pseudonymizes with the simulator's key. A third of the way, the broker stops: the
    gateway answers 503 with Retry-After and stores nothing; the service desk retries
    each refused step after Retry-After until the broker is back and the step stored, and
    posts every tenth stored step again, as after an answer lost on the way. Every step
    is stored exactly once, and every point equals the baseline's. The other events are
    produced directly; the engine's group starts at the input topics' end."""
    day, events = sent_day
    tickets = [event for event in events if isinstance(event, TicketEvent)]
    start_group_at_input_ends(services.kafka_bootstrap, engine.engine_id)
    tickets_before = end_offsets(services.kafka_bootstrap, TICKETS_TOPIC)
    send_to_kafka(services, [event for event in events if not isinstance(event, TicketEvent)])
    pseudonymizer = Pseudonymizer(SIMULATOR_KEY)
    users = {
        pseudonymizer.user(f"user{i:06d}@sim.xlapulse.invalid"): f"user{i:06d}@sim.xlapulse.invalid"
        for i in range(ENDPOINTS)
    }
    devices = {pseudonymizer.device(f"ws{i:06d}"): f"ws{i:06d}" for i in range(ENDPOINTS)}
    bodies = [
        generic_webhook_body(
            ticket, users[ticket.user_id], devices[ticket.device_id] if ticket.device_id else None
        )
        for ticket in tickets
    ]
    port = free_port()
    gateway = GatewayProcess(
        {
            "XLAPULSE_KAFKA_BOOTSTRAP": services.kafka_bootstrap,
            "XLAPULSE_PSEUDONYM_KEY": SIMULATOR_KEY.decode(),
            "XLAPULSE_GATEWAY_PORT": str(port),
            "XLAPULSE_GATEWAY_GENERIC_SECRET": GENERIC_SECRET,
            "XLAPULSE_GATEWAY_ACK_TIMEOUT_S": "3",
            "XLAPULSE_GATEWAY_RETRY_AFTER_S": "2",
        },
        tmp_path / "gateway.log",
        port,
    )
    stored: list[str] = []
    refused, started = 0, time.monotonic()
    restart: threading.Timer | None = None
    try:
        wait_until(lambda: gateway.status("/ready") == 200, 60, "the gateway to be ready")
        outage_at = len(bodies) // 3
        for index, body in enumerate(bodies):
            if index == outage_at:
                services.control("stop", "kafka")
                started = time.monotonic()
                # the broker comes back while the service desk retries this step
                restart = threading.Timer(15.0, services.control, ("start", "kafka"))
                restart.start()
            event_id, refusals = post_as_a_service_desk(gateway, body)
            refused += refusals
            stored.append(event_id)
            if index % 10 == 0:
                assert post_as_a_service_desk(gateway, body)[0] == event_id
    finally:
        if restart is not None:
            restart.join()  # never leave the broker stopped for the tests after this one
        gateway.stop()
    assert refused > 0, "the gateway refused steps while the broker was down"
    assert len(set(stored)) == len(tickets)
    # A step whose acknowledgement the gateway did not get in time is answered 503 and
    # may be in Kafka already: the retry stores it again under the same event id, which
    # the engine counts once (its de-duplication by event id).
    in_kafka = Counter(event_ids_since(services.kafka_bootstrap, TICKETS_TOPIC, tickets_before))
    assert set(in_kafka) == set(stored), "every step in Kafka, under the gateway's event id"
    engine.start()
    wait_for_identical(engine, day, baseline)
    report(
        "the gateway while Kafka is down, the service desk retrying",
        len(events),
        f"{refused} posts refused (503); {len(tickets)} ticket steps stored, with "
        f"{sum(in_kafka.values()) - len(in_kafka)} extra copies in Kafka, each counted once",
        time.monotonic() - started,
    )
