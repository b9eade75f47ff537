"""Collector agent: configuration, sample config drift, privacy switches, manifest, isolation."""

from __future__ import annotations

import logging
import re
import threading
import time
import tomllib
from datetime import UTC, datetime
from typing import ClassVar

import pytest
from kafka.errors import KafkaTimeoutError

from tests.unit.helpers import PSEUDONYM_KEY as KEY
from tests.unit.helpers import PSEUDONYMIZER
from xlapulse.collectors.agent.checks import _sasl_hint
from xlapulse.collectors.agent.config import ConfigError, load_config
from xlapulse.collectors.agent.daemon import Collector, Daemon, to_record
from xlapulse.collectors.agent.handoff import enabled_sources
from xlapulse.collectors.agent.manifest import render_manifest
from xlapulse.collectors.agent.privacy_decisions import PrivacyDecisions
from xlapulse.collectors.agent.privacy_filter import (
    PrivacyConfigError,
    decide_config_privacy,
    decide_privacy,
)
from xlapulse.collectors.agent.sample_config import SAMPLE_CONFIG_PATH, render_sample_config
from xlapulse.collectors.agent.service_logging import JournalFormatter
from xlapulse.collectors.agent.shipper import Shipper
from xlapulse.collectors.agent.spool import Spool
from xlapulse.collectors.contract.wire import telemetry_event
from xlapulse.collectors.delivery.kafka_producer import ProducerSettings
from xlapulse.collectors.sources.base import Collected, Source, SourceError


def vpn_event(number: int = 1) -> dict:
    return telemetry_event(
        "vpn_session",
        event_time=datetime(2026, 11, 20, 8, number, tzinfo=UTC),
        user_id=PSEUDONYMIZER.user("alice"),
        device_id=PSEUDONYMIZER.device("pc-1"),
        state="dropped",
        reason="connect-failed",
        vpn_gateway="Corp VPN",
    )


def test_toml_and_environment(tmp_path, monkeypatch):
    path = tmp_path / "collector.toml"
    path.write_text(
        '[kafka]\nbootstrap_servers = "k1:9093,k2:9093"\nsecurity_protocol = "SASL_SSL"\n'
        "[sources.synthetic_probe]\n"
        'targets = [{ app_name = "intranet", url = "https://i.example/" }]\n'
    )
    monkeypatch.setenv("XLAPULSE_COLLECTOR_KAFKA__SASL_PASSWORD", "from-env")
    monkeypatch.setenv("XLAPULSE_PSEUDONYM_KEY", KEY)
    config = load_config(path)
    assert config.kafka.bootstrap_servers == "k1:9093,k2:9093"
    assert config.kafka.sasl_password.get_secret_value() == "from-env"
    assert "from-env" not in repr(config) and KEY not in repr(config)
    assert config.privacy.pseudonym_key.get_secret_value() == KEY
    assert config.sources.synthetic_probe.targets[0].app_name == "intranet"


