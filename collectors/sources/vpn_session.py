"""The vpn_session event of a VPN client's log line, shared by the log file sources.

Reads nothing; writes one vpn_session event (``contract/events.py``) for the
``globalprotect``, ``cisco_secure_client`` and ``forticlient`` sources: the event id is
the source's name with the line's time, the state and the line's text (so a line read
twice gives the same id), the texts are cut to :data:`MAX_TEXT_CHARS`, a negative
session duration (a clock set back) is 0.
"""

from __future__ import annotations

from datetime import datetime

from xlapulse.collectors.contract.wire import telemetry_event
from xlapulse.collectors.sources.base import Identity

MAX_TEXT_CHARS = 200


def vpn_session_event(
    identity: Identity,
    source: str,
    at: datetime,
    line_text: str,
    state: str,
    *,
    reason: str | None = None,
    error_code: int | None = None,
    duration_s: int | None = None,
    gateway: str | None = None,
) -> dict:
    """The event of ``state`` seen at ``at`` in the line ``line_text`` of ``source``."""
    return telemetry_event(
        "vpn_session",
        event_id=identity.event_id(source, f"{at.isoformat()}|{state}|{line_text}"),
        event_time=at,
        user_id=identity.user_id,
        device_id=identity.device_id,
        state=state,
        reason=reason[:MAX_TEXT_CHARS] if reason else None,
        error_code=error_code,
        session_duration_s=max(0, duration_s) if duration_s is not None else None,
        vpn_gateway=gateway[:MAX_TEXT_CHARS] if gateway else None,
    )
