"""One endpoint's calls of a workday: two audio streams each, sometimes video.

Reads: the endpoint, its seeded RNG for the day, the pre-drawn good-stream figures and
the scenario's call-quality incidents. Writes: ``call_quality`` events into a list,
``Hurt`` records for poor calls and, for a call an incident made poor, a hit in
``DayContext.hits``.

A call is poor with ``BAD_CALL_CHANCE`` (plus ``REMOTE_BAD_CALL_EXTRA`` on a remote
day); a poor stream breaks every Teams CQD threshold. A ``call_quality_degraded``
incident turns a call in its scope and window poor with its ``poor_share``, drawing
from the incident's own RNG after the baseline draws were made as usual, so the
endpoint's other events stay exactly as without the incident.
"""

from __future__ import annotations

import random
from datetime import datetime

from xlapulse.collectors.contract.events import EventBase
from xlapulse.collectors.simulator.build import event
from xlapulse.collectors.simulator.day import DayContext, Hurt, Workday
from xlapulse.collectors.simulator.incidents import CallDegradation
from xlapulse.collectors.simulator.profiles import Endpoint
from xlapulse.collectors.simulator.rhythm import activity_minutes, poisson
from xlapulse.collectors.simulator.samples import SAMPLE_BITS

BAD_CALL_CHANCE = 0.03
REMOTE_BAD_CALL_EXTRA = 0.04
MAX_CALL_LOST_S = 300


def draw_calls(
    endpoint: Endpoint,
    ctx: DayContext,
    rng: random.Random,
    workday: Workday,
    start_min: float,
    out: list[EventBase],
    hurts: list[Hurt],
) -> None:
    behaviour = endpoint.behaviour
    share_of_day = (workday.end_min - start_min) / (behaviour.workday_h * 60)
    count = poisson(rng, behaviour.calls_per_day * share_of_day)
    bad_chance = BAD_CALL_CHANCE + (REMOTE_BAD_CALL_EXTRA if workday.remote else 0.0)
    degradations = [
        d for d in ctx.incidents.call_degradations if d.window.hits(endpoint.site, endpoint.persona)
    ]
    incident_rngs: dict[str, random.Random] = {}
    for minute in activity_minutes(rng, count, start_min, workday.end_min):
        when = ctx.day.at(minute)
        duration_s = round(rng.uniform(*behaviour.call_minutes) * 60)
        bad = rng.random() < bad_chance
        call_id = f"call-{rng.getrandbits(64):016x}"
        streams = [("audio", "outbound"), ("audio", "inbound")]
        if rng.random() < behaviour.video_share:
            streams.append(("video", "inbound"))
        degradation = None if bad else _degrading(degradations, when, endpoint, ctx, incident_rngs)
        for media, direction in streams:
            fields = _stream_quality(rng, ctx.samples.good_streams, bad, workday.remote)
            if degradation is not None:  # the baseline draws above are made and discarded
                fields = _stream_quality(
                    incident_rngs[degradation.window.name], (), True, workday.remote
                )
            fields.update(call_id=call_id, media=media, direction=direction, duration_s=duration_s)
            out.append(
                event("call_quality", rng, when, endpoint.user_id, endpoint.device_id, fields)
            )
        if bad or degradation is not None:
            incident = None if degradation is None else degradation.window.name
            lost_s = min(duration_s, MAX_CALL_LOST_S)
            hurts.append(Hurt(when, "call_quality", lost_s, 0.03, incident))
            if incident is not None:
                ctx.hit(incident, endpoint, when)


def _degrading(
    degradations: list[CallDegradation],
    when: datetime,
    endpoint: Endpoint,
    ctx: DayContext,
    incident_rngs: dict[str, random.Random],
) -> CallDegradation | None:
    """The incident that makes this call poor, if any (one incident RNG draw per call in
    an incident's window)."""
    for degradation in degradations:
        window = degradation.window
        if not window.start <= when < window.end:
            continue
        if window.name not in incident_rngs:
            incident_rngs[window.name] = ctx.incident_rng(endpoint, window.name)
        if incident_rngs[window.name].random() < degradation.poor_share:
            return degradation
    return None


def _stream_quality(
    rng: random.Random, good_streams: tuple, bad: bool, remote: bool
) -> dict[str, object]:
    """Per-stream network figures; a bad stream is poor by every Teams CQD threshold."""
    if not bad:
        sample = good_streams[rng.getrandbits(SAMPLE_BITS)]
        jitter_ms, loss_ratio, round_trip_ms, degradation, mos, concealed_ratio = sample
        return {
            "jitter_ms": jitter_ms,
            "packet_loss_ratio": loss_ratio,
            "round_trip_ms": round(round_trip_ms + 35, 1) if remote else round_trip_ms,
            "network_mos_degradation": degradation,
            "mos": mos,
            "concealed_sample_ratio": concealed_ratio,
        }
    degradation = rng.uniform(1.05, 2.2)
    return {
        "jitter_ms": round(rng.uniform(31, 90), 1),
        "packet_loss_ratio": round(rng.uniform(0.11, 0.18), 4),
        "round_trip_ms": round(rng.uniform(510, 900), 1),
        "network_mos_degradation": round(degradation, 2),
        "mos": round(max(1.0, 4.4 - degradation - rng.uniform(0, 0.5)), 2),
        "concealed_sample_ratio": round(rng.uniform(0.08, 0.2), 4),
        "dropped_segment": rng.random() < 0.3,
    }
