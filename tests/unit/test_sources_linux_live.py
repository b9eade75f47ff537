"""The Linux sources against this machine's real tools, not canned text.

journald: the real ``journalctl`` reads a binary journal file captured on the
development machine (tests/data/os/linux/system.journal.xz). systemd-analyze: the real
tool on this machine, which either reports the boot or says why it cannot (in a
container: "System has not been booted with systemd"), and the source must turn
either into a BootEvent or a SourceError, never a crash.

Both tools come with Debian's ``systemd`` package, which ``deploy/dev test`` installs when
they are missing; without them these tests fail (``... is not installed or not on PATH``).
"""

from __future__ import annotations

import lzma
from pathlib import Path

from tests.unit.helpers import IDENTITY, runtime_settings
from tests.unit.wire_events import contract_events
from xlapulse.collectors.sources.base import SourceError, run_command
from xlapulse.collectors.sources.journald.settings import JournaldSettings
from xlapulse.collectors.sources.journald.source import JournaldSource
from xlapulse.collectors.sources.systemd_boot.settings import SystemdBootSettings
from xlapulse.collectors.sources.systemd_boot.source import SystemdBootSource

DATA = Path(__file__).resolve().parents[1] / "data" / "os" / "linux"


def test_real_journalctl_on_a_captured_journal_file(tmp_path):
    journal = tmp_path / "system.journal"
    journal.write_bytes(lzma.decompress((DATA / "system.journal.xz").read_bytes()))
    settings = runtime_settings(JournaldSettings(journal_file=str(journal)))
    # --since=-24h would drop a capture older than a day: read it from the start instead.
    collected = JournaldSource(settings, IDENTITY, _without_since).collect(None)
    types = sorted(e.event_type for e in contract_events(collected))
    assert types == [
        "logon",
        "print_job",
        "print_job",
        "session",
        "session",
        "vpn_session",
        "vpn_session",
        "vpn_session",
    ]
    again = JournaldSource(settings, IDENTITY, run_command).collect(collected.bookmark)
    assert contract_events(again) == []  # --after-cursor: nothing new in the file


def _without_since(argv, timeout_s):
    return run_command([arg for arg in argv if not arg.startswith("--since")], timeout_s)


def test_real_systemd_analyze_gives_a_boot_or_a_clear_reason():
    source = SystemdBootSource(runtime_settings(SystemdBootSettings()), IDENTITY, run_command)
    try:
        collected = source.collect(None)
    except SourceError as error:
        assert "systemd-analyze time exited" in str(error)
        return
    (boot,) = contract_events(collected)
    assert boot.boot_duration_ms > 0
    assert collected.bookmark == Path("/proc/sys/kernel/random/boot_id").read_text().strip()


def test_a_command_printing_bytes_that_are_not_utf8_gives_replacement_characters() -> None:
    """A hostile name in a command's output (an interface, a printer) is one line that
    does not parse, not a decode error that fails every round."""
    assert run_command(["printf", r"wg\377x\n"], 10.0) == "wg\ufffdx\n"
