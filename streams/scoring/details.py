"""The component a bad sample points at, for a dip's likely cause.

Reads one telemetry event; returns a short text such as ``gateway vpn-ams-2, error 809``,
``Outlook 16.0.17`` or ``printer ams-floor2-mfp``. Only fields the contract already
carries (and the collector manifest lists) are used. Writes nothing.
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
        return f"{event.app_name} {event.app_version}" if event.app_version else event.app_name
    if isinstance(event, PrintJobEvent):
        code = f", error {event.error_code}" if event.error_code is not None else ""
        return f"printer {event.printer}{code}"
    return None
