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
