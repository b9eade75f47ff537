"""The print server behind a CUPS queue, from ``lpstat -v`` (tests/data/os/linux/cups).

``lpstat-v-2.4.2`` (and its ``de_DE`` and ``fr_FR`` twins) and ``*-print-servers`` are
captured from a private cupsd 2.4.2; ``lpstat-v-published-*`` are lines others
published; the folder's README says how each was made. Every printer value the sources
emit is checked against the engine's own ``print_server``, which the dashboards use.
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from tests.unit.helpers import IDENTITY, runtime_settings
from tests.unit.source_samples import DATA, LINUX
from tests.unit.wire_events import contract_events
from xlapulse.collectors.sources.base import run_command
from xlapulse.collectors.sources.cups_error_log.settings import CupsErrorLogSettings
from xlapulse.collectors.sources.cups_error_log.source import CupsErrorLogSource
from xlapulse.collectors.sources.cups_queues import LPSTAT_TTL_S, CupsQueues, print_server
from xlapulse.collectors.sources.journald.settings import JournaldSettings
from xlapulse.collectors.sources.journald.source import JournaldSource
from xlapulse.collectors.sources.macos_unified_log.settings import MacosUnifiedLogSettings
from xlapulse.collectors.sources.macos_unified_log.source import MacosUnifiedLogSource
from xlapulse.collectors.sources.unparsed import Unparsed
from xlapulse.streams.scoring.details import print_server as engine_print_server

CUPS = LINUX / "cups"


class Lpstat:
    """A command runner answering ``env LC_ALL=C lpstat -v`` with a capture, counting calls."""

    def __init__(self, output: str) -> None:
        self.output = output
        self.calls: list[list[str]] = []

    def __call__(self, argv, timeout_s) -> str:
        self.calls.append(list(argv))
        return self.output


def resolved(output: str, queues: list[str]) -> tuple[dict[str, str], Unparsed, Lpstat]:
    runner = Lpstat(output)
    resolver = CupsQueues("lpstat", runner)
    unparsed = Unparsed()
    return {queue: resolver.printer(queue, unparsed) for queue in queues}, unparsed, runner


def test_queues_of_print_servers_name_the_server_and_direct_ones_stay_plain():
    printers, unparsed, runner = resolved(
        (CUPS / "lpstat-v-2.4.2").read_text(),
        [
            "HP-4F",
            "Finance-MFP",
            "Laser-2F",
            "Win-IPP",
            "lab-lpd",
            "Drucker-Büro",
            "Kitchen",
            "mfp-3f",
            "Zebra",
            "Bonjour",
            "pdf-archive",
            "loopback",
        ],
    )
    assert printers == {
        "HP-4F": "HP-4F@printsrv.corp",  # ipp://printsrv.corp:631/printers/HP-4F
        "Finance-MFP": "Finance-MFP@printsrv02.corp.example",  # ipps, host lower-cased
        "Laser-2F": "Laser-2F@winsrv01",  # smb://CORP/winsrv01/...: workgroup, then server
        "Win-IPP": "Win-IPP@winsrv01.corp",  # http://winsrv01.corp/printers/<share>/.printer
        "lab-lpd": "lab-lpd@lpdsrv.corp",
        "Drucker-Büro": "Drucker-Büro@printsrv.corp",
        "Kitchen": "Kitchen",  # socket://10.1.2.3:9100
        "mfp-3f": "mfp-3f",  # ipp://mfp-3f.corp/ipp/print: the printer itself
        "Zebra": "Zebra",  # usb://
        "Bonjour": "Bonjour",  # dnssd://...: local discovery
        "pdf-archive": "pdf-archive",  # file:///dev/null, printed as ///dev/null
        "loopback": "loopback",  # ipp://localhost:631/printers/...: this machine
    }
    assert {queue: engine_print_server(value) for queue, value in printers.items()} == {
        "HP-4F": "printsrv.corp",
        "Finance-MFP": "printsrv02.corp.example",
        "Laser-2F": "winsrv01",
        "Win-IPP": "winsrv01.corp",
        "lab-lpd": "lpdsrv.corp",
        "Drucker-Büro": "printsrv.corp",
        "Kitchen": None,
        "mfp-3f": None,
        "Zebra": None,
        "Bonjour": None,
        "pdf-archive": None,
        "loopback": None,
    }
    assert unparsed.total == 0  # the instance line HP-4F/duplex is read, not counted
    assert runner.calls == [["env", "LC_ALL=C", "lpstat", "-v"]]  # once for all jobs


@pytest.mark.parametrize(
    ("sample", "queue", "printer", "server"),
    [
        (
            "lpstat-v-published-opensource-com",
            "HP_LaserJet_P2015_Series",
            "HP_LaserJet_P2015_Series@10.0.1.222",
            "10.0.1.222",
        ),
        ("lpstat-v-published-rubicks", "HP-Color-LaserJet-CP3525", None, None),
        ("lpstat-v-published-nlp-server", "zebra", None, None),
        ("lpstat-v-published-apple-cups-986", "deskjet", None, None),
    ],
)
def test_published_lpstat_lines(sample, queue, printer, server):
    printers, unparsed, _ = resolved((CUPS / sample).read_text(), [queue])
    assert printers[queue] == (printer or queue)
    assert engine_print_server(printers[queue]) == server
    assert unparsed.total == 0


def test_credentials_in_a_device_uri_never_reach_the_event():
    # cupsd hands out device URIs without user:password@ (lpstat-v-2.4.2's Laser-2F was set
    # up as smb://jdoe:S3cret@CORP/winsrv01/Laser-2F); these lines are what an lpstat
    # that did not would print, and a password with an unencoded "/", which lpadmin
    # refuses but a hand-edited printers.conf could hold.
    output = (
        "device for Laser-2F: smb://jdoe:S3cret@CORP/winsrv01/Laser-2F\n"
        "device for Laser-3F: smb://jdoe:S3cret@winsrv02:445/Laser-3F\n"
        "device for Laser-4F: smb://jdoe:pa/ss@winsrv02/Laser-4F\n"
        "device for lab-lpd: lpd://jdoe:pa/ss@lpdsrv.corp/lab\n"
    )
    unparsed = Unparsed(IDENTITY.pseudonymizer)
    resolver = CupsQueues("lpstat", Lpstat(output))
    queues = ("Laser-2F", "Laser-3F", "Laser-4F", "lab-lpd")
    printers = [resolver.printer(queue, unparsed) for queue in queues]
    assert printers == ["Laser-2F@winsrv01", "Laser-3F@winsrv02", "Laser-4F", "lab-lpd"]
    assert unparsed.counts == {"cups-device-uri-unreadable": 2}
    written = " ".join(printers + list(unparsed.excerpts.values()))
    assert "jdoe" not in written and "S3cret" not in written and "pa/ss" not in written


@pytest.mark.parametrize("language", ["de_DE", "fr_FR"])
def test_a_translated_lpstat_is_counted_and_the_queue_kept(language):
    # "Gerät für HP-4F: ..." / "matériel pour HP-4F : ...": what lpstat prints without LC_ALL=C
    output = (CUPS / f"lpstat-v-2.4.2-{language}").read_text()
    printers, unparsed, _ = resolved(output, ["HP-4F"])
    assert printers == {"HP-4F": "HP-4F"}
    assert unparsed.counts == {"lpstat-line-unrecognised": 13, "cups-queue-not-listed": 1}


def fake_lpstat(folder: Path, stderr_sample: str) -> str:
    """An lpstat that writes a captured error to stderr and exits 1, as lpstat does."""
    script = folder / "lpstat"
    script.write_text(f"#!/bin/sh\ncat '{CUPS / stderr_sample}' >&2\nexit 1\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


@pytest.mark.parametrize(
    "stderr_sample", ["lpstat-v-scheduler-down.stderr", "lpstat-v-no-destinations.stderr"]
)
def test_a_failing_lpstat_keeps_the_queue_and_is_counted_once_per_job(tmp_path, stderr_sample):
    resolver = CupsQueues(fake_lpstat(tmp_path, stderr_sample), run_command)
    unparsed = Unparsed(IDENTITY.pseudonymizer)
    assert [resolver.printer("HP-4F", unparsed) for _ in range(2)] == ["HP-4F", "HP-4F"]
    assert unparsed.counts == {"lpstat-unavailable": 2}
    assert (CUPS / stderr_sample).read_text().strip() in unparsed.excerpts["lpstat-unavailable"]


def test_a_missing_lpstat_keeps_the_queue_and_is_counted(tmp_path):
    resolver = CupsQueues(str(tmp_path / "no-lpstat"), run_command)
    unparsed = Unparsed()
    assert resolver.printer("HP-4F", unparsed) == "HP-4F"
    assert unparsed.counts == {"lpstat-unavailable": 1}


def test_lpstat_is_read_again_after_its_ttl_and_unlisted_queues_are_counted():
    now = [0.0]
    runner = Lpstat("device for HP-4F: ipp://printsrv.corp/printers/HP-4F\n")
    resolver = CupsQueues("lpstat", runner, clock=lambda: now[0])
    unparsed = Unparsed()
    assert resolver.printer("HP-5F", unparsed) == "HP-5F"  # added after lpstat ran
    assert unparsed.counts == {"cups-queue-not-listed": 1}
    runner.output += "device for HP-5F: ipp://printsrv2.corp/printers/HP-5F\n"
    now[0] = LPSTAT_TTL_S - 1
    assert resolver.printer("HP-5F", unparsed) == "HP-5F"
    now[0] = LPSTAT_TTL_S + 1
    assert resolver.printer("HP-5F", unparsed) == "HP-5F@printsrv2.corp"
    assert len(runner.calls) == 2


def test_no_lpstat_setting_and_remote_queue_names_are_left_alone():
    runner = Lpstat("device for mfp@srv01: ipp://other.corp/printers/mfp\n")
    unparsed = Unparsed()
    assert CupsQueues("", runner).printer("HP-4F", unparsed) == "HP-4F"
    assert CupsQueues("lpstat", runner).printer("mfp@srv01", unparsed) == "mfp@srv01"
    assert runner.calls == [] and unparsed.total == 0


@pytest.mark.parametrize(
    ("uri", "server"),
    [
        ("ipps://[2001:DB8::7]:631/printers/q", "2001:db8::7"),
        ("ipp://[::1]/printers/q", None),  # loopback
        ("ipp://127.0.0.1:631/printers/decommissioned", None),
        ("https://winsrv01.corp/printers/Plotter-1/.printer", "winsrv01.corp"),
        ("ipp://srv/classes/floor-3", "srv"),
        ("socket://10.1.2.3:9100", None),
        ("lpd://lpdsrv.corp/lab?format=l", "lpdsrv.corp"),
        ("ipp://HP%20LaserJet._ipp._tcp.local./", None),  # a service name, no server path
    ],
)
def test_what_counts_as_a_print_server(uri, server):
    assert print_server(uri) == server


def test_the_error_log_source_reports_the_print_server_of_each_job(tmp_path):
    log = tmp_path / "error_log"
    shutil.copy(CUPS / "error_log-print-servers", log)
    settings = runtime_settings(CupsErrorLogSettings(path=str(log)))
    runner = Lpstat((CUPS / "lpstat-v-print-servers").read_text())
    collected = CupsErrorLogSource(settings, IDENTITY, runner).collect(None)
    jobs = [(e.printer, e.outcome) for e in contract_events(collected)]
    assert jobs == [
        ("HP-4F@printsrv.corp", "printed"),
        ("Laser-2F@winsrv01", "failed"),
        ("Kitchen", "printed"),
    ]
    assert [engine_print_server(printer) for printer, _ in jobs] == [
        "printsrv.corp",
        "winsrv01",
        None,
    ]
    assert collected.unparsed.total == 0 and len(runner.calls) == 1


def answering(text: str, lpstat_output: str):
    """A runner answering lpstat with ``lpstat_output`` and any other command with ``text``."""

    def run(argv, timeout_s) -> str:
        return lpstat_output if argv[:2] == ["env", "LC_ALL=C"] else text

    return run


def test_the_macos_unified_log_reports_the_print_server_of_each_job():
    text = (DATA / "os/macos/log-show.ndjson").read_text()
    # constructed: the queue of the reconstructed log on a CUPS server
    lpstat = "device for Finance_MFP_3F: ipps://PrintSrv.corp:443/printers/Finance_MFP_3F\n"
    settings = runtime_settings(MacosUnifiedLogSettings())
    source = MacosUnifiedLogSource(settings, IDENTITY, answering(text, lpstat))
    collected = source.collect(None)
    printers = [e.printer for e in contract_events(collected) if e.event_type == "print_job"]
    assert printers == ["Finance_MFP_3F@printsrv.corp"] * 2
    assert {engine_print_server(printer) for printer in printers} == {"printsrv.corp"}


def test_journald_keeps_a_queue_whose_device_is_on_this_machine():
    text = (LINUX / "journal.json").read_text()
    # the devices the captured journal's queues had (tests/data/os/PROVENANCE.md)
    lpstat = (
        "device for finance-mfp-3f: ipp://127.0.0.1:631/printers/decommissioned\n"
        "device for pdf-archive: ///dev/null\n"
    )
    source = JournaldSource(runtime_settings(JournaldSettings()), IDENTITY, answering(text, lpstat))
    collected = source.collect(None)
    printers = [e.printer for e in contract_events(collected) if e.event_type == "print_job"]
    assert sorted(printers) == ["finance-mfp-3f", "pdf-archive"]
    assert collected.unparsed.total == 0
