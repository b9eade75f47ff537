"""NetworkManager VPN lines of the releases still shipped (tests/data/os/linux/networkmanager).

The samples are reconstructions from NetworkManager's own source (the folder's README
names the function that prints each line); the tests read them through the journald
source as ``journalctl -o json`` would give them.
"""

from __future__ import annotations

import json

from tests.unit.helpers import IDENTITY, runtime_settings
from tests.unit.source_samples import LINUX
from tests.unit.wire_events import contract_events
from xlapulse.collectors.sources.journald.networkmanager_vpn import (
    PREFIX,
    NmVpnTracker,
    nm_log_level_warning,
)
from xlapulse.collectors.sources.journald.settings import JournaldSettings
from xlapulse.collectors.sources.journald.source import JournaldSource
from xlapulse.collectors.sources.unparsed import Unparsed

DATA = LINUX / "networkmanager"
UUID = "3f9c1a52-7d0e-4b8e-9a61-2c5d8e7f1b04"


def collect(text: str, bookmark: str | None = None):
    source = JournaldSource(
        runtime_settings(JournaldSettings()), IDENTITY, lambda argv, timeout_s: text
    )
    return source.collect(bookmark)


def outcomes(collected) -> list[tuple]:
    return [
        (e.state, e.vpn_gateway, e.reason, e.error_code, e.session_duration_s)
        for e in contract_events(collected)
    ]


def test_prefix_forms_of_each_release():
    forms = {
        # 1.30: ifindex always, iface once the tunnel exists
        f'vpn-connection[0x55a8f1c2e0d0,{UUID},"Corp VPN",0]: x': ("Corp VPN", None),
        f'vpn-connection[0x55a8f1c2e0d0,{UUID},"Corp VPN",5:(tun0)]: x': ("Corp VPN", "tun0"),
        # 1.36+: if/dev/iface only when known
        f'vpn[0x5612a3b4c5d0,{UUID},"Corp VPN"]: x': ("Corp VPN", None),
        f'vpn[0x5612a3b4c5d0,{UUID},"Corp VPN",dev:2]: x': ("Corp VPN", None),
        f'vpn[0x5612a3b4c5d0,{UUID},"Corp VPN",if:7,dev:2:(tun0)]: x': ("Corp VPN", "tun0"),
        f'vpn[0x5612a3b4c5d0,{UUID},"a, \\"b\\"]",if:7:(wg0)]: x': ('a, \\"b\\"]', "wg0"),
        f"vpn[0x5612a3b4c5d0,{UUID},??]: x": (None, None),  # connection without a name
        "vpn[0x5612a3b4c5d0--]: x": (None, None),  # no settings connection
    }
    for line, (name, iface) in forms.items():
        matched = PREFIX.search("<info>  [1795400000.0000] " + line)
        assert matched, line
        assert (matched["name"], matched["iface"], matched["text"]) == (name, iface, "x"), line


def test_networkmanager_1_30_connect_drop_timeout_and_disconnect():
    collected = collect((DATA / "nm-1.30-vpn-connection.json").read_text())
    assert outcomes(collected) == [
        ("connected", "Corp VPN", None, None, None),
        ("dropped", "Corp VPN", "connect-failed", 1, 3725),  # plugin failed 3725 s after up
        ("failed", "Corp VPN", "connect-timeout", None, None),
        ("connected", "Branch OpenVPN", None, None, None),
        ("disconnected", "Branch OpenVPN", None, None, 1800),
    ]
    assert collected.unparsed.total == 0  # the "stopped" after a failure is absorbed


def test_networkmanager_1_42_at_info_level_reports_every_failure():
    collected = collect((DATA / "nm-1.42-vpn-info.json").read_text())
    assert outcomes(collected) == [
        # 5400 s after "starting": NetworkManager fails any activation not up within
        # 240 s, so the tunnel was up; when it came up is not logged at INFO
        ("dropped", "Corp VPN", "connect-failed", 1, None),
        ("failed", "Corp VPN", "login-failed", 0, None),
        ("failed", "Branch OpenVPN", "connect-timeout", None, None),
        ("failed", "Branch OpenVPN", "service-start-timeout", None, None),
    ]
    assert collected.unparsed.total == 0


def test_networkmanager_1_42_at_debug_level_reports_sessions_and_drops():
    collected = collect((DATA / "nm-1.42-vpn-debug.json").read_text())
    assert outcomes(collected) == [
        ("connected", "Corp VPN", None, None, None),  # one event for started + activated
        ("disconnected", "Corp VPN", None, None, 2700),
        ("connected", "Branch OpenVPN", None, None, None),
        ("dropped", "Branch OpenVPN", None, None, 1200),  # failed (was activated)
    ]


def test_an_open_session_carries_over_to_the_next_round():
    lines = (DATA / "nm-1.30-vpn-connection.json").read_text().splitlines(keepends=True)
    first = collect("".join(lines[:7]))  # up to "state changed: started"
    assert [e.state for e in contract_events(first)] == ["connected"]
    rest = collect("".join(lines[7:]), first.bookmark)
    assert outcomes(rest)[0] == ("dropped", "Corp VPN", "connect-failed", 1, 3725)


def test_vpn_lines_that_cannot_be_mapped_are_counted_with_a_pseudonymized_excerpt():
    unparsed = Unparsed(IDENTITY.pseudonymizer)
    tracker = NmVpnTracker()
    truncated = '<info>  [1.0] vpn[0x5612a3b4c5d0,3f9c1a52-7d0e-4b8e-9a61-2c5d8e7f1b04,"alice'
    assert tracker.feed(truncated + "s very long VPN: starting openvpn", 1, False, unparsed) is None
    warning = f'<warn>  [2.0] vpn[0x5612a3b4c5d0,{UUID},"Corp VPN"]: something new happened'
    assert tracker.feed(warning, 2, True, unparsed) is None
    info = f'<info>  [3.0] vpn[0x5612a3b4c5d0,{UUID},"Corp VPN"]: Data: VPN Gateway: 1.2.3.4'
    assert tracker.feed(info, 3, False, unparsed) is None  # informational, not a lost event
    assert unparsed.counts == {"nm-vpn-prefix-unrecognised": 1, "nm-vpn-warning-unrecognised": 1}
    excerpt = unparsed.excerpts["nm-vpn-warning-unrecognised"]
    assert "Corp VPN" not in excerpt
    assert IDENTITY.pseudonymizer.user("Corp VPN") in excerpt


def test_a_round_reports_its_unparsed_lines():
    entry = json.loads((DATA / "nm-1.42-vpn-info.json").read_text().splitlines()[1])
    entry["MESSAGE"] = entry["MESSAGE"].replace("dbus: failure: connect-failed (1)", "new text")
    collected = collect(json.dumps(entry) + "\n")
    assert contract_events(collected) == []
    assert collected.unparsed.counts == {"nm-vpn-warning-unrecognised": 1}


def test_check_says_when_networkmanager_hides_vpn_sessions(tmp_path):
    assert nm_log_level_warning(tmp_path) is None  # no NetworkManager configuration at all
    (tmp_path / "NetworkManager.conf").write_text("[main]\nplugins=ifupdown,keyfile\n")
    assert "only at DEBUG" in nm_log_level_warning(tmp_path)
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "90-vpn.conf").write_text("[logging]\ndomains=DEFAULT:INFO,VPN:DEBUG\n")
    assert nm_log_level_warning(tmp_path) is None
