"""The VPN clients' log sources and the Zoom QoS drop folder under hostile input.

Each test mutates a real capture next to its PROVENANCE file (GlobalProtect's
PanGPS event log, Cisco Secure Client's syslog lines, FortiClient's logs, ``wg show
all dump`` output of a wireguard-go run, Zoom's documented QoS response) and runs one
daemon round over the source (``collector_rounds.collect_round``: valid events only, a
bookmark stored, nothing personal in the log). A Zoom export that cannot be read must
not stop the good export beside it from being read in the same round.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.collector_rounds import collect_round
from tests.fuzz.hostile import dumps, fuzz_settings, mutated_json, mutated_text
from tests.unit.helpers import IDENTITY, runtime_settings
from tests.unit.source_samples import DATA, LINUX
from xlapulse.collectors.sources.cisco_secure_client.settings import CiscoSecureClientSettings
from xlapulse.collectors.sources.cisco_secure_client.source import CiscoSecureClientSource
from xlapulse.collectors.sources.forticlient.settings import FortiClientSettings
from xlapulse.collectors.sources.forticlient.source import FortiClientSource
from xlapulse.collectors.sources.globalprotect.settings import GlobalProtectSettings
from xlapulse.collectors.sources.globalprotect.source import GlobalProtectSource
from xlapulse.collectors.sources.wireguard.settings import WireguardSettings
from xlapulse.collectors.sources.wireguard.source import WireguardSource
from xlapulse.collectors.sources.zoom_qos.settings import ZoomQosSettings
from xlapulse.collectors.sources.zoom_qos.source import ZoomQosSource

OS = DATA / "os"
GLOBALPROTECT = {
    name: (OS / "globalprotect" / name).read_text(encoding="utf-8", errors="replace")
    for name in ("pan_gp_event-windows-lab.log", "pan_gp_event-reconnect-unreachable.log")
}
CISCO = (OS / "cisco_secure_client" / "syslog-anyconnect-states").read_text()
FORTICLIENT = {
    name: (OS / "forticlient" / name).read_text(encoding="utf-8", errors="replace")
    for name in ("forticlient-6.0.4-windows-sslvpn.log", "forticlient-7.4-linux-ipsecvpn.log")
}
WIREGUARD = LINUX / "wireguard"
WIREGUARD_ROUNDS = json.loads((WIREGUARD / "capture-times.json").read_text())
ZOOM = DATA / "zoom"
ZOOM_QOS = json.loads((ZOOM / "85746065432.json").read_text())


def write(path, text: str) -> None:
    path.write_bytes(text.encode("utf-8", "surrogatepass"))


@fuzz_settings(300)
@given(data=st.data())
def test_globalprotect(data: st.DataObject, tmp_path_factory, caplog) -> None:
    log = tmp_path_factory.mktemp("gp") / "PanGPS.log"
    write(log, data.draw(mutated_text(data.draw(st.sampled_from(sorted(GLOBALPROTECT.values()))))))
    settings = runtime_settings(GlobalProtectSettings(enabled=True, path=str(log)))
    collect_round(GlobalProtectSource(settings, IDENTITY, UTC), caplog)


@fuzz_settings(300)
@given(data=st.data())
def test_cisco_secure_client(data: st.DataObject, tmp_path_factory, caplog) -> None:
    log = tmp_path_factory.mktemp("cisco") / "syslog"
    write(log, data.draw(mutated_text(CISCO)))
    settings = runtime_settings(CiscoSecureClientSettings(enabled=True, path=str(log)))
    collect_round(CiscoSecureClientSource(settings, IDENTITY, UTC), caplog)


@fuzz_settings(300)
@given(data=st.data())
def test_forticlient(data: st.DataObject, tmp_path_factory, caplog) -> None:
    folder = tmp_path_factory.mktemp("forti")
    paths = []
    for name, text in sorted(FORTICLIENT.items()):
        path = folder / name
        write(path, data.draw(mutated_text(text)) if data.draw(st.booleans()) else text)
        paths.append(str(path))
    settings = runtime_settings(FortiClientSettings(enabled=True, paths=paths))
    collect_round(FortiClientSource(settings, IDENTITY, UTC), caplog)


@fuzz_settings(300)
@given(data=st.data())
def test_wireguard(data: st.DataObject, caplog: pytest.LogCaptureFixture) -> None:
    name = data.draw(st.sampled_from(sorted(WIREGUARD_ROUNDS)))
    output = data.draw(mutated_text((WIREGUARD / name).read_text()))
    # what run_command makes of those bytes: text, undecodable bytes as U+FFFD
    dump = output.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    source = WireguardSource(
        runtime_settings(WireguardSettings(enabled=True)),
        IDENTITY,
        lambda argv, timeout_s: dump,
        clock=lambda: WIREGUARD_ROUNDS[name],
    )
    collect_round(source, caplog)


@fuzz_settings(300)
@given(data=st.data())
def test_zoom_qos(data: st.DataObject, tmp_path_factory, caplog) -> None:
    folder = tmp_path_factory.mktemp("zoom")
    if data.draw(st.booleans()):
        text = dumps(data.draw(mutated_json(ZOOM_QOS)))
    else:
        text = data.draw(mutated_text(json.dumps(ZOOM_QOS, indent=1)))
    write(folder / "10000000001.json", text)
    shutil.copy(ZOOM / "85746065432.json", folder / "85746065432.json")
    settings = ZoomQosSettings(
        enabled=True, folder=str(folder), directory_file=str(ZOOM / "users.csv")
    )
    spool = collect_round(ZoomQosSource(runtime_settings(settings), IDENTITY), caplog)
    assert spool.records, "the good export beside the bad one was read"
