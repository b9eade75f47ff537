"""``xlapulse collector`` as an operator runs it: a real process, its output and exit codes.

Reads: the captured CUPS error_log in tests/data/os/linux (the one source this test
enables). Writes: a spool in a temporary folder. Kafka is a closed local port, so
nothing leaves the machine; ``run`` must keep every event in the spool and stop cleanly.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.shared_helpers import COLLECTOR_CLI, collector_env, free_port, run_collector
from tests.unit.helpers import PSEUDONYM_KEY as KEY
from xlapulse.collectors.agent.spool import Spool
from xlapulse.collectors.contract.codec import parse_event

CUPS_LOG = Path(__file__).resolve().parents[1] / "data" / "os" / "linux" / "cups-error_log"
OTHER_SOURCES = ("windows_eventlog", "systemd_boot", "journald", "macos_unified_log")


def write_config(tmp_path: Path, extra: str = "") -> Path:
    disabled = "".join(f"[sources.{name}]\nenabled = false\n" for name in OTHER_SOURCES)
    config = tmp_path / "collector.toml"
    config.write_text(
        f'[identity]\nuser = "alice"\ndevice = "pc-1"\n'
        f'[kafka]\nbootstrap_servers = "127.0.0.1:{free_port()}"\n'
        f'[spool]\ndirectory = "{tmp_path / "spool"}"\nretry_s = 1.0\n'
        f"{disabled}"
        f'[sources.cups_error_log]\ninterval_s = 1\npath = "{CUPS_LOG}"\n{extra}'
    )
    return config


def test_once_prints_contract_events_and_sends_nothing(tmp_path) -> None:
    done = run_collector("once", "--config", str(write_config(tmp_path)), pseudonym_key=KEY)
    assert done.returncode == 0, done.stderr
    events = [parse_event(line.encode()) for line in done.stdout.splitlines()]
    assert {e.event_type for e in events} == {"print_job"}
    assert {e.outcome for e in events} == {"printed", "failed"}
    assert all(e.user_id.startswith("u_") and "alice" not in e.user_id for e in events)
    assert f"cups_error_log: {len(events)} events" in done.stderr
    assert not (tmp_path / "spool").exists()  # once never spools


def test_manifest_names_every_field_of_what_is_enabled_and_what_is_switched_off(tmp_path) -> None:
    extra = '[privacy]\ndisabled_fields = ["print_job.page_count"]\n'
    config = write_config(tmp_path, extra)
    done = run_collector("manifest", "--config", str(config), pseudonym_key=KEY)
    assert done.returncode == 0, done.stderr
    sent, _, switched_off = done.stdout.partition("Switched off by your organisation:")
    assert (
        "the printing system's log (CUPS): print jobs that printed or failed; and the printers' "
        "connections (lpstat), for the print server's name: every 1 " in " ".join(sent.split())
    )
    assert "NOT encrypted" in sent
    print_job = sent[sent.index("[print_job]") :].split("\n  [")[0]
    for field in ("event_time", "user_id", "device_id", "outcome", "printer", "error_code"):
        assert f"      {field}:" in print_job
    page_count = "      page_count: how many pages (never the document's name or content)"
    assert f"{page_count}  <- switched off" in print_job
    assert "print_job.page_count" in switched_off


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("colour = true\n", "colour"),
        ("[sources.synthetic_probe]\ninterval_s = -5\n", "interval_s"),
    ],
)
def test_invalid_configuration_exits_78_naming_the_key(tmp_path, extra, message) -> None:
    config = write_config(tmp_path, extra)
    done = run_collector("run", "--config", str(config), pseudonym_key=KEY)
    assert done.returncode == 78
    assert message in done.stderr


def test_missing_pseudonym_key_exits_78(tmp_path) -> None:
    config = write_config(tmp_path)
    done = run_collector("run", "--config", str(config), pseudonym_key=None)
    assert done.returncode == 78
    assert "pseudonym" in done.stderr.lower()


def test_unwritable_spool_folder_exits_73(tmp_path) -> None:
    (tmp_path / "spool").write_text("a file where the folder should be")
    done = run_collector("run", "--config", str(write_config(tmp_path)), pseudonym_key=KEY)
    assert done.returncode == 73
    assert "spool" in done.stderr


def test_run_spools_while_kafka_is_down_and_stops_cleanly_on_sigterm(tmp_path) -> None:
    config = write_config(tmp_path)
    returncode, stderr = run_until_spooled_then_sigterm(config, tmp_path / "spool")
    assert returncode == 0, stderr
    once = run_collector("once", "--config", str(config), pseudonym_key=KEY)
    expected = len(once.stdout.splitlines())
    assert _spooled(tmp_path / "spool") == expected  # every event kept; none sent, none repeated
    summary = re.search(r"source cups_error_log: (\d+) rounds, (\d+) events spooled", stderr)
    assert summary and int(summary[1]) >= 1 and int(summary[2]) == expected, stderr
    assert "0 records acknowledged by Kafka in this run" in stderr


def run_until_spooled_then_sigterm(config: Path, spool_folder: Path) -> tuple[int, str]:
    """``collector run`` until its spool holds records (30 s at most), then SIGTERM."""
    daemon = subprocess.Popen(
        [*COLLECTOR_CLI, "run", "--config", config],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=collector_env(KEY),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _spooled(spool_folder):
        time.sleep(0.2)
    daemon.send_signal(signal.SIGTERM)
    _, stderr = daemon.communicate(timeout=60)
    return daemon.returncode, stderr


def _spooled(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    spool = Spool(folder, max_bytes=32 * 1024 * 1024)
    try:
        return spool.stats().records
    finally:
        spool.close()


def test_a_source_that_cannot_start_is_logged_and_the_others_run(tmp_path) -> None:
    probe = (
        '[sources.synthetic_probe]\nca_file = "/nonexistent/internal-ca.pem"\n'
        'targets = [{ app_name = "intranet", url = "https://127.0.0.1:9/" }]\n'
    )
    config = write_config(tmp_path, probe)
    returncode, stderr = run_until_spooled_then_sigterm(config, tmp_path / "spool")
    assert returncode == 0, stderr
    assert "source synthetic_probe cannot start: FileNotFoundError" in stderr
    assert _spooled(tmp_path / "spool") > 0  # the CUPS source ran all the same
