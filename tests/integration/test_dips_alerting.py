"""Journey dips end to end on real servers: Kafka, InfluxDB, Alertmanager and SMTP.

The fleet simulator plays one workday for 300 workplaces with the Utrecht VPN
concentrator failing for field workers at 09:30 for two hours. A Faust worker of its
own (subprocess, ``XLAPULSE_ALERTMANAGER_URL`` set) scores it; once the dip opened it is
killed (SIGKILL) and a new worker of the same engine goes on (``streams/dips/state.py``).
The test checks:

* the dip opens and closes on ``xlapulse.dips.v1`` at the right scope, with a likely
  cause, and is written to InfluxDB (measurement ``dip``);
* Alertmanager 0.35 (built by ``deploy/local/services``) holds the alert with its labels
  and annotations, and its webhook receiver delivers the documented payload (version
  4), firing and then resolved, to a local HTTP receiver;
* ``xlapulse notify`` tells the affected people by e-mail (aiosmtpd on 127.0.0.1), one
  message each, in their language, never an opted-out person, never twice;
* a silence holds an alert; the forwarder retries while Alertmanager is down and loses
  nothing; a wrong Alertmanager URL stops ``xlapulse worker`` at start-up with a reason.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from kafka import KafkaConsumer

from tests.shared_helpers import free_port, wait_until
from xlapulse.collectors.contract.events import DirectoryAssignmentEvent
from xlapulse.collectors.contract.outputs import DIPS_TOPIC, HEADER_ENGINE_ID, DipEvent
from xlapulse.collectors.contract.topics import INPUT_TOPICS
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings
from xlapulse.collectors.delivery.topics_admin import ensure_topics
from xlapulse.collectors.simulator.fleet import SIMULATOR_KEY, Fleet
from xlapulse.collectors.simulator.scenario import Scenario
from xlapulse.collectors.yamlfile import parse_yaml_model
from xlapulse.streams.dips.alertmanager import AlertForwarder, AlertmanagerClient

from .conftest import SERVICES_SCRIPT, TOPIC_PARTITIONS, Services
from .helpers import (
    WorkerProcess,
    end_offsets,
    engine_env,
    influxql,
    metric_sum,
    start_group_at_input_ends,
)

# The worker scores the morning (about 15,000 events) before the dip closes.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]
#: events up to this local time are sent: the outage (09:30-11:30) and an hour after it
SEND_UNTIL_LOCAL = "12:45"
#: the worker is killed once the dip opened, with the events up to this time sent
RESTART_AT_LOCAL = "10:30"

ENDPOINTS = 300
SEED = 11
SCENARIO = """
name: vpn-utrecht-field-workers
incidents:
  - kind: vpn_concentrator_failure
    name: vpn-utrecht-down
    site: utrecht
    personas: [field_worker]
    start: {day: 0, at: "09:30"}
    duration_min: 120
"""
SCOPE = {"persona": "field_worker", "site": "utrecht", "touch_point": "vpn"}


class WebhookReceiver:
    """An HTTP server that keeps every JSON body Alertmanager posts to it."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        received = self.payloads

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


class Alertmanager:
    """One Alertmanager started by ``deploy/local/services`` in its own folder and port."""

    def __init__(self, folder: Path, webhook_url: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "ALERTMANAGER_PORT": str(self.port),
            "ALERTMANAGER_WEBHOOK_URL": webhook_url,
            "XLAPULSE_SERVICES_DIR": str(folder),
        }

    def start(self) -> None:
        subprocess.run([SERVICES_SCRIPT, "start", "alertmanager"], env=self.env, check=True)

    def stop(self) -> None:
        subprocess.run([SERVICES_SCRIPT, "stop", "alertmanager"], env=self.env, check=False)


