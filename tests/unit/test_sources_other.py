"""macOS unified log, Graph callRecords (tests/data/os/macos, tests/data/graph), probes."""

from __future__ import annotations

import http.server
import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.helpers import IDENTITY, PSEUDONYMIZER, runtime_settings
from tests.unit.wire_events import contract_events
from xlapulse.collectors.sources.base import SourceError
from xlapulse.collectors.sources.graph_call_records.settings import GraphCallRecordsSettings
from xlapulse.collectors.sources.graph_call_records.source import (
    GraphCallRecordsSource,
    duration_ms,
)
from xlapulse.collectors.sources.macos_unified_log.settings import MacosUnifiedLogSettings
from xlapulse.collectors.sources.macos_unified_log.source import MacosUnifiedLogSource
from xlapulse.collectors.sources.synthetic_probe.settings import ProbeTarget, SyntheticProbeSettings
from xlapulse.collectors.sources.synthetic_probe.source import SyntheticProbeSource

DATA = Path(__file__).resolve().parents[1] / "data"


def test_macos_boot_vpn_and_print():
    text = (DATA / "os/macos/log-show.ndjson").read_text()
    runner_calls = []

    def runner(argv, timeout_s):  # like `log show --start`: from that second on
        runner_calls.append(argv)
        start = argv[argv.index("--start") + 1] if "--start" in argv else ""
        lines = text.splitlines()
        return "\n".join(line for line in lines if json.loads(line).get("timestamp", "z") >= start)

    source = MacosUnifiedLogSource(
        runtime_settings(MacosUnifiedLogSettings(lpstat="")), IDENTITY, runner
    )
    collected = source.collect(None)
    boot, connected, dropped, failed_print, printed = contract_events(collected)
    assert boot.boot_duration_ms == 39788  # kernel 07:58:02.114201 -> loginwindow 07:58:41.902311
    assert (connected.state, connected.vpn_gateway) == ("connected", "Corp VPN")
    assert dropped.state == "dropped"
    assert dropped.reason.startswith("The VPN session failed")
    assert dropped.session_duration_s == 5874
    assert (failed_print.outcome, failed_print.error_code, failed_print.printer) == (
        "failed",
        1,
        "Finance_MFP_3F",
    )
    assert printed.outcome == "printed"
    assert runner_calls[0][3:6] == ["ndjson", "--last", "24h"]
    # Resuming from the last timestamp re-reads its second; those entries are not repeated.
    assert contract_events(source.collect(collected.bookmark)) == []
    assert runner_calls[1][4:6] == ["--start", "2026-11-20 10:16:09"]


def test_graph_call_record_streams(tmp_path):
    shutil.copy(DATA / "graph/callrecord-peer-to-peer.json", tmp_path / "call-1.json")
    source = GraphCallRecordsSource(
        runtime_settings(GraphCallRecordsSettings(folder=str(tmp_path))), IDENTITY
    )
    collected = source.collect(None)
    assert (
        len(contract_events(collected)) == 4
    )  # 2 audio + 1 video in segment 1, 1 audio in segment 2
    to_owen, to_abbie, video, dropped = contract_events(collected)
    assert to_owen.user_id == PSEUDONYMIZER.user("owen.franklin@contoso.com")  # callee receives
    assert to_owen.device_id == PSEUDONYMIZER.device("machineName_4")
    assert (to_owen.media, to_owen.direction, to_owen.jitter_ms) == ("audio", "inbound", 16.0)
    assert to_owen.network_mos_degradation is None
    assert to_abbie.user_id == PSEUDONYMIZER.user("abbie.wilkins@contoso.com")
    assert (to_abbie.jitter_ms, to_abbie.packet_loss_ratio, to_abbie.round_trip_ms) == (
        43.0,
        0.1327,
        627.0,
    )
    assert (to_abbie.network_mos_degradation, to_abbie.concealed_sample_ratio) == (1.423239, 0.081)
    assert to_abbie.duration_s == 25
    assert video.media == "video"
    assert dropped.dropped_segment and not to_owen.dropped_segment
    assert contract_events(source.collect(collected.bookmark)) == []  # each file once


def test_graph_broken_file_is_skipped_and_counted(tmp_path):
    (tmp_path / "broken.json").write_text('{"id": "x", "sessions": [')
    source = GraphCallRecordsSource(
        runtime_settings(GraphCallRecordsSettings(folder=str(tmp_path))), IDENTITY
    )
    collected = source.collect(None)
    assert (contract_events(collected), collected.skipped_records) == ([], 1)
    with pytest.raises(SourceError, match="ISO 8601"):
        duration_ms("16 ms")


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200 if self.path == "/" else 503
        self.send_response(status)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def https_server(tmp_path) -> Iterator[tuple[int, Path]]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            key,
            "-out",
            cert,
        ],
        check=True,
        capture_output=True,
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], cert
    server.shutdown()


def test_probe_times_every_phase_of_a_real_https_request(https_server):
    port, cert = https_server
    targets = [
        ProbeTarget(app_name="intranet", url=f"https://localhost:{port}/"),
        ProbeTarget(app_name="hr", url=f"https://localhost:{port}/down"),
        ProbeTarget(app_name="gone", url="https://no-such-host.invalid/"),
        ProbeTarget(app_name="closed", url="http://127.0.0.1:9/"),
    ]
    settings = runtime_settings(
        SyntheticProbeSettings(targets=targets, ca_file=str(cert), timeout_s=5)
    )
    ok, http_error, dns_error, refused = contract_events(
        SyntheticProbeSource(settings, IDENTITY).collect(None)
    )
    assert (ok.outcome, ok.status_code, ok.target_host) == ("ok", 200, "localhost")
    assert ok.dns_ms <= ok.connect_ms <= ok.tls_ms <= ok.first_byte_ms <= ok.total_ms
    assert (http_error.outcome, http_error.status_code) == ("http_error", 503)
    assert dns_error.outcome == "dns_error" and dns_error.connect_ms is None
    assert refused.outcome == "connection_error"


