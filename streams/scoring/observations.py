"""Observations: what the per-user step tells the per-persona aggregation.

The per-user step (``user_state.py``) turns contract events into observations;
the windowed cells (``cells.py``) count them. Observations cross the
engine's internal ``<engine id>-observations`` topic between two Faust agents, so each one has a
``kind`` and a JSON-friendly dict form. Reads and writes nothing itself.

Kinds:

* ``sample``: one touch-point indicator (band, time lost, XLA objective hits);
* ``ticket``: a ticket was opened (and what telemetry explains it), explained
  anew (by a late signal of the user or of the device it was raised from) or
  handled (how the service desk did);
* ``survey``: a 0-10 answer, with self-reported lost time;
* ``journey``: the user's peak-end journey score of the day so far;
* ``exposure``: a user's session or VPN tunnel opened or closed (``exposure.py``): the
  time the failures of a touch point are divided by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from xlapulse.streams.scoring.indicators import Band


@dataclass(frozen=True)
class Observation:
    """Common envelope: whose, where, when, and the event id cells de-duplicate on."""

    kind: ClassVar[str]
    event_id: str
    user_id: str
    persona: str
    site: str
    event_time_ms: int

    def group_key(self) -> str:
        """The aggregation key: observations of one persona at one site share a partition."""
        return f"{self.persona}|{self.site}"

    def to_dict(self) -> dict[str, Any]:
        """The kind and every field, shallow (the fields are immutable; the caller
        serializes it at once): 15 times cheaper than ``dataclasses.asdict``, which
        copies every nested tuple, for the same dict."""
        return {"kind": self.kind, **vars(self)}


@dataclass(frozen=True)
class SampleObservation(Observation):
    """One scored touch-point sample."""

    kind: ClassVar[str] = "sample"
    touch_point: str
    band: Band
    time_lost_ms: int
    measured_ms: int | None = None
    cause: str | None = None
    #: the component a tolerating or frustrating sample points at (a VPN gateway, an app
    #: and version, a printer), for a dip's likely cause (``streams/dips/causes.py``).
    detail: str | None = None
    #: the VPN gateway, app and version, or printer of any sample of those touch points,
    #: for the per-component breakdowns (``component_record.py``)
    component: str | None = None
    #: (phase, ms) of a boot's or logon's phases (``phases.py``)
    phases: tuple[tuple[str, int], ...] = ()
    #: The graded score (formula 3.0, ``Indicator.graded_score``); None from an engine
    #: before 3.0, then the band's Apdex score counts.
    score: float | None = None
    #: (objective id, met) for every sample-based XLA objective of the persona.
    objective_hits: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class TicketObservation(Observation):
    """A ticket opened (``stage='opened'``), explained anew by a late-arriving signal
    (``stage='explained'``), handled to resolution (``stage='handled'``), or its
    earlier handling taken back because it was reopened or resolved again
    (``stage='retracted'``: the earlier ``handled`` fields and time, to subtract)."""

    kind: ClassVar[str] = "ticket"
    ticket_id: str
    stage: str
    #: opened: the touch point whose recent frustrating signals explain the ticket, if any.
    explained_by: str | None = None
    #: opened: time lost over thresholds in the explaining signals (telemetry view);
    #: explained: the change of that time.
    signal_time_lost_ms: int = 0
    #: explained (a correction by a late signal): the explanation it replaces.
    previous_explained_by: str | None = None
    #: explained: the new (``via_device``) and the replaced (``previous_via_device``)
    #: explanation came from the device's telemetry (other users of a shared device),
    #: not the user's own (``device_state.py``).
    via_device: bool = False
    previous_via_device: bool = False
    #: handled, retracted: the service-desk band and what went wrong.
    band: Band | None = None
    cause: str | None = None
    first_contact_ms: int | None = None
    resolution_ms: int | None = None
    reassignments: int = 0
    reopened: bool = False
    contacted_user: bool = True
    sla_breached: bool | None = None
    #: handled, retracted: (objective id, met) of the persona's service-desk objectives,
    #: with the time to resolve as the sample's duration.
    objective_hits: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class SurveyObservation(Observation):
    """A survey answer (HappySignals-style 0-10) and the user's own lost-time estimate."""

    kind: ClassVar[str] = "survey"
    score: int
    self_reported_lost_ms: int | None = None
    about_ticket: bool = False


@dataclass(frozen=True)
class JourneyObservation(Observation):
    """The user's peak-end journey score for the day that starts at ``day_start_ms``."""

    kind: ClassVar[str] = "journey"
    day_start_ms: int
    score: float
    mean: float
    worst: float
    end: float
    moments: int


@dataclass(frozen=True)
class ExposureObservation(Observation):
    """One of the user's exposure intervals opened or closed on one device (``holder``):
    an interactive session active (``exposure='active'``), a VPN tunnel connected
    (``'vpn_connected'``) or down after a drop or failure (``'vpn_down'``)."""

    kind: ClassVar[str] = "exposure"
    exposure: str
    opened: bool
    #: the user's device whose interval this is (a user may be signed in on two)
    holder: str
    #: closed: the interval's length as the collector measured it (a session's
    #: ``active_duration_s``, a tunnel's ``session_duration_s``), used when the engine
    #: never saw it open
    measured_ms: int | None = None


OBSERVATION_KINDS: dict[str, type[Observation]] = {
    kind.kind: kind
    for kind in (
        SampleObservation,
        TicketObservation,
        SurveyObservation,
        JourneyObservation,
        ExposureObservation,
    )
}


def observation_from_dict(data: dict[str, Any]) -> Observation:
    """Rebuild an observation from :meth:`Observation.to_dict` output."""
    values = dict(data)
    kind = OBSERVATION_KINDS[values.pop("kind")]
    if values.get("band") is not None:
        values["band"] = Band(values["band"])
    for pairs in ("objective_hits", "phases"):
        if pairs in values:
            values[pairs] = tuple(tuple(pair) for pair in values[pairs])
    return kind(**values)