class Mailbox:
    """aiosmtpd on 127.0.0.1: every message it accepted, parsed."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        mailbox = self.messages

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                mailbox.append(message_from_bytes(envelope.content))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()


def _recent_tuesday() -> date:
    today = datetime.now(UTC).date()
    back = (today.weekday() - 1) % 7 or 7
    return today - timedelta(days=back)


@pytest.fixture(scope="module")
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def alertmanager(
    webhook: WebhookReceiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Alertmanager]:
    manager = Alertmanager(tmp_path_factory.mktemp("alertmanager"), webhook.url)
    manager.start()
    yield manager
    manager.stop()


@pytest.fixture(scope="module")
def workday() -> date:
    """The latest past Tuesday (the worker starts at the end of the input topics, so no
    other test's day reaches its detectors)."""
    return _recent_tuesday()


@pytest.fixture(scope="module")
def dip_run(
    services: Services,
    alertmanager: Alertmanager,
    workday: date,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    """A worker of its own with Alertmanager configured, fed the incident day."""
    ensure_topics(services.kafka_bootstrap, TOPIC_PARTITIONS)
    run_id = uuid.uuid4().hex[:10]
    data_dir = tmp_path_factory.mktemp("dip-engine")
    env, metrics_port, database = engine_env(
        services.kafka_bootstrap, services.influx_url, run_id, data_dir, TOPIC_PARTITIONS
    )
    held = start_group_at_input_ends(services.kafka_bootstrap, env["XLAPULSE_ENGINE_ID"])
    env["XLAPULSE_ALERTMANAGER_URL"] = alertmanager.url
    env["XLAPULSE_DASHBOARD_URL"] = "http://grafana.test"
    worker = WorkerProcess(env=env, log_path=data_dir / "worker.log")
    worker.start()
    scenario = parse_yaml_model(SCENARIO, Scenario, "scenario.yaml")
    until = datetime.combine(
        workday, datetime.strptime(SEND_UNTIL_LOCAL, "%H:%M").time(), ZoneInfo("Europe/Amsterdam")
    )
    events = [
        event
        for event in Fleet(ENDPOINTS, seed=SEED, scenario=scenario).events(workday, 1)
        if event.event_time < until
    ]
    producer = EventProducer(ProducerSettings(bootstrap_servers=services.kafka_bootstrap))
    directory = [event for event in events if isinstance(event, DirectoryAssignmentEvent)]
    try:
        # As in production, the directory is known before the day starts and the worker
        # keeps up: a backlog read at full speed lets one site's observations run far
        # ahead of another's (see streams/dips/README.md, known gaps).
        producer.send_all(directory)
        # The worker starts at the end of the input topics: once it has the directory,
        # the day is sent to a worker that keeps up.
        in_topics = {
            topic: sum(end_offsets(services.kafka_bootstrap, topic).values()) - held[topic]
            for topic in INPUT_TOPICS
        }
        wait_until(
            lambda: all(
                (metric_sum(metrics_port, "xlapulse_events_processed_total", {"topic": topic}) or 0)
                >= count
                for topic, count in in_topics.items()
            ),
            600,
            "the worker caught up with every input topic",
        )
        sent_at = time.monotonic()
        # The worker is killed mid-outage, once the dip opened, and a new one takes over
        # (the dip-state table, streams/dips/state.py): every test below then checks
        # what people and Alertmanager see across a restart.
        restart_at = datetime.combine(
            workday, datetime.strptime(RESTART_AT_LOCAL, "%H:%M").time(), until.tzinfo
        )
        day = [event for event in events if event not in directory]
        producer.send_all([event for event in day if event.event_time < restart_at])
        opened = wait_until(
            lambda: [
                e
                for e in _dip_events(services.kafka_bootstrap, workday, env["XLAPULSE_ENGINE_ID"])
                if _ours(e) and e.state == "opened"
            ],
            600,
            "the Utrecht VPN dip opened before the restart",
        )
        worker.kill()
        worker = WorkerProcess(env=env, log_path=data_dir / "worker-after-restart.log")
        worker.start()
        producer.send_all([event for event in day if event.event_time >= restart_at])
        worker.assert_running()
        yield {
            "database": database,
            "worker": worker,
            "sent_at": sent_at,
            "events": events,
            "engine_id": env["XLAPULSE_ENGINE_ID"],
            "opened_before_restart": opened[0].dip_id,
        }
    finally:
        producer.close()
        code = worker.stop()
        assert code in (0, -15), f"worker exit code {code}:\n{worker.log_tail()}"


def _dip_events(bootstrap: str, workday: date, engine_id: str) -> list[DipEvent]:
    """The day's dip events the test's own worker sent (the session's shared engine, which
    reads the same input topics, sends its own to the same topic)."""
    consumer = KafkaConsumer(
        DIPS_TOPIC,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=2_000,
    )
    try:
        found = [
            DipEvent.model_validate_json(record.value)
            for record in consumer
            if (HEADER_ENGINE_ID, engine_id.encode()) in (record.headers or [])
        ]
    finally:
        consumer.close()
    return [event for event in found if event.event_time.date() == workday]


def _dips_of(services: Services, dip_run: dict[str, Any], workday: date) -> list[DipEvent]:
    return _dip_events(services.kafka_bootstrap, workday, dip_run["engine_id"])


def _ours(event: DipEvent) -> bool:
    return (event.persona, event.site, event.touch_point) == tuple(SCOPE.values())


def test_vpn_outage_opens_and_closes_one_dip(
    services: Services, dip_run: dict[str, Any], workday: date
) -> None:
    def closed() -> list[DipEvent] | None:
        events = [event for event in _dips_of(services, dip_run, workday) if _ours(event)]
        return events if any(event.state == "closed" for event in events) else None

    events = wait_until(closed, 600, "the Utrecht VPN dip opened and closed on xlapulse.dips.v1")
    # Every dip opens once, updates, and closes once. CI checks before 2026-12-07 once saw
    # the outage as two dips in a row (late minutes, see below); alone it is one.
    by_dip: dict[str, list[str]] = {}
    for event in events:
        by_dip.setdefault(event.dip_id, []).append(event.state)
    for states in by_dip.values():
        assert states[0] == "opened" and states[-1] == "closed", states
        assert states.count("opened") == 1 and states.count("closed") == 1, states
    assert len(by_dip) <= 2, by_dip
    # the dip opened before the worker was killed is closed, with its id, by the next one
    assert by_dip[dip_run["opened_before_restart"]][-1] == "closed", by_dip
    opened = events[0]
    outage_start = datetime.combine(workday, datetime.min.time(), ZoneInfo("Europe/Amsterdam"))
    latency = opened.event_time - (outage_start + timedelta(hours=9, minutes=30))
    # 2 min, as in process. 46-70 min in CI checks before 2026-12-07: the morning is read
    # as a backlog, and Utrecht's outage minutes reached stage 2 long after the site's
    # later ones, when a minute further back than the window was never judged (and peers
    # more than 2 minutes out of step were no peers); streams/dips/README.md. Detection
    # latency itself is measured by `xlapulse evaluate-dips` (median 5 min).
    print(f"\nDIP | opened {latency} after the outage began | dips {by_dip}")
    assert timedelta(0) <= latency <= timedelta(minutes=30), latency
    assert opened.affected_people >= 5
    assert opened.likely_cause and "VPN" in opened.likely_cause
    others = [e for e in _dips_of(services, dip_run, workday) if not _ours(e)]
    assert not [e for e in others if e.touch_point == "vpn"], "no VPN dip elsewhere"

    query = (
        'SELECT "dip_id", "affected_people", "likely_cause" FROM "dip" WHERE '
        '"site" = \'utrecht\' AND "touch_point" = \'vpn\' GROUP BY "state"'
    )

    def written() -> dict | None:
        series = influxql(services.influx_url, dip_run["database"], query)
        states = {item["tags"]["state"]: item["values"] for item in series}
        return states if {"opened", "closed"} <= set(states) else None

    points = wait_until(written, 60, "the dip's opened and closed points in InfluxDB")
    assert points["opened"][0][1] == opened.dip_id
    # the worker that took over refilled its detectors' windows from the buckets topic
    # (streams/dips/rewind.py) instead of judging the minutes after its start alone
    log = dip_run["worker"].log_path.read_text()
    assert "dips: refilled the windows of" in log, dip_run["worker"].log_tail()


def test_alertmanager_delivers_the_dip_firing_then_resolved_to_its_webhook(
    services: Services,
    dip_run: dict[str, Any],
    webhook: WebhookReceiver,
) -> None:
    """The replayed morning opens and closes the dip within seconds of wall time, so the
    alert is seen where Alertmanager delivers it: its webhook receiver (documented
    payload, version 4). The alert as Alertmanager holds it while open is checked with
    live alerts in the silence and retry tests below."""

    def ours(status: str) -> list[dict[str, Any]]:
        return [
            payload
            for payload in webhook.payloads
            if payload["status"] == status
            and {key: payload["commonLabels"].get(key) for key in SCOPE} == SCOPE
        ]

    firing = wait_until(lambda: ours("firing"), 600, "the dip's alert firing at the webhook")
    received_after_s = time.monotonic() - dip_run["sent_at"]
    print(f"events produced to alert delivered by Alertmanager: {received_after_s:.1f} s")
    payload = firing[0]
    assert payload["version"] == "4" and payload["receiver"] == "webhook"
    assert {"groupKey", "groupLabels", "externalURL", "alerts", "commonAnnotations"} <= set(payload)
    alert = payload["alerts"][0]
    assert {key: alert["labels"][key] for key in SCOPE} == SCOPE
    assert alert["labels"]["alertname"] == "XlapulseJourneyDip"
    assert alert["labels"]["severity"] in ("warning", "critical") and alert["labels"]["detector"]
    assert "VPN" in alert["annotations"]["likely_cause"]
    assert alert["annotations"]["dashboard"].startswith("http://grafana.test/d/xlapulse-live-dips?")
    dip_id = alert["labels"]["dip_id"]

    def resolved_alert() -> dict[str, Any] | None:
        # A notification is "resolved" only when its whole group is; while another dip of
        # the scope fires, this one's resolution arrives inside a "firing" notification.
        alerts = [
            a
            for status in ("firing", "resolved")
            for payload in ours(status)
            for a in payload["alerts"]
        ]
        return next(
            (a for a in alerts if a["labels"]["dip_id"] == dip_id and a["status"] == "resolved"),
            None,
        )

    resolved = wait_until(resolved_alert, 600, "the same alert resolved at the webhook")
    assert resolved["status"] == "resolved"
    assert resolved["endsAt"] > alert["startsAt"]


def test_notify_tells_each_affected_person_once_in_their_language(
    services: Services, dip_run: dict[str, Any], tmp_path: Path, workday: date
) -> None:
    wait_until(
        lambda: any(e.state == "closed" for e in _dips_of(services, dip_run, workday) if _ours(e)),
        600,
        "the dip closed",
    )
    # The worker may have other dips (other personas' VPN at Utrecht) still open: only a
    # dip that has closed by now owes its people a "solved".
    closed = {e.dip_id for e in _dips_of(services, dip_run, workday) if e.state == "closed"}
    directory = tmp_path / "directory.csv"
    rows = ["identity,email,language"]
    for index in range(ENDPOINTS):
        identity = f"user{index:06d}@sim.xlapulse.invalid"
        rows.append(f"{identity},{identity},{'nl' if index % 2 else 'en'}")
    directory.write_text("\n".join(rows) + "\n")
    opted_out = "user000001@sim.xlapulse.invalid"
    (tmp_path / "opt-out.txt").write_text(f"# people who asked not to be told\n{opted_out}\n")
    mailbox = Mailbox()
    try:
        config = tmp_path / "notify.yaml"
        config.write_text(
            f"kafka: {{bootstrap: '{services.kafka_bootstrap}', "
            f"group_id: notify-{uuid.uuid4().hex[:6]}}}\n"
            f"directory_csv: {directory}\nopt_out_file: {tmp_path / 'opt-out.txt'}\n"
            f"ledger: {tmp_path / 'ledger.sqlite'}\n"
            f"smtp: {{host: 127.0.0.1, port: {mailbox.port}, sender: it-status@corp.test}}\n"
        )
        env = {"XLAPULSE_PSEUDONYM_KEY": SIMULATOR_KEY.decode()}
        command = [
            sys.executable,
            "-m",
            "xlapulse.collectors.cli",
            "notify",
            "--config",
            str(config),
            "--once",
        ]
        first = subprocess.run(
            command, env={**os.environ, **env}, capture_output=True, text=True, timeout=120
        )
        assert first.returncode == 0, first.stderr
        told = [m for m in mailbox.messages if "VPN" in m.get_payload()]
        assert told, first.stdout
        we_know = [
            m
            for m in told
            if "werken eraan" in m.get_payload() or "we are on it" in m.get_payload()
        ]
        solved = [
            m for m in told if "opgelost" in m.get_payload() or "It is solved" in m.get_payload()
        ]
        told_open = [(m["X-Xlapulse-Dip"], m["To"]) for m in we_know]
        assert len(told_open) == len(set(told_open)), "one message per person and dip"
        recipients = [to for _, to in told_open]
        assert len(set(recipients)) >= 5
        told_closed = sorted(pair for pair in told_open if pair[0] in closed)
        assert told_closed, "the people of the closed dip were told it was open"
        solved_closed = sorted(
            (m["X-Xlapulse-Dip"], m["To"]) for m in solved if m["X-Xlapulse-Dip"] in closed
        )
        assert solved_closed == told_closed, "everyone told of a closed dip hears it is solved"
        assert opted_out not in recipients
        for message in we_know:
            assert "," not in message["To"], "a notice never reveals who else is affected"
            index = int(message["To"][4:10])
            expected = (
                "We weten dat VPN op locatie utrecht hapert; we werken eraan."
                if index % 2
                else "We know that VPN at utrecht is not working well; we are on it."
            )
            assert message.get_payload().strip() == expected

        # A second notifier over the same ledger re-reads every notice: nobody is told twice.
        config.write_text(config.read_text().replace("group_id: notify-", "group_id: again-"))
        before = len(mailbox.messages)
        again = subprocess.run(
            command, env={**os.environ, **env}, capture_output=True, text=True, timeout=120
        )
        assert again.returncode == 0, again.stderr
        assert len(mailbox.messages) == before
        assert "already_told=" in again.stdout
    finally:
        mailbox.close()


def test_a_silence_holds_the_alert(alertmanager: Alertmanager) -> None:
    client = AlertmanagerClient(alertmanager.url)
    site = f"silenced-{uuid.uuid4().hex[:6]}"
    forwarder = AlertForwarder(client, "http://grafana.test")
    forwarder.add(_synthetic_dip(site))
    now = datetime.now(UTC)
    silence = {
        "matchers": [{"name": "site", "value": site, "isRegex": False, "isEqual": True}],
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
        "createdBy": "xlapulse tests",
        "comment": "maintenance",
    }

    async def scenario() -> list[dict[str, Any]]:
        created = await client._request("POST", "/api/v2/silences", silence)
        await forwarder.send_once()
        for _ in range(40):
            alerts = await client.alerts(site=site)
            if alerts and alerts[0]["status"]["state"] == "suppressed":
                return [created, *alerts]
            await asyncio.sleep(0.25)
        return [created, *await client.alerts(site=site)]

    created, alert = asyncio.run(scenario())[:2]
    assert alert["status"]["state"] == "suppressed"
    assert alert["status"]["silencedBy"] == [created["silenceID"]]


def test_forwarder_retries_while_alertmanager_is_down_and_loses_nothing(
    webhook: WebhookReceiver, tmp_path: Path
) -> None:
    late = Alertmanager(tmp_path / "late-alertmanager", webhook.url)
    client = AlertmanagerClient(late.url, timeout_s=1.0)
    forwarder = AlertForwarder(
        client, "http://grafana.test", resend_interval_s=0.5, max_backoff_s=1.0
    )
    site = f"outage-{uuid.uuid4().hex[:6]}"
    forwarder.add(_synthetic_dip(site))
    forwarder.add(_synthetic_dip(f"{site}-closed", state="closed"))

    async def scenario() -> list[dict[str, Any]]:
        task = asyncio.create_task(forwarder.run())
        await asyncio.sleep(2.5)  # nothing listens yet: every post fails and is retried
        assert forwarder.failures >= 2 and forwarder.pending == 2
        await asyncio.to_thread(late.start)
        try:
            for _ in range(80):
                alerts = await client.alerts()
                if alerts and not forwarder.resolved:
                    return alerts
                await asyncio.sleep(0.25)
            return await client.alerts()
        finally:
            task.cancel()

    try:
        alerts = asyncio.run(scenario())
        resolved_received = _metric(
            late.url, 'alertmanager_alerts_received_total{status="resolved"'
        )
    finally:
        late.stop()
    by_site = {alert["labels"]["site"]: alert for alert in alerts}
    assert by_site[site]["status"]["state"] == "active"
    # Alertmanager lists no resolved alert; its own counter shows the resolution arrived.
    assert not forwarder.resolved, "the resolution made during the outage was delivered"
    assert resolved_received == 1


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://127.0.0.1:1", "not an http(s) URL"),
        (f"http://127.0.0.1:{free_port()}", "Alertmanager"),
    ],
)
def test_worker_refuses_to_start_with_an_unusable_alertmanager(
    services: Services, tmp_path: Path, url: str, reason: str
) -> None:
    env, _, _ = engine_env(
        services.kafka_bootstrap,
        services.influx_url,
        uuid.uuid4().hex[:10],
        tmp_path,
        TOPIC_PARTITIONS,
    )
    env["XLAPULSE_ALERTMANAGER_URL"] = url
    result = subprocess.run(
        [sys.executable, "-m", "xlapulse.collectors.cli", "worker"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert reason in result.stderr, result.stderr[-2000:]


def _metric(base_url: str, prefix: str) -> float:
    """A sample of Alertmanager's own /metrics page (0 when absent)."""
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=5) as response:
        page = response.read().decode()
    values = [
        float(line.rsplit(" ", 1)[1]) for line in page.splitlines() if line.startswith(prefix)
    ]
    return sum(values)


def _synthetic_dip(site: str, state: str = "opened") -> DipEvent:
    """A dip event for a scope no simulated fleet has (a test of Alertmanager itself)."""
    now = datetime.now(UTC)
    return DipEvent(
        event_id=uuid.uuid4(),
        event_time=now,
        dip_id="dip_" + uuid.uuid4().hex[:20],
        state=state,
        persona="knowledge_worker",
        site=site,
        touch_point="print",
        detector="peer",
        severity="warning",
        onset_time=now - timedelta(minutes=10),
        affected_people=6,
        time_lost_s=600.0,
        tickets=1,
        likely_cause="print failures (printer p1) since 09:00 UTC",
        summary=f"print for knowledge_worker at {site}",
        metric="badness",
        value=0.8,
        reference=0.02,
    )
