"""Messages of the device join: what users tell devices, and what devices answer.

A ticket may be explained by telemetry of the device it was raised from, also
when that telemetry came from other users (shared PCs: call-centre hot desks,
field-worker tablets, kiosks). Input topics are partitioned by user, so the
per-user step (``user_state.py``) sends these messages, keyed by device id, to
the engine's internal ``<engine id>-device-signals`` topic; the per-device step
(``device_state.py``) answers with a :class:`DeviceExplanation`, keyed by user
id, on ``<engine id>-device-explanations``; the per-user step applies it
(:func:`user_tickets.apply_device_explanation`), so a ticket's explanation has a
single owner. Reads and writes nothing itself.

Device ids travel only in these internal messages, the ``device-state`` table
and, while its device holds a ticket, that ticket's entry in the ``user-state``
table (to release it); an explanation names the user and the ticket, not the
device.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class DeviceProblem:
    """A frustrating or tolerating sample of a user on a device (as a user's recent problem)."""

    kind: ClassVar[str] = "problem"
    device_id: str
    user_id: str
    event_id: str
    time_ms: int
    touch_point: str
    time_lost_ms: int

    def to_dict(self) -> dict[str, Any]:
        """The kind and every field, shallow (as ``Observation.to_dict``)."""
        return {"kind": self.kind, **vars(self)}


@dataclass(frozen=True)
class DeviceTicket:
    """A ticket raised from a device, without a signal of its user's own: the device holds
    it for its telemetry; sent again with ``release`` when the device's explanation can no
    longer apply (a late signal of the user explains it, or the user's state forgot it,
    closed), to release it. It says nothing of the ticket's explanation: the user's state
    owns that."""

    kind: ClassVar[str] = "ticket"
    device_id: str
    user_id: str
    ticket_id: str
    created_ms: int
    #: False: hold the ticket; True: forget it. The previous engine version sent
    #: ``own_explained_by`` instead (None: hold; else: release);
    #: :func:`device_signal_from_dict` still reads it, for a rolling upgrade.
    release: bool
    #: The touch points that can explain the ticket (its category, formula 3.0);
    #: None: any (also from an engine before 3.0).
    fits: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The kind and every field, shallow (as ``Observation.to_dict``)."""
        return {"kind": self.kind, **vars(self)}


DeviceSignal = DeviceProblem | DeviceTicket


def device_signal_from_dict(data: dict[str, Any]) -> DeviceSignal:
    """Rebuild a signal from its ``to_dict`` output.

    A ticket written by the previous engine version (still in the topic, or sent by a
    worker not yet upgraded during a rolling upgrade) carries ``own_explained_by``
    instead of ``release``: None held the ticket, anything else released it.
    """
    values = dict(data)
    kind = values.pop("kind")
    if kind == DeviceProblem.kind:
        return DeviceProblem(**values)
    if kind == DeviceTicket.kind:
        if "own_explained_by" in values:
            values["release"] = values.pop("own_explained_by") is not None
        if values.get("fits") is not None:
            values["fits"] = tuple(values["fits"])
        return DeviceTicket(**values)
    raise ValueError(f"unknown device signal kind {kind!r}")


@dataclass(frozen=True)
class DeviceExplanation:
    """The device's telemetry explains a user's ticket by ``explained_by``."""

    user_id: str
    ticket_id: str
    explained_by: str

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeviceExplanation:
        return cls(**data)