def test_environment_types_tables_and_unknown_keys(tmp_path, monkeypatch):
    path = tmp_path / "collector.toml"
    path.write_text("[kafka]\nlinger_ms = 5\n[sources.journald]\ninterval_s = 30\n")
    monkeypatch.setenv("XLAPULSE_PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("XLAPULSE_COLLECTOR_CONFIG", str(path))  # the --config default, not a key
    monkeypatch.setenv("xlapulse_collector_sources__journald__enabled", "false")
    monkeypatch.setenv("XLAPULSE_COLLECTOR_SPOOL__RETRY_S", "2.5")
    monkeypatch.setenv(
        "XLAPULSE_COLLECTOR_SOURCES__SYNTHETIC_PROBE__TARGETS",
        '[{"app_name": "intranet", "url": "https://i.example/"}]',
    )
    config = load_config(path)
    assert config.kafka.linger_ms == 5  # the file's other keys of a table stay
    assert config.sources.journald.interval_s == 30 and not config.sources.journald.enabled
    assert config.spool.retry_s == 2.5
    assert str(config.sources.synthetic_probe.targets[0].url) == "https://i.example/"
    monkeypatch.setenv("XLAPULSE_COLLECTOR_KAFKA__LINGER", "5")
    with pytest.raises(ConfigError, match=r"kafka\.linger: Extra inputs"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[kafka]\nbootstrap = "x"\n', "kafka.bootstrap: Extra inputs are not permitted"),
        ('[spool]\nfsync = "sometimes"\n', "spool.fsync"),
        ("[kafka\n", "cannot read"),
    ],
)
def test_bad_configuration_names_the_key(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(path)


def test_committed_sample_config_matches_the_code():
    assert SAMPLE_CONFIG_PATH.read_text() == render_sample_config(), (
        "run `xlapulse collector sample-config --update-committed` and commit the result"
    )


def test_sample_config_uncommented_is_exactly_the_defaults(tmp_path):
    lines = [
        re.sub(r"^  # ", "", line)
        for line in SAMPLE_CONFIG_PATH.read_text().splitlines()
        if not line.lstrip().startswith("##")
    ]
    uncommented = tmp_path / "all-defaults.toml"
    uncommented.write_text("\n".join(lines))
    tomllib.loads(uncommented.read_text())  # valid TOML
    assert load_config(uncommented).model_dump() == load_config(None).model_dump()


def test_privacy_switches_blank_fields_and_drop_events():
    privacy = decide_privacy(["print_job"], ["vpn_session.vpn_gateway", "vpn_session.reason"])
    kept = privacy.apply(vpn_event())
    assert "vpn_gateway" not in kept and "reason" not in kept and kept["state"] == "dropped"
    printed = telemetry_event(
        "print_job",
        event_time=datetime(2026, 11, 20, tzinfo=UTC),
        user_id=PSEUDONYMIZER.user("a"),
        device_id=PSEUDONYMIZER.device("b"),
        outcome="printed",
        printer="HR-1",
    )
    assert privacy.apply(printed) is None
    redacting = decide_privacy([], ["print_job.printer"])
    assert redacting.apply(printed)["printer"] == "redacted"
    with pytest.raises(PrivacyConfigError, match='disabled_events = \\["boot"\\]'):
        decide_privacy([], ["boot.boot_duration_ms"])


def test_manifest_lists_sources_fields_and_switches(monkeypatch):
    monkeypatch.setenv("XLAPULSE_PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("XLAPULSE_COLLECTOR_PRIVACY__DISABLED_FIELDS", '["vpn_session.vpn_gateway"]')
    monkeypatch.setenv("XLAPULSE_COLLECTOR_PRIVACY__DISABLED_EVENTS", '["print_job"]')
    config = load_config(None)
    privacy = decide_config_privacy(config.privacy)
    text = render_manifest(config, privacy, platform="win32")
    flat = " ".join(text.split())
    assert "the Windows event log: start-up, sign-in" in flat and "every 60 seconds" in flat
    assert (
        "vpn_gateway: which of the organisation's VPN servers was used (not your location) "
        "<- switched off" in flat
    )
    assert "[print_job] switched off: never sent." in text
    assert "systemd journal" not in text  # a Linux source, not on Windows
    assert KEY not in text


def test_sources_of_another_os_are_not_enabled(monkeypatch):
    monkeypatch.setenv("XLAPULSE_PSEUDONYM_KEY", KEY)
    config = load_config(None)
    assert set(enabled_sources(config, "linux")) == {
        "systemd_boot",
        "journald",
        "cups_error_log",
        "synthetic_probe",
    }
    assert set(enabled_sources(config, "darwin")) == {
        "cups_error_log",
        "macos_console_users",
        "macos_unified_log",
        "synthetic_probe",
    }


class Broken(Source):
    name = "broken"

    def collect(self, bookmark):
        raise SourceError("wevtutil is not installed or not on PATH")


class Working(Source):
    name = "working"

    def collect(self, bookmark):
        number = int(bookmark or 0) + 1
        return Collected(events=[vpn_event(number)], bookmark=str(number))


def test_a_failing_source_is_logged_once_and_never_stops_the_others(tmp_path, caplog):
    spool = Spool(tmp_path, 10**6)
    collector = Collector({"broken": Broken(), "working": Working()}, PrivacyDecisions(), spool)
    with caplog.at_level(logging.ERROR):
        for _ in range(3):
            assert collector.collect_round("broken") == 0
            assert collector.collect_round("working") == 1
    assert len([r for r in caplog.records if "source broken failed" in r.message]) == 1
    assert spool.bookmark("working") == "3" and spool.stats().records == 3


class FakeProducer:
    """A test double for EventProducer: acknowledges, or fails while ``down`` is set."""

    down = False
    sent: ClassVar[list[bytes]] = []

    def send_record(self, topic, key, value, headers):
        if FakeProducer.down:
            raise KafkaTimeoutError("Unable to bootstrap")
        FakeProducer.sent.append(value)

        class Done:
            def get(self, timeout):
                return None

        return Done()

    def flush(self, timeout_s):
        pass

    def close(self, timeout_s=0):
        pass


def test_shipper_keeps_records_while_kafka_is_down_and_replays_in_order(tmp_path, caplog):
    spool = Spool(tmp_path, 10**6)
    for number in range(1, 4):
        spool.store_round("s", [to_record(vpn_event(number))], str(number))
    shipper = Shipper(spool, FakeProducer)
    FakeProducer.down, FakeProducer.sent = True, []
    with caplog.at_level(logging.INFO):
        assert shipper.drain() == 0
        assert shipper.drain() == 0
        assert spool.stats().records == 3
        FakeProducer.down = False
        assert shipper.drain() == 3
    assert [
        b'"event_time":"2026-11-20T08:0%d:00Z"' % n in v
        for n, v in zip((1, 2, 3), FakeProducer.sent, strict=True)
    ] == [True] * 3
    assert spool.stats().records == 0
    messages = [r.message for r in caplog.records]
    assert sum("unreachable" in m for m in messages) == 1
    assert sum("reachable again" in m for m in messages) == 1


class SurprisingProducer(FakeProducer):
    """Fails once with an error the shipper does not expect, then acknowledges."""

    surprises = 1

    def send_record(self, topic, key, value, headers):
        if SurprisingProducer.surprises:
            SurprisingProducer.surprises -= 1
            raise RuntimeError("protocol state the library did not expect")
        return super().send_record(topic, key, value, headers)


def test_the_shipper_thread_survives_an_unexpected_error(tmp_path, caplog):
    spool = Spool(tmp_path, 10**6)
    collector = Collector({"working": Working()}, PrivacyDecisions(), spool)
    FakeProducer.down, FakeProducer.sent, SurprisingProducer.surprises = False, [], 1
    daemon = Daemon(collector, {"working": 3600}, Shipper(spool, SurprisingProducer), 0.05)
    runner = threading.Thread(target=daemon.run)
    with caplog.at_level(logging.ERROR):
        runner.start()
        deadline = time.monotonic() + 10
        while not FakeProducer.sent and time.monotonic() < deadline:
            time.sleep(0.02)
        daemon.stop()
        runner.join(timeout=30)
    assert len(FakeProducer.sent) == 1 and spool.stats().records == 0
    assert sum("shipping failed unexpectedly" in r.message for r in caplog.records) == 1


def test_journal_formatter_prefixes_syslog_priority():
    record = logging.LogRecord("xlapulse.collector", logging.WARNING, "", 0, "spooling", (), None)
    assert JournalFormatter("%(message)s").format(record) == "<4>xlapulse.collector: spooling"


def test_check_names_the_likely_sasl_cause_when_only_a_disconnect_was_logged():
    sasl = ProducerSettings(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512")
    disconnect = "<KafkaSSLTransport [127.0.0.1:19295<-39204]>: socket disconnected"
    assert "wrong user name or password" in _sasl_hint(sasl, disconnect)
    refused = "SaslAuthenticationFailedError: Authentication failed during authentication"
    assert _sasl_hint(sasl, refused) == ""  # the broker's own reason was read
    assert _sasl_hint(ProducerSettings(security_protocol="SSL"), disconnect) == ""
    refused_connection = "[Errno 111] ECONNREFUSED"
    assert _sasl_hint(sasl, refused_connection) == ""  # no broker: the login was never tried
    assert _sasl_hint(sasl, "") == ""


def test_sample_config_prints_or_writes_where_told_never_into_the_package(
    tmp_path, monkeypatch
) -> None:
    from click.testing import CliRunner

    from xlapulse.collectors.agent import sample_config
    from xlapulse.collectors.cli import main

    before = SAMPLE_CONFIG_PATH.stat().st_mtime_ns
    printed = CliRunner().invoke(main, ["collector", "sample-config"])
    assert printed.exit_code == 0, printed.output
    assert printed.output == render_sample_config()
    target = tmp_path / "collector.toml"
    written = CliRunner().invoke(main, ["collector", "sample-config", "--output", str(target)])
    assert written.exit_code == 0 and written.output.strip() == str(target)
    assert target.read_text() == render_sample_config()
    assert SAMPLE_CONFIG_PATH.stat().st_mtime_ns == before
    unwritable = CliRunner().invoke(
        main, ["collector", "sample-config", "--output", str(tmp_path / "no" / "x.toml")]
    )
    assert unwritable.exit_code == 73 and "cannot write" in unwritable.output
    # an installed package (no pyproject.toml two folders up) is never rewritten
    monkeypatch.setattr(sample_config, "SOURCES_FOLDER", tmp_path / "site" / "xlapulse" / "src")
    refused = CliRunner().invoke(main, ["collector", "sample-config", "--update-committed"])
    assert refused.exit_code == 1 and "not a source checkout" in refused.output
    assert SAMPLE_CONFIG_PATH.stat().st_mtime_ns == before
