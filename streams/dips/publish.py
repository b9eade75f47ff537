"""A dip transition in its published forms: the ``xlapulse.dips.v1`` event, the InfluxDB
``dip`` point (for Grafana annotations and the live-dips table) and the notice.

Reads :class:`~xlapulse.streams.dips.tracker.Dip`; writes nothing (the caller sends).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from xlapulse.collectors.contract.outputs import DipEvent
from xlapulse.streams.dips.dip import Dip
from xlapulse.streams.scoring.published import DIP as DIP_MEASUREMENT
from xlapulse.streams.scoring.published import Record

DETECTOR_WORDS = {
    "burn_rate": "XLA error budget burning fast",
    "peer": "far worse than other sites",
    "seasonal": "far worse than usual at this hour",
}


def summary(dip: Dip) -> str:
    """One line for people: what, where, who, how bad, since when."""
    what = f"{dip.scope.touch_point} for {dip.scope.persona} at {dip.scope.site}"
    text = f"{what}: {DETECTOR_WORDS[dip.detector]}, {dip.affected_people} people affected"
    if dip.state == "closed":
        text = f"resolved: {text}"
    return text[:200]


def _time(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)


def dip_event(dip: Dip) -> DipEvent:
    seed = f"{dip.dip_id}|{dip.state}|{dip.event_time_ms}"
    # validated into the contract's literals (state, touch point, detector, severity)
    return DipEvent.model_validate(
        dict(
            event_id=uuid.UUID(hashlib.sha256(seed.encode()).hexdigest()[:32]),
            event_time=_time(dip.event_time_ms),
            dip_id=dip.dip_id,
            state=dip.state,
            persona=dip.scope.persona,
            site=dip.scope.site,
            touch_point=dip.scope.touch_point,
            detector=dip.detector,
            severity=dip.severity,
            onset_time=_time(dip.onset_ms),
            affected_people=dip.affected_people,
            time_lost_s=round(dip.time_lost_ms / 1000, 1),
            tickets=dip.tickets,
            likely_cause=(dip.likely_cause or None) and dip.likely_cause[:200],
            summary=summary(dip),
            metric=dip.metric[:200] or "badness",
            value=round(dip.value, 4),
            reference=round(dip.reference, 4),
        )
    )


def dip_record(event: DipEvent) -> Record:
    """The InfluxDB point: tags to filter annotations by, fields to show."""
    return Record(
        DIP_MEASUREMENT,
        {
            "persona": event.persona,
            "site": event.site,
            "touch_point": event.touch_point,
            "detector": event.detector,
            "severity": event.severity,
            "state": event.state,
        },
        {
            "dip_id": event.dip_id,
            "affected_people": event.affected_people,
            "time_lost_s": event.time_lost_s,
            "tickets": event.tickets,
            "likely_cause": event.likely_cause or "",
            "summary": event.summary,
        },
        int(event.event_time.timestamp() * 1000) * 1_000_000,
    )