def test_probe_untrusted_certificate_is_a_tls_error(https_server):
    port, _ = https_server
    settings = runtime_settings(
        SyntheticProbeSettings(
            targets=[ProbeTarget(app_name="intranet", url=f"https://localhost:{port}/")]
        )
    )
    (event,) = contract_events(SyntheticProbeSource(settings, IDENTITY).collect(None))
    assert event.outcome == "tls_error" and event.tls_ms is None
    assert json.loads(event.model_dump_json())["total_ms"] >= 0


def test_probe_loads_the_ca_store_only_for_https_targets():
    plain = [ProbeTarget(app_name="intranet", url="http://127.0.0.1:9/")]
    assert (
        SyntheticProbeSource(
            runtime_settings(SyntheticProbeSettings(targets=plain)), IDENTITY
        ).ssl_context
        is None
    )
    secure = [*plain, ProbeTarget(app_name="hr", url="https://hr.example/")]
    source = SyntheticProbeSource(
        runtime_settings(SyntheticProbeSettings(targets=secure)), IDENTITY
    )
    assert source.ssl_context.verify_mode == ssl.CERT_REQUIRED


def test_macos_session_classes_null_suffix_and_stop_reasons():
    text = (DATA / "os/macos/log-show-nesm-variants.ndjson").read_text()
    source = MacosUnifiedLogSource(
        runtime_settings(MacosUnifiedLogSettings()), IDENTITY, lambda argv, timeout_s: text
    )
    collected = source.collect(None)
    outcomes = [
        (e.state, e.vpn_gateway, e.reason, e.session_duration_s) for e in contract_events(collected)
    ]
    assert outcomes == [
        ("connected", "HQ IKEv2", None, None),  # NESMIKEv2VPNSession[...:(null)]
        ("dropped", "HQ IKEv2", "Server disconnected", 5400),  # stop reason, was up
        ("failed", "Office L2TP", "The L2TP-VPN server did not respond.", None),
        ("connected", "Cisco Secure Client", None, None),
        ("disconnected", "Cisco Secure Client", None, 1800),  # "User initiated" is normal
    ]
    assert collected.unparsed.total == 0  # connecting / disconnecting are steps, not losses


def test_macos_status_lines_that_cannot_be_mapped_are_counted():
    line = json.dumps(
        {
            "timestamp": "2026-11-21 08:10:01.100000+0100",
            "processImagePath": "/usr/libexec/nesessionmanager",
            "eventMessage": "NESMVPNSession: status changed to connected",  # no bracket
            "machTimestamp": 1,
            "traceID": 1,
        }
    )
    source = MacosUnifiedLogSource(
        runtime_settings(MacosUnifiedLogSettings()), IDENTITY, lambda argv, timeout_s: line
    )
    collected = source.collect(None)
    assert contract_events(collected) == []
    assert collected.unparsed.counts == {"nesm-session-unrecognised": 1}


def test_graph_participant_known_by_object_id_is_named_from_the_directory(tmp_path):
    """Older records name the participant in identity.user (id, displayName) only."""
    record = json.loads((DATA / "graph/callrecord-peer-to-peer.json").read_text())
    endpoints = [
        endpoint
        for session in record["sessions"]
        for holder in [session, *session.get("segments", [])]
        for endpoint in (holder.get("caller"), holder.get("callee"))
        if endpoint and "associatedIdentity" in endpoint
    ]
    for endpoint in endpoints:
        associated = endpoint.pop("associatedIdentity")
        endpoint["identity"] = {"user": {"id": associated["id"], "displayName": "x"}}
    record["sessions"][0]["caller"]["userFeedback"] = {"rating": "poor", "text": None}
    record["sessions@odata.nextLink"] = "https://graph.microsoft.com/v1.0/...&$skiptoken=abc"
    (tmp_path / "calls").mkdir()
    (tmp_path / "calls" / "call-1.json").write_text(json.dumps(record))
    directory = tmp_path / "users.csv"
    directory.write_text(
        "Id,UserPrincipalName\n821809f5-0000-0000-0000-3b5136c0e777,abbie.wilkins@contoso.com\n"
    )
    settings = GraphCallRecordsSettings(
        folder=str(tmp_path / "calls"), directory_file=str(directory)
    )
    collected = GraphCallRecordsSource(runtime_settings(settings), IDENTITY).collect(None)
    users = {e.user_id for e in contract_events(collected)}
    assert PSEUDONYMIZER.user("abbie.wilkins@contoso.com") in users  # joins endpoint telemetry
    assert collected.unparsed.counts == {
        "graph-user-without-sign-in-name": 2,  # Owen is not in the directory: 2 streams
        "graph-user-rating-not-mapped": 1,  # "poor": the contract has no field for it
        "graph-sessions-next-page-missing": 1,
    }


def test_graph_directory_file_errors_name_file_and_line(tmp_path):
    directory = tmp_path / "users.csv"
    directory.write_text("id,userPrincipalName\n,nobody@contoso.com\n")
    settings = GraphCallRecordsSettings(folder=str(tmp_path), directory_file=str(directory))
    with pytest.raises(SourceError, match=r"users\.csv line 2: needs an id"):
        GraphCallRecordsSource(runtime_settings(settings), IDENTITY).collect(None)
