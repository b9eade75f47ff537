"""Dip detection end to end in one object: observations in; dip events, InfluxDB points
and notices out. The in-process pipeline (demo, back-test, evaluation) feeds it every
observation; the Faust worker splits it across its two agents (``dips/agents.py``):
stage 1 (:class:`BucketBuilder`) next to the cells, stage 2 (:class:`DipTracker`) keyed
by persona so the peer detector sees every site.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xlapulse.collectors.contract.outputs import DipEvent, NoticeEvent
from xlapulse.streams.dips.buckets import BucketBuilder, MinuteBucket
from xlapulse.streams.dips.detectors import objective_budgets
from xlapulse.streams.dips.dip import Dip
from xlapulse.streams.dips.notices import notice_for
from xlapulse.streams.dips.publish import dip_event, dip_record
from xlapulse.streams.dips.settings import DipSettings
from xlapulse.streams.dips.tracker import DipTracker
from xlapulse.streams.scoring.observations import Observation
from xlapulse.streams.scoring.published import Record
from xlapulse.streams.scoring.xla import XlaConfig


@dataclass
class DipOutputs:
    """What a batch of transitions publishes."""

    events: list[DipEvent] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    notices: list[NoticeEvent] = field(default_factory=list)

    def extend(self, other: DipOutputs) -> None:
        self.events += other.events
        self.records += other.records
        self.notices += other.notices


@dataclass
class DipPublisher:
    """Turns transitions into outputs, remembering who was told of each open dip."""

    told: dict[str, set[str]] = field(default_factory=dict)

    def publish(self, transitions: list[Dip]) -> DipOutputs:
        outputs = DipOutputs()
        for dip in transitions:
            event = dip_event(dip)
            outputs.events.append(event)
            outputs.records.append(dip_record(event))
            told = self.told.setdefault(dip.dip_id, set())
            notice = notice_for(dip, told)
            if notice is not None:
                outputs.notices.append(notice)
            if dip.state == "closed":
                del self.told[dip.dip_id]
        return outputs


@dataclass
class DipEngine:
    """Both stages and the publisher in one process."""

    tracker: DipTracker
    builder: BucketBuilder = field(default_factory=BucketBuilder)
    publisher: DipPublisher = field(default_factory=DipPublisher)

    @classmethod
    def create(cls, config: XlaConfig, settings: DipSettings | None = None) -> DipEngine:
        return cls(DipTracker(settings or DipSettings(), objective_budgets(config)))

    def add(self, observation: Observation) -> DipOutputs:
        return self._track(self.builder.add(observation))

    def finish(self) -> DipOutputs:
        """Flush open minutes and close every open dip (end of a back-test or demo)."""
        outputs = self._track(self.builder.flush())
        outputs.extend(self.publisher.publish(self.tracker.finish()))
        return outputs

    def _track(self, buckets: list[MinuteBucket]) -> DipOutputs:
        outputs = DipOutputs()
        for bucket in buckets:
            outputs.extend(self.publisher.publish(self.tracker.add(bucket)))
        return outputs
