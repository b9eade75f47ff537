"""Writes the reconstructed NetworkManager journal samples (see README.md there)."""

import json
from pathlib import Path

OUT = Path(__file__).parent
LEVELS = {"I": ("<info>", 6, "INFO"), "W": ("<warn>", 4, "WARN"), "D": ("<debug>", 7, "DEBUG")}
BOOT = "6c1f0e2ad4b94f5f9a0e7d3c2b1a0f9e"
SEQNUM_ID = "3a9e1c0f5b7d4e2a8c6b0d1f2e3a4b5c"


def write(name, version, start_s, pid, lines):
    entries = []
    for i, (offset_s, level, prefix, text, func, line) in enumerate(lines, start=1):
        t_us = int((start_s + offset_s) * 1_000_000)
        desc, priority, level_name = LEVELS[level]
        stamp = f"{t_us // 1_000_000}.{(t_us % 1_000_000) // 100:04d}"
        message = f"{desc:<7} [{stamp}] {prefix}: {text}"
        monotonic = t_us - 1795300000000000 + 9000000
        entries.append(
            {
                "__CURSOR": f"s={SEQNUM_ID};i={0x1A2B0 + i:x};b={BOOT};m={monotonic:x};"
                f"t={t_us:x};x={0x51C2A0 + i * 7:x}",
                "__REALTIME_TIMESTAMP": str(t_us),
                "__MONOTONIC_TIMESTAMP": str(monotonic),
                "_BOOT_ID": BOOT,
                "PRIORITY": str(priority),
                "SYSLOG_FACILITY": "3",
                "SYSLOG_IDENTIFIER": "NetworkManager",
                "SYSLOG_PID": str(pid),
                "_PID": str(pid),
                "_UID": "0",
                "_COMM": "NetworkManager",
                "NM_LOG_LEVEL": level_name,
                "NM_LOG_DOMAINS": "VPN",
                "CODE_FILE": "src/core/vpn/nm-vpn-connection.c",
                "CODE_LINE": str(line),
                "CODE_FUNC": func,
                "MESSAGE": message,
            }
        )
    (OUT / name).write_text("".join(json.dumps(e) + "\n" for e in entries))


CONFIG_GET, APPLY = "nm_vpn_connection_config_get", "nm_vpn_connection_apply_config"
INTERACTIVE, START_TIMEOUT = "connect_interactive_cb", "_start_timeout_cb"
SAW = "Saw the service appear; activating connection"
U1 = "3f9c1a52-7d0e-4b8e-9a61-2c5d8e7f1b04"
U2 = "9d2e4b71-0c3a-4f5e-8b19-6a7d0e1c2f35"

# NetworkManager 1.30.0 (Debian 11): vpn-connection[<ptr>,<uuid>,"<id>",<ifindex>(:(<iface>))]
a = f'vpn-connection[0x55a8f1c2e0d0,{U1},"Corp VPN",0]'
a_up = f'vpn-connection[0x55a8f1c2e0d0,{U1},"Corp VPN",5:(tun0)]'
b = f'vpn-connection[0x55a8f1c31a40,{U1},"Corp VPN",0]'
c = f'vpn-connection[0x55a8f1c3b2e0,{U2},"Branch OpenVPN",0]'
c_up = f'vpn-connection[0x55a8f1c3b2e0,{U2},"Branch OpenVPN",6:(tun1)]'
write(
    "nm-1.30-vpn-connection.json",
    "1.30.0",
    1795330000.0,
    712,
    [
        (0.0, "I", a, "Started the VPN service, PID 2301", "nm_vpn_service_daemon_exec", 2311),
        (0.1, "I", a, SAW, "_name_owner_changed", 2149),
        (0.3, "I", a, "VPN plugin: state changed: starting (3)", "plugin_state_changed", 961),
        (0.4, "I", a, "VPN connection: (ConnectInteractive) reply received", INTERACTIVE, 1976),
        (4.2, "I", a_up, "VPN connection: (IP Config Get) reply received.", CONFIG_GET, 1411),
        (4.3, "I", a_up, "VPN connection: (IP Config Get) complete", APPLY, 1195),
        (4.3, "I", a_up, "VPN plugin: state changed: started (4)", "plugin_state_changed", 961),
        (3729.3, "W", a_up, "VPN plugin: failed: connect-failed (1)", "plugin_failed", 908),
        (3729.4, "I", a_up, "VPN plugin: state changed: stopped (6)", "plugin_state_changed", 961),
        (3735.0, "I", b, "Started the VPN service, PID 2388", "nm_vpn_service_daemon_exec", 2311),
        (3735.1, "I", b, SAW, "_name_owner_changed", 2149),
        (3735.3, "I", b, "VPN plugin: state changed: starting (3)", "plugin_state_changed", 961),
        (3795.3, "W", b, "VPN connection: connect timeout exceeded.", "connect_timeout_cb", 1901),
        (4000.0, "I", c, "Started the VPN service, PID 2410", "nm_vpn_service_daemon_exec", 2311),
        (4000.2, "I", c, "VPN plugin: state changed: starting (3)", "plugin_state_changed", 961),
        (4003.0, "I", c_up, "VPN plugin: state changed: started (4)", "plugin_state_changed", 961),
        (5803.0, "I", c_up, "VPN plugin: state changed: stopped (6)", "plugin_state_changed", 961),
    ],
)

