"""Nothing dropped silently: unmapped lines counted per reason, logged, summed, and shown.

Reads: the reconstructed CUPS job texts (tests/data/os/linux/cups, one job error that
is no print failure) through ``collector once`` and ``collector check`` as an operator
runs them; a test double source for the daemon's once-per-interval logging.
"""

from __future__ import annotations

import logging

from tests.shared_helpers import run_collector
from tests.unit.helpers import IDENTITY, PSEUDONYM_KEY, PSEUDONYMIZER
from tests.unit.source_samples import LINUX
from tests.unit.test_collector_cli import write_config
from xlapulse.collectors.agent.daemon import UNPARSED_LOG_INTERVAL_S, Collector
from xlapulse.collectors.agent.privacy_decisions import PrivacyDecisions
from xlapulse.collectors.agent.spool import Spool
from xlapulse.collectors.sources.base import Collected, Source
from xlapulse.collectors.sources.unparsed import MAX_EXCERPT_CHARS, excerpt

JOB_TEXTS = LINUX / "cups" / "error_log-job-c-texts"


def test_excerpts_pseudonymize_quoted_names_and_mail_addresses():
    line = "vpn[0x1,u,\"Alice's VPN\"]: login for bob@corp.example failed: 'secret' " + "x" * 300
    hidden = excerpt(line, PSEUDONYMIZER)
    for clear in ("Alice's VPN", "bob@corp.example", "secret"):
        assert clear not in hidden
    assert PSEUDONYMIZER.user("bob@corp.example") in hidden
    assert len(hidden) == MAX_EXCERPT_CHARS


class Unmapping(Source):
    name = "unmapping"

    def collect(self, bookmark):
        collected = Collected(unparsed=IDENTITY.unparsed())
        collected.unparsed.add("nm-vpn-warning-unrecognised", '<warn> vpn[..,"Corp VPN"]: new')
        collected.unparsed.add("nm-vpn-warning-unrecognised", '<warn> vpn[..,"Corp VPN"]: new')
        return collected


def test_the_daemon_logs_each_reason_once_per_interval_and_keeps_counting(tmp_path, caplog):
    now = [0.0]
    collector = Collector(
        {"unmapping": Unmapping()}, PrivacyDecisions(), Spool(tmp_path, 10**6), clock=lambda: now[0]
    )
    with caplog.at_level(logging.WARNING):
        for step_s in (0.0, 60.0, UNPARSED_LOG_INTERVAL_S):
            now[0] += step_s
            collector.collect_round("unmapping")
    warnings = [r.message for r in caplog.records if "not mapped" in r.message]
    assert len(warnings) == 2  # the first round, and the first after an interval
    assert "nm-vpn-warning-unrecognised; 6 in this run" in warnings[1]
    assert "Corp VPN" not in warnings[0] and PSEUDONYMIZER.user("Corp VPN") in warnings[0]
    assert collector.health["unmapping"].unparsed == {"nm-vpn-warning-unrecognised": 6}


def test_once_and_check_show_unparsed_lines_and_the_cups_log_level(tmp_path):
    conf = tmp_path / "cupsd.conf"
    conf.write_text("LogLevel warn\n")
    config = write_config(tmp_path, f'cupsd_conf = "{conf}"\n')
    config.write_text(config.read_text().replace(str(LINUX / "cups-error_log"), str(JOB_TEXTS)))
    once = run_collector("once", "--config", str(config), pseudonym_key=PSEUDONYM_KEY)
    assert once.returncode == 0, once.stderr
    assert (
        "cups_error_log: 3 events, 0 records skipped, "
        "unparsed lines: cups-job-error-unrecognised: 1" in once.stderr
    )
    assert "Unable to write job control file" in once.stderr  # the excerpt
    check = run_collector("check", "--config", str(config), pseudonym_key=PSEUDONYM_KEY)
    assert "source cups_error_log: ok" in check.stdout
    assert "source cups_error_log: warning: cupsd LogLevel is warn" in check.stdout
    assert (
        "source cups_error_log: warning: lines not mapped: cups-job-error-unrecognised: 1"
        in check.stdout
    )


def test_the_counters_are_written_as_a_prometheus_text_file(tmp_path):
    textfile = tmp_path / "xlapulse_collector.prom"
    collector = Collector(
        {"unmapping": Unmapping()},
        PrivacyDecisions(),
        Spool(tmp_path / "spool", 10**6),
        metrics_textfile=textfile,
    )
    collector.collect_round("unmapping")
    collector.collect_round("unmapping")
    text = textfile.read_text()
    assert 'xlapulse_collector_rounds_total{source="unmapping"} 2' in text
    assert (
        'xlapulse_collector_unparsed_lines_total{source="unmapping",'
        'reason="nm-vpn-warning-unrecognised"} 4'
    ) in text
    assert "# TYPE xlapulse_collector_unparsed_lines_total counter" in text
    assert not list(tmp_path.glob(".*.tmp"))  # replaced atomically, nothing left behind


def test_an_unwritable_metrics_file_never_stops_collection(tmp_path, caplog):
    collector = Collector(
        {"unmapping": Unmapping()},
        PrivacyDecisions(),
        Spool(tmp_path / "spool", 10**6),
        metrics_textfile=tmp_path / "missing-folder" / "x.prom",
    )
    with caplog.at_level(logging.WARNING):
        collector.collect_round("unmapping")
        collector.collect_round("unmapping")
    assert collector.health["unmapping"].rounds == 2
    assert len([r for r in caplog.records if "metrics file" in r.message]) == 1
