"""Issue 17, hostile input: each defect the first fuzz run found, as a regression test.

A collector source that raised on one record kept its old bookmark and failed on the
same record every round (a journald MESSAGE with U+2028, a value outside the contract,
a malformed Graph export); now the record is counted as ``rejected (...)``, skipped,
and the round's other records and the new bookmark are stored. A forged NetworkManager
line is not read; a NaN packet loss fails the collector's contract check. The continuous
fuzzing is in tests/fuzz; the gateway's and the worker's defects are in
``test_hostile_payloads.py``.
"""

from __future__ import annotations

import json
import math
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.unit.helpers import IDENTITY, runtime_settings
from tests.unit.source_samples import DATA, LINUX, WINDOWS
from xlapulse.collectors.agent.daemon import Collector
from xlapulse.collectors.agent.privacy_decisions import PrivacyDecisions
from xlapulse.collectors.agent.spool import Spool
from xlapulse.collectors.contract.codec import parse_event
from xlapulse.collectors.contract.wire import WireError, telemetry_event
from xlapulse.collectors.sources.graph_call_records.settings import GraphCallRecordsSettings
from xlapulse.collectors.sources.graph_call_records.source import GraphCallRecordsSource
from xlapulse.collectors.sources.journald.settings import JournaldSettings
from xlapulse.collectors.sources.journald.source import JournaldSource
from xlapulse.collectors.sources.systemd_boot.settings import SystemdBootSettings
from xlapulse.collectors.sources.systemd_boot.source import SystemdBootSource
from xlapulse.collectors.sources.windows_eventlog.settings import WindowsEventLogSettings
from xlapulse.collectors.sources.windows_eventlog.source import WindowsEventLogSource
from xlapulse.collectors.sources.wireguard.settings import WireguardSettings
from xlapulse.collectors.sources.wireguard.source import WireguardSource

JOURNAL = (LINUX / "journal.json").read_text()
CONNECTED = "VPN plugin: state changed: started (4)"


def journal_entry(message: str, uid: str = "0", cursor: str = "s=hostile;i=1") -> dict:
    return {
        "__CURSOR": cursor,
        "__REALTIME_TIMESTAMP": "1795335043914100",
        "SYSLOG_IDENTIFIER": "NetworkManager",
        "PRIORITY": "6",
        "_UID": uid,
        "MESSAGE": message,
    }


def with_entry(entry: dict, ascii_only: bool = True) -> str:
    """The captured journal with ``entry`` in the middle (journalctl writes U+2028 raw)."""
    lines = JOURNAL.splitlines()
    middle = len(lines) // 2
    return "\n".join([*lines[:middle], json.dumps(entry, ensure_ascii=ascii_only), *lines[middle:]])


def journald(text: str) -> JournaldSource:
    return JournaldSource(runtime_settings(JournaldSettings(lpstat="")), IDENTITY, lambda *_: text)


def round_through_the_daemon(source, tmp_path: Path) -> tuple[Collector, Spool]:
    spool = Spool(tmp_path / "spool", 10_000_000)
    collector = Collector({source.name: source}, PrivacyDecisions(), spool)
    collector.collect_round(source.name)
    return collector, spool


def spooled_events(spool: Spool) -> list:
    return [parse_event(record.value) for _, record in spool.oldest(1000)]


GENUINE = journald(JOURNAL).collect(None)


def test_a_message_with_u2028_is_one_entry_and_the_round_goes_on(tmp_path: Path) -> None:
    vpn = 'vpn[0x1,9f1c2b7e-3d4a-4b5c-8e6f-1a2b3c4d5e6f,"Corp\u2028VPN"]'
    text = with_entry(journal_entry(f"<info>  [1795335043.9141] {vpn}: {CONNECTED}"), False)
    assert "\u2028" in text  # what broke str.splitlines: two halves, neither JSON
    collector, spool = round_through_the_daemon(journald(text), tmp_path)
    events = spooled_events(spool)
    assert len(events) == len(GENUINE.events) + 1
    assert any(e.event_type == "vpn_session" and "\u2028" in (e.vpn_gateway or "") for e in events)
    assert collector.health["journald"].last_error is None
    assert (
        json.loads(spool.bookmark("journald"))["cursor"] == json.loads(GENUINE.bookmark)["cursor"]
    )