# NetworkManager 1.42.4 (Debian 12) at its default level INFO:
# vpn[<ptr>,<uuid>,"<id>"(,if:<n>)(,dev:<m>)(:(<iface>))]
d = f'vpn[0x5612a3b4c5d0,{U1},"Corp VPN"]'
d_up = f'vpn[0x5612a3b4c5d0,{U1},"Corp VPN",if:7,dev:2:(tun0)]'
e = f'vpn[0x5612a3b51230,{U1},"Corp VPN",dev:2]'
f = f'vpn[0x5612a3b5e9f0,{U2},"Branch OpenVPN",dev:2]'
g = f'vpn[0x5612a3b6a110,{U2},"Branch OpenVPN",dev:2]'
write(
    "nm-1.42-vpn-info.json",
    "1.42.4",
    1795400000.0,
    688,
    [
        (0.0, "I", d, "starting openvpn", "nm_vpn_connection_activate", 2785),
        (5400.0, "W", d_up, "dbus: failure: connect-failed (1)", "_dbus_signal_failure_cb", 1702),
        (5460.0, "I", e, "starting openvpn", "nm_vpn_connection_activate", 2785),
        (5472.0, "W", e, "dbus: failure: login-failed (0)", "_dbus_signal_failure_cb", 1702),
        (5600.0, "I", f, "starting openvpn", "nm_vpn_connection_activate", 2785),
        (5660.0, "W", f, "connect timeout exceeded", "connect_timeout_cb", 1533),
        (6000.0, "I", g, "starting openvpn", "nm_vpn_connection_activate", 2785),
        (
            6240.0,
            "W",
            g,
            "starting: timed out waiting for the VPN to activate",
            START_TIMEOUT,
            2579,
        ),
    ],
)

# NetworkManager 1.42.4 with [logging] domains=VPN:DEBUG
h = f'vpn[0x55f0e1d2c3b0,{U1},"Corp VPN",dev:2]'
h_up = f'vpn[0x55f0e1d2c3b0,{U1},"Corp VPN",if:9,dev:2:(tun0)]'
k = f'vpn[0x55f0e1d31f20,{U2},"Branch OpenVPN",dev:2]'
k_up = f'vpn[0x55f0e1d31f20,{U2},"Branch OpenVPN",if:10,dev:2:(tun1)]'
write(
    "nm-1.42-vpn-debug.json",
    "1.42.4",
    1795500000.0,
    690,
    [
        (0.0, "I", h, "starting openvpn", "nm_vpn_connection_activate", 2785),
        (0.1, "D", h, "set state: need-auth (was prepare)", "_set_vpn_state", 979),
        (0.4, "D", h, "set state: connect (was need-auth)", "_set_vpn_state", 979),
        (0.5, "D", h, "dbus: state changed: starting (3)", "_dbus_signal_state_changed_cb", 1723),
        (3.8, "D", h_up, "dbus: state changed: started (4)", "_dbus_signal_state_changed_cb", 1723),
        (3.9, "D", h_up, "set state: ip-config-get (was connect)", "_set_vpn_state", 979),
        (4.0, "D", h_up, "set state: pre-up (was ip-config-get)", "_set_vpn_state", 979),
        (4.1, "D", h_up, "set state: activated (was pre-up)", "_set_vpn_state", 979),
        (2704.1, "D", h_up, "set state: deactivating (was activated)", "_set_vpn_state", 979),
        (2704.2, "D", h_up, "set state: disconnected (was deactivating)", "_set_vpn_state", 979),
        (2704.3, "D", h, "dbus: state changed: stopped (6)", "_dbus_signal_state_changed_cb", 1723),
        (3000.0, "I", k, "starting openvpn", "nm_vpn_connection_activate", 2785),
        (
            3002.0,
            "D",
            k_up,
            "dbus: state changed: started (4)",
            "_dbus_signal_state_changed_cb",
            1723,
        ),
        (3002.2, "D", k_up, "set state: activated (was pre-up)", "_set_vpn_state", 979),
        (
            4202.2,
            "D",
            k_up,
            "dbus: state changed: stopped (6)",
            "_dbus_signal_state_changed_cb",
            1723,
        ),
        (4202.3, "D", k_up, "set state: failed (was activated)", "_set_vpn_state", 979),
    ],
)
