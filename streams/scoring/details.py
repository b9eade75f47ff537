"""The component a sample points at: for a dip's likely cause, and for the breakdowns.

Reads one telemetry event. :func:`sample_detail` returns the short text a bad sample
names, such as ``gateway vpn-ams-2, error 809``, ``Outlook 16.0.17`` or ``printer
ams-floor2-mfp``; :func:`sample_component` the component itself (``vpn-ams-2``,
``Outlook 16.0.17``, ``ams-floor2-mfp``) for every sample of a VPN, an app or a printer,
which the ``component`` breakdowns count (``component_record.py``), and
:func:`print_server` the server a printer is reached through. Only fields the
contract already carries (and the collector manifest lists) are used. Writes nothing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from xlapulse.collectors.contract.events import (
    AppResponsivenessEvent,
    PrintJobEvent,
    TelemetryEvent,
    VpnSessionEvent,
)


def sample_detail(event: TelemetryEvent) -> str | None:
    """The one fact of a bad sample that points at a component, where the event has it."""
    if isinstance(event, VpnSessionEvent):
        parts = []
        if event.vpn_gateway:
            parts.append(f"gateway {event.vpn_gateway}")
        if event.error_code is not None:
            parts.append(f"error {event.error_code}")
        return ", ".join(parts) or None
    if isinstance(event, AppResponsivenessEvent):
        return sample_component(event)
    if isinstance(event, PrintJobEvent):
        code = f", error {event.error_code}" if event.error_code is not None else ""
        server = print_server(event.printer)
        # the server first: a dip's likely cause falls back to the first part when no
        # one printer names most of the failures (``dips/causes.py``)
        where = f"print server {server}, " if server is not None else ""
        return f"{where}printer {event.printer}{code}"
    return None


def print_server(printer: str) -> str | None:
    """The print server a printer is reached through, where its name says so: ``srv01``
    for a Windows printer connection (``\\\\srv01\\HP-3F``, Add-Printer's
    ``-ConnectionName``), for an IPP or SMB URI (``ipp://srv01:631/printers/x``) and for
    a CUPS remote queue (``mfp@srv01``), lower-cased (host names are case-insensitive).
    None for a printer without one: a local or direct IP queue, or no name at all."""
    if printer.startswith("\\\\"):
        server = printer[2:].split("\\", 1)[0]
    elif "://" in printer:
        server = urlsplit(printer).hostname or ""
    elif "@" in printer:
        server = printer.rsplit("@", 1)[1]
    else:
        return None
    return server.strip().lower() or None


def sample_component(event: TelemetryEvent) -> str | None:
    """The VPN gateway, app and version, or printer a sample of any band used."""
    if isinstance(event, VpnSessionEvent):
        return event.vpn_gateway
    if isinstance(event, AppResponsivenessEvent):
        return f"{event.app_name} {event.app_version}" if event.app_version else event.app_name
    if isinstance(event, PrintJobEvent):
        return event.printer
    return None
