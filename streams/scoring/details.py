"""The component a sample points at: for a dip's likely cause, and for the breakdowns.

Reads one telemetry event. :func:`sample_detail` returns the short text a bad sample
names, such as ``gateway vpn-ams-2, error 809``, ``Outlook 16.0.17`` or ``printer
ams-floor2-mfp``; :func:`sample_component` the component itself (``vpn-ams-2``,
``Outlook 16.0.17``, ``ams-floor2-mfp``) for every sample of a VPN, an app or a printer,
which the ``component`` breakdowns count (``component_record.py``). Only fields the
contract already carries (and the collector manifest lists) are used. Writes nothing.
"""

from __future__ import annotations

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
        return f"printer {event.printer}{code}"
    return None


def sample_component(event: TelemetryEvent) -> str | None:
    """The VPN gateway, app and version, or printer a sample of any band used."""
    if isinstance(event, VpnSessionEvent):
        return event.vpn_gateway
    if isinstance(event, AppResponsivenessEvent):
        return f"{event.app_name} {event.app_version}" if event.app_version else event.app_name
    if isinstance(event, PrintJobEvent):
        return event.printer
    return None
