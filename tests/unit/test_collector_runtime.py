"""``xlapulse collector run`` hands the validated configuration to the lean runtime.

The runtime is started here as ``collector run`` starts it (``python -m ... --config-fd``
with the document in an inherited memfd); delivery to Kafka, signals and the flush on
stop are covered by tests/integration/test_collector_delivery.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.unit.helpers import PSEUDONYM_KEY as KEY
from xlapulse.collectors.agent.config import load_config
from xlapulse.collectors.agent.handoff import (
    RUNTIME_MODULE,
    document_descriptor,
    runtime_document,
)
from xlapulse.collectors.agent.privacy_filter import decide_config_privacy
from xlapulse.collectors.delivery.kafka_producer import ProducerSettings


@pytest.fixture
def document(monkeypatch, tmp_path):
    monkeypatch.setenv("XLAPULSE_PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("XLAPULSE_COLLECTOR_KAFKA__SASL_PASSWORD", "sasl-secret")
    monkeypatch.setenv("XLAPULSE_COLLECTOR_SPOOL__DIRECTORY", str(tmp_path / "spool"))
    monkeypatch.setenv("XLAPULSE_COLLECTOR_PRIVACY__DISABLED_FIELDS", '["print_job.printer"]')
    monkeypatch.setenv(
        "XLAPULSE_COLLECTOR_SOURCES__SYNTHETIC_PROBE__TARGETS",
        '[{"app_name": "intranet", "url": "https://i.example"}]',
    )
    config = load_config(None)
    privacy = decide_config_privacy(config.privacy)
    return runtime_document(config, privacy, platform="linux")


def test_the_document_carries_validated_plain_data(document, tmp_path):
    assert document["identity"]["pseudonym_key"] == KEY
    assert document["kafka"]["sasl_password"] == "sasl-secret"
    assert document["kafka"]["compression_type"] == "zstd"
    assert document["spool"]["directory"] == str(tmp_path / "spool")
    assert document["privacy"] == {
        "disabled_events": [],
        "blanks": {"print_job": {"printer": "redacted"}},
    }
    assert set(document["sources"]) == {
        "systemd_boot",
        "journald",
        "cups_error_log",
        "synthetic_probe",
    }
    probe = document["sources"]["synthetic_probe"]
    assert probe["interval_s"] == 300
    assert probe["settings"]["targets"] == [{"app_name": "intranet", "url": "https://i.example/"}]
    assert json.loads(json.dumps(document)) == document


def run_runtime(document: dict) -> subprocess.CompletedProcess:
    descriptor = document_descriptor(document)
    try:
        return subprocess.run(
            [sys.executable, "-m", RUNTIME_MODULE, "--config-fd", str(descriptor)],
            pass_fds=(descriptor,),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        os.close(descriptor)


def test_an_unusable_spool_folder_exits_73(document, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    document["spool"]["directory"] = str(tmp_path / "file" / "spool")
    document["sources"] = {}
    completed = run_runtime(document)
    assert completed.returncode == 73
    assert "xlapulse collector: cannot use the spool folder" in completed.stderr
    assert KEY not in completed.stderr and "sasl-secret" not in completed.stderr


def test_an_unreadable_document_exits_78():
    completed = subprocess.run(
        [sys.executable, "-m", RUNTIME_MODULE, "--config-fd", "97"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 78
    assert "cannot read the runtime document" in completed.stderr


def test_the_producer_settings_never_show_the_sasl_password(document):
    settings = ProducerSettings(**document["kafka"])
    assert settings.security_options()["security_protocol"] == "PLAINTEXT"
    assert "sasl-secret" not in repr(settings)


def test_a_stop_asked_for_while_the_daemon_is_built_ends_it_cleanly(monkeypatch):
    """SIGTERM after the spool was opened but before the daemon runs (a quick restart by
    systemd, or the frozen collector's test) stops it at once with exit code 0, through
    the daemon's own stop and flush; before, the signal's default action killed it."""
    import signal

    from xlapulse.collectors.agent import daemon as daemon_module
    from xlapulse.collectors.agent import runtime

    calls: list[str] = []

    class Daemon:
        def stop(self) -> None:
            calls.append("stop")

        def run(self) -> None:
            calls.append("run")

    def build_daemon(document: dict) -> Daemon:
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while the daemon is being built
        calls.append("built")
        return Daemon()

    monkeypatch.setattr(daemon_module, "build_daemon", build_daemon)
    monkeypatch.setattr(runtime.lean_imports, "apply", lambda compression: None)
    monkeypatch.setattr(runtime, "configure_service_logging", lambda verbose: None)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    # stands for the default action (death) while serve() has not installed its own
    signal.signal(signal.SIGTERM, lambda *_: calls.append("killed"))
    try:
        exit_code = runtime.serve({"kafka": {"compression_type": "zstd"}}, verbose=False)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert exit_code == 0
    assert calls == ["built", "stop", "run"]