def test_a_record_the_mapper_raises_on_is_counted_skipped_and_passed(tmp_path: Path) -> None:
    blank_name = 'vpn[0x1,9f1c2b7e-3d4a-4b5c-8e6f-1a2b3c4d5e6f,"   "]'  # no vpn_gateway: WireError
    entry = journal_entry(f"<info>  [1795335043.9141] {blank_name}: {CONNECTED}")
    lines = [*JOURNAL.splitlines(), json.dumps(entry)]  # the last entry: the cursor is its own
    collector, spool = round_through_the_daemon(journald("\n".join(lines)), tmp_path)
    assert collector.health["journald"].unparsed["rejected (WireError)"] == 1
    assert {e.event_id for e in spooled_events(spool)} == {
        parse_event(json.dumps(e, default=str).encode()).event_id for e in GENUINE.events
    }
    assert json.loads(spool.bookmark("journald"))["cursor"] == "s=hostile;i=1"
    collector.collect_round("journald")  # the next round does not fail on it again
    assert collector.health["journald"].last_error is None


def test_a_line_that_is_not_json_is_skipped_and_its_cursor_passed() -> None:
    broken = '{"__CURSOR":"s=broken;i=9","MESSAGE":"cut o'
    collected = journald(JOURNAL + "\n" + broken).collect(None)
    assert collected.skipped_records == 1
    assert len(collected.events) == len(GENUINE.events)
    assert json.loads(collected.bookmark)["cursor"] == "s=broken;i=9"


@pytest.mark.parametrize("uid", ["1000", None])
def test_a_forged_networkmanager_line_is_counted_not_read(uid: str | None) -> None:
    """``logger -t NetworkManager`` writes the identifier, but journald sets ``_UID``."""
    forged = journal_entry(
        "<warn>  [1795335043.9200] vpn[0x55d8c1a4e0d0,9f1c2b7e-3d4a-4b5c-"
        '8e6f-1a2b3c4d5e6f,"Corp VPN"]: VPN plugin: failed: x (1)',
        uid or "",
    )
    if uid is None:
        del forged["_UID"]
    collected = journald(with_entry(forged)).collect(None)
    assert collected.unparsed.counts == {**GENUINE.unparsed.counts, "forged-not-from-root": 1}
    ids = {e["event_id"] for e in collected.events}
    assert ids == {e["event_id"] for e in GENUINE.events}


def graph(folder: Path) -> GraphCallRecordsSource:
    settings = runtime_settings(GraphCallRecordsSettings(enabled=True, folder=str(folder)))
    return GraphCallRecordsSource(settings, IDENTITY)


def test_a_graph_export_with_malformed_content_is_done_and_blocks_nothing(tmp_path: Path) -> None:
    record = json.loads((DATA / "graph/callrecord-peer-to-peer.json").read_text())
    (tmp_path / "a-malformed.json").write_text(json.dumps({**record, "sessions": "broken"}))
    shutil.copy(DATA / "graph/callrecord-peer-to-peer.json", tmp_path / "b-good.json")
    first = graph(tmp_path).collect(None)
    assert first.unparsed.counts == {"rejected (AttributeError)": 1}
    assert json.loads(first.bookmark) == ["a-malformed.json", "b-good.json"]
    assert first.events, "the export after the malformed one is read"
    again = graph(tmp_path).collect(first.bookmark)
    assert (again.events, again.unparsed.counts) == ([], {})


