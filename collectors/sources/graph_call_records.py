"""Microsoft Graph callRecords: per-stream call quality (a central, cloud-side source).

Reads: callRecord JSON documents as Graph returns them for
``GET /communications/callRecords/{id}?$expand=sessions($expand=segments)``, dropped
as ``*.json`` files into a folder by the Graph subscription/export job; a file is
read once (the bookmark lists the file names done, newest 5000).
Writes: one call_quality event per media stream, attributed to the participant who
*received* it (a callerToCallee stream is the callee's inbound audio), with the
participant's user principal name and machine name pseudonymized.

Graph field -> contract: averageJitter (ISO 8601 duration) -> jitter_ms,
averagePacketLossRate -> packet_loss_ratio, averageRoundTripTime -> round_trip_ms,
averageAudioDegradation -> network_mos_degradation, averageRatioOfConcealedSamples ->
concealed_sample_ratio, a segment with failureInfo -> dropped_segment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from xlapulse.collectors.contract.wire import telemetry_event
from xlapulse.collectors.sources.base import Collected, Identity, Source, SourceError

if TYPE_CHECKING:
    from xlapulse.collectors.sources.settings import GraphCallRecordsSettings

ISO_DURATION = re.compile(r"^PT(?:(?P<h>[\d.]+)H)?(?:(?P<m>[\d.]+)M)?(?:(?P<s>[\d.]+)S)?$")
MEDIA_BY_LABEL = {
    "main-audio": "audio",
    "main-video": "video",
    "applicationsharing-video": "screen_share",
}
MAX_DONE_FILES = 5000


def duration_ms(text: str | None) -> float | None:
    """``PT0.016S`` -> 16.0; None stays None."""
    if not text:
        return None
    parsed = ISO_DURATION.match(text)
    if parsed is None:
        raise SourceError(f"not an ISO 8601 duration: {text!r}")
    hours, minutes, seconds = (float(parsed[g] or 0) for g in ("h", "m", "s"))
    return round((hours * 3600 + minutes * 60 + seconds) * 1000, 3)


def _endpoint_identity(endpoint: dict) -> tuple[str | None, str | None]:
    identity = endpoint.get("associatedIdentity") or endpoint.get("identity", {}).get("user") or {}
    return identity.get("userPrincipalName") or identity.get("id"), endpoint.get("name")


def call_quality_events(record: dict, identity: Identity) -> Iterator[dict]:
    """Every media stream of every segment in one callRecord document."""
    call_id = record.get("id")
    if not call_id:
        raise SourceError("callRecord without an id")
    for session in record.get("sessions", []):
        for segment in session.get("segments", []):
            dropped = bool(segment.get("failureInfo"))
            for media in segment.get("media", []):
                kind = MEDIA_BY_LABEL.get(media.get("label", ""))
                if kind is None:
                    continue
                for stream in media.get("streams", []):
                    event = _stream_event(
                        call_id, session, segment, kind, stream, dropped, identity
                    )
                    if event is not None:
                        yield event


def _stream_event(
    call_id: str,
    session: dict,
    segment: dict,
    media: str,
    stream: dict,
    dropped: bool,
    identity: Identity,
) -> dict | None:
    side = "callee" if stream.get("streamDirection") == "callerToCallee" else "caller"
    receiver = segment.get(side) or session.get(side)
    user, machine = _endpoint_identity(receiver or {})
    if not user:
        return None  # a PSTN or bot leg: nobody's experience to score
    start = datetime.fromisoformat(stream.get("startDateTime") or segment["startDateTime"])
    end = datetime.fromisoformat(stream.get("endDateTime") or segment["endDateTime"])
    return telemetry_event(
        "call_quality",
        event_id=identity.event_id(
            "graph-callrecords", f"{call_id}|{segment.get('id')}|{stream.get('streamId')}"
        ),
        event_time=start,
        user_id=identity.pseudonymizer.user(user),
        device_id=identity.pseudonymizer.device(machine or f"teams-client:{user}"),
        call_id=call_id[:200],
        media=media,
        direction="inbound",
        jitter_ms=duration_ms(stream.get("averageJitter")),
        packet_loss_ratio=stream.get("averagePacketLossRate"),
        round_trip_ms=duration_ms(stream.get("averageRoundTripTime")),
        network_mos_degradation=stream.get("averageAudioDegradation"),
        concealed_sample_ratio=stream.get("averageRatioOfConcealedSamples"),
        dropped_segment=dropped,
        duration_s=max(0, int((end - start).total_seconds())),
    )


class GraphCallRecordsSource(Source):
    """Reads new callRecord files from the drop folder."""

    name = "graph_call_records"
    event_types = ("call_quality",)
    description = (
        "Microsoft Graph callRecords: jitter, loss, round trip, MOS degradation per stream"
    )

    def __init__(self, settings: GraphCallRecordsSettings, identity: Identity) -> None:
        self.folder = Path(settings.folder)
        self.identity = identity

    def collect(self, bookmark: str | None) -> Collected:
        done: list[str] = json.loads(bookmark) if bookmark else []
        if not self.folder.is_dir():
            raise SourceError(f"callRecords folder {self.folder} does not exist")
        seen = set(done)
        events: list[dict] = []
        skipped = 0
        for path in sorted(self.folder.glob("*.json")):
            if path.name in seen:
                continue
            try:
                events.extend(call_quality_events(json.loads(path.read_text()), self.identity))
            except (json.JSONDecodeError, SourceError, ValueError, KeyError):
                skipped += 1  # a broken export is skipped and counted, never retried forever
            done.append(path.name)
        return Collected(
            events=events, bookmark=json.dumps(done[-MAX_DONE_FILES:]), skipped_records=skipped
        )


def build(settings: GraphCallRecordsSettings, identity: Identity) -> GraphCallRecordsSource:
    return GraphCallRecordsSource(settings, identity)
