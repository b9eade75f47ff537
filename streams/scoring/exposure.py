"""Exposure: which of a user's events open or close the time a failure rate divides by.

Collectors report failures (crashes, hangs, VPN drops), never the calm hours around
them, so a share among failures has no denominator (issue 11). Exposure is that
denominator, per touch point:

* ``active``: an interactive session that is started or unlocked and not yet locked or
  ended (contract 1.3 ``session`` events); app crashes and hangs are counted per active
  hour, the published anchor being Microsoft Endpoint Analytics' mean time to failure;
* ``vpn_connected``: a tunnel from ``connected`` to ``dropped``, ``failed`` or
  ``disconnected``; VPN drops and failures are counted per connected hour;
* ``vpn_down``: a tunnel from ``dropped`` or ``failed`` until it connects again, the
  user disconnects, or the session locks or ends: VPN down time over connected plus
  down time.

Printing needs no exposure: every job reports its outcome, so failed over attempted
jobs is the print score's own denominator.

Reads: a validated ``session`` or ``vpn_session`` event and the user's state. Writes:
nothing; :func:`exposure_observations` returns the observations the per-user step sends
on; ``exposure_clock.py`` turns them into exposed time in the window cells.
"""

from __future__ import annotations

from xlapulse.collectors.contract.events import (
    SessionEvent,
    TelemetryEvent,
    VpnSessionEvent,
    event_time_ms,
)
from xlapulse.streams.scoring.observations import ExposureObservation

ACTIVE = "active"
VPN_CONNECTED = "vpn_connected"
VPN_DOWN = "vpn_down"
EXPOSURES = (ACTIVE, VPN_CONNECTED, VPN_DOWN)
#: The exposure each failure-reporting touch point is divided by, and the sample causes
#: (``touchpoints.py``) that count as its failures.
FAILURE_EXPOSURE = {"app": ACTIVE, "vpn": VPN_CONNECTED}
FAILURE_CAUSES = {
    "app": frozenset({"app_crash", "app_hang"}),
    "vpn": frozenset({"vpn_dropped", "vpn_failed"}),
}

#: (exposure, opened) changes of each session or VPN state.
Changes = tuple[tuple[str, bool], ...]
_SESSION_CHANGES: dict[str, Changes] = {
    "started": ((ACTIVE, True),),
    "unlocked": ((ACTIVE, True),),
    # Nobody waits for a dropped tunnel while away: a lock or sign-out ends its down
    # time (after a drop people often go home, or work on the office network, and no
    # ``disconnected`` ever comes). A sign-out also ends a connected tunnel.
    "locked": ((ACTIVE, False), (VPN_DOWN, False)),
    "ended": ((ACTIVE, False), (VPN_DOWN, False), (VPN_CONNECTED, False)),
}
_VPN_CHANGES: dict[str, Changes] = {
    "connected": ((VPN_DOWN, False), (VPN_CONNECTED, True)),
    "dropped": ((VPN_CONNECTED, False), (VPN_DOWN, True)),
    "failed": ((VPN_CONNECTED, False), (VPN_DOWN, True)),
    "disconnected": ((VPN_CONNECTED, False), (VPN_DOWN, False)),
}


#: What the length an event carries measures.
_MEASURES = {SessionEvent: ACTIVE, VpnSessionEvent: VPN_CONNECTED}


def is_failure(touch_point: str, cause: str | None) -> bool:
    """True when a sample of the touch point is one of the failures its exposure divides."""
    return cause in FAILURE_CAUSES.get(touch_point, ())


def exposure_observations(
    event: TelemetryEvent, envelope: dict[str, object]
) -> list[ExposureObservation]:
    """The exposure changes one event makes, with the user's observation ``envelope``
    (its ``event_id`` is replaced by one per change)."""
    measured_ms: int | None
    if isinstance(event, SessionEvent):
        changes = _SESSION_CHANGES[event.state]
        measured_ms = _ms(event.active_duration_s)
    elif isinstance(event, VpnSessionEvent):
        changes = _VPN_CHANGES[event.state]
        measured_ms = _ms(event.session_duration_s)
    else:
        return []
    base = {**envelope, "event_time_ms": event_time_ms(event)}
    return [
        ExposureObservation(
            **{**base, "event_id": f"exposure:{event.event_id}:{exposure}"},  # type: ignore[arg-type]
            exposure=exposure,
            opened=opened,
            holder=event.device_id,
            # A session's length measures active time, a tunnel's its connected time.
            measured_ms=measured_ms if not opened and exposure == _MEASURES[type(event)] else None,
        )
        for exposure, opened in changes
    ]


def remember_open(
    open_exposures: dict[str, dict[str, int]], changes: list[ExposureObservation]
) -> None:
    """Keep the user's open intervals (exposure -> device -> opened at ms) up to date."""
    for change in changes:
        devices = open_exposures.setdefault(change.exposure, {})
        if change.opened:
            devices[change.holder] = change.event_time_ms
        else:
            devices.pop(change.holder, None)
        if not devices:
            del open_exposures[change.exposure]


def moved_exposures(
    open_exposures: dict[str, dict[str, int]],
    old_envelope: dict[str, object],
    new_envelope: dict[str, object],
    event_id: str,
    whole: bool,
) -> list[ExposureObservation]:
    """A user moved to another persona or site (``event_id``: the assignment, at the
    envelopes' time): close each open interval in the old group and open it in the new
    one, at the move or, if later, the interval's opening; ``whole``: the old group was
    no real one (the user was scored unassigned while their assignment was late), so
    each interval moves whole, from its opening."""
    moves = []
    move_ms = int(new_envelope["event_time_ms"])  # type: ignore[call-overload]
    for exposure, devices in sorted(open_exposures.items()):
        for device, opened_ms in sorted(devices.items()):
            at_ms = opened_ms if whole else max(move_ms, opened_ms)
            for envelope, opened in ((old_envelope, False), (new_envelope, True)):
                step = "open" if opened else "close"
                moves.append(
                    ExposureObservation(
                        **{
                            **envelope,
                            "event_id": f"exposure:{event_id}:{exposure}:{device}:{step}",
                            "event_time_ms": at_ms,
                        },  # type: ignore[arg-type]
                        exposure=exposure,
                        opened=opened,
                        holder=device,
                    )
                )
    return moves


def _ms(seconds: int | None) -> int | None:
    return None if seconds is None else seconds * 1000