def test_a_nan_packet_loss_fails_the_contract_check_and_only_its_stream_is_rejected(
    tmp_path: Path,
) -> None:
    text = (DATA / "graph/callrecord-peer-to-peer.json").read_text()
    record = json.loads(text)
    streams = record["sessions"][0]["segments"][0]["media"][0]["streams"]
    streams[0]["averagePacketLossRate"] = math.nan  # json.dumps writes NaN, json.loads reads it
    (tmp_path / "call.json").write_text(json.dumps(record))
    collected = graph(tmp_path).collect(None)
    assert collected.unparsed.counts == {"rejected (WireError)": 1}
    complete = graph_events_of(text, tmp_path / "clean")
    assert len(collected.events) == len(complete) - 1
    with pytest.raises(WireError, match="not a finite number"):
        telemetry_event(
            "call_quality",
            event_time=datetime(2026, 11, 23, tzinfo=UTC),
            user_id=IDENTITY.user_id,
            device_id=IDENTITY.device_id,
            call_id="c1",
            media="audio",
            direction="inbound",
            packet_loss_ratio=math.nan,
        )


def graph_events_of(text: str, folder: Path) -> list[dict]:
    folder.mkdir()
    (folder / "call.json").write_text(text)
    return graph(folder).collect(None).events


def test_an_unreadable_windows_event_is_rejected_and_passed() -> None:
    """A control character is no XML character: the channel's text is not well-formed,
    so its events are read one by one; the bad one is counted and its record id passed."""
    text = (WINDOWS / "application.xml").read_text()
    bad = text.replace("<Data>829</Data>", "<Data>8\x0129</Data>")
    assert bad != text

    def wevtutil(argv: list[str], timeout_s: float) -> str:
        return {"Application": bad}.get(argv[2], "<Events></Events>")

    def clean(argv: list[str], timeout_s: float) -> str:
        return {"Application": text}.get(argv[2], "<Events></Events>")

    settings = runtime_settings(WindowsEventLogSettings())
    collected = WindowsEventLogSource(settings, IDENTITY, wevtutil).collect(None)
    complete = WindowsEventLogSource(settings, IDENTITY, clean).collect(None)
    assert collected.unparsed.counts["rejected (SourceError)"] == 1
    assert len(collected.events) == len(complete.events) - 1
    last_ids = json.loads(collected.bookmark)["records"]
    assert last_ids["Application"] == json.loads(complete.bookmark)["records"]["Application"]


def test_a_boot_out_of_the_contracts_range_is_rejected_and_bookmarked() -> None:
    outputs = {"time": "Startup finished in 30h (kernel) + 1s (userspace) = 30h 1s\n", "blame": ""}
    settings = runtime_settings(SystemdBootSettings(proc=str(LINUX / "proc")))
    source = SystemdBootSource(settings, IDENTITY, lambda argv, _t: outputs[argv[1]])
    collected = source.collect(None)
    boot_id = (LINUX / "proc/sys/kernel/random/boot_id").read_text().strip()
    assert (collected.events, collected.bookmark) == ([], boot_id)
    assert collected.unparsed.counts == {"rejected (WireError)": 1}


def test_a_wireguard_peer_out_of_range_is_rejected_and_the_others_reported() -> None:
    dump = (LINUX / "wireguard/round-2.dump").read_text()
    peer = dump.splitlines()[1]
    far_future = peer.replace("1796540563", "9" * 15)  # a handshake no datetime can hold
    superscript = peer.replace("LPQ76", "XYZ76").replace("1796540563", "\u00b2")
    text = "\n".join([dump.rstrip("\n"), far_future.replace("LPQ76", "ABC76"), superscript])
    source = WireguardSource(
        runtime_settings(WireguardSettings(enabled=True)),
        IDENTITY,
        lambda *_: text,
        clock=lambda: 1796540599,
    )
    collected = source.collect(None)
    assert collected.unparsed.counts == {
        "rejected (ValueError)": 1,  # year out of range
        "wg-dump-line-unrecognised": 1,  # isdigit() but no ASCII digit
    }
    assert [e["state"] for e in collected.events] == ["connected"]
