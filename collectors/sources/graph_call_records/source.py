"""Microsoft Graph callRecords: per-stream call quality (a central, cloud-side source).

Reads: callRecord JSON documents as Graph returns them for
``GET /communications/callRecords/{id}?$expand=sessions($expand=segments)``, dropped
as ``*.json`` files into a folder by the Graph subscription/export job; a file is
read once (the bookmark lists the file names done, newest 5000; ``drop_folder.py``).
Writes: one call_quality event per media stream, attributed to the participant who
*received* it (a callerToCallee stream is the callee's inbound audio), with the
participant's user principal name and machine name pseudonymized.

The user is pseudonymized from the sign-in name (``userPrincipalName``), as the endpoints
pseudonymize theirs, so call quality joins the user's other telemetry. A participant
known only by its Entra object id (``identity.user.id``, older records) is looked up in
the optional ``directory_file`` (CSV ``id,userPrincipalName``, e.g. exported with
``Get-MgUser -All | Select-Object Id,UserPrincipalName``); one not found there is still
reported under the pseudonym of its object id, which joins nothing else, and counted
as unparsed (``graph-user-without-sign-in-name``). Also counted, because the contract
has no place for them or the file lacks them: a participant's own rating of the call
(``userFeedback.rating`` other than ``notRated``; ``graph-user-rating-not-mapped``) and
a record whose sessions continue on another page (``sessions@odata.nextLink``: the
export job must follow it and merge the pages; ``graph-sessions-next-page-missing``).

Graph field -> contract: averageJitter (ISO 8601 duration) -> jitter_ms,
averagePacketLossRate -> packet_loss_ratio, averageRoundTripTime -> round_trip_ms,
averageAudioDegradation -> network_mos_degradation, averageRatioOfConcealedSamples ->
concealed_sample_ratio, a segment with failureInfo -> dropped_segment.

Hostile or broken content never blocks the folder: a stream the contract rejects (a
NaN or negative loss rate, a bad duration) is counted as ``rejected (...)`` and the
file's other streams are kept; a file that is not a callRecord (wrong types, an
unreadable file) is counted the same way, with none of its events, one that is not JSON
as a skipped record, and each is marked done like every file read, so later exports
are read. The export job should write each file under a temporary name and rename it
into the folder: a half-written file is rejected too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from xlapulse.collectors.contract.wire import telemetry_event
from xlapulse.collectors.sources.base import (
    Collected,
    Identity,
    Source,
    SourceError,
    one_record,
)
from xlapulse.collectors.sources.drop_folder import DropFolder, read_directory
from xlapulse.collectors.sources.unparsed import Unparsed

if TYPE_CHECKING:
    from xlapulse.collectors.sources.graph_call_records.settings import GraphCallRecordsSettings

ISO_DURATION = re.compile(r"^PT(?:(?P<h>[\d.]+)H)?(?:(?P<m>[\d.]+)M)?(?:(?P<s>[\d.]+)S)?$")
MEDIA_BY_LABEL = {
    "main-audio": "audio",
    "main-video": "video",
    "applicationsharing-video": "screen_share",
}


def duration_ms(text: str | None) -> float | None:
    """``PT0.016S`` -> 16.0; None stays None."""
    if not text:
        return None
    parsed = ISO_DURATION.match(text)
    if parsed is None:
        raise SourceError(f"not an ISO 8601 duration: {text!r}")
    hours, minutes, seconds = (float(parsed[g] or 0) for g in ("h", "m", "s"))
    return round((hours * 3600 + minutes * 60 + seconds) * 1000, 3)


@dataclass
class CallContext:
    """What mapping a callRecord needs besides the record: pseudonyms, the directory, the
    round's unparsed counter."""

    identity: Identity
    directory: dict[str, str]
    unparsed: Unparsed

    def sign_in_name(self, endpoint: dict) -> str | None:
        identity = (
            endpoint.get("associatedIdentity") or endpoint.get("identity", {}).get("user") or {}
        )
        object_id = identity.get("id")
        name = identity.get("userPrincipalName") or self.directory.get((object_id or "").casefold())
        if name or not object_id:
            return name
        self.unparsed.add("graph-user-without-sign-in-name", f"participant {object_id}")
        return object_id


def call_quality_events(record: dict, context: CallContext) -> Iterator[dict]:
    """Every media stream of every segment in one callRecord document."""
    call_id = record.get("id")
    if not call_id:
        raise SourceError("callRecord without an id")
    if record.get("sessions@odata.nextLink"):
        context.unparsed.add("graph-sessions-next-page-missing", f"callRecord {call_id}")
    for session in record.get("sessions", []):
        _count_ratings(session, call_id, context.unparsed)
        for segment in session.get("segments", []):
            dropped = bool(segment.get("failureInfo"))
            for media in segment.get("media", []):
                kind = MEDIA_BY_LABEL.get(media.get("label", ""))
                if kind is None:
                    continue
                for stream in media.get("streams", []):
                    with one_record(context.unparsed, f"callRecord {call_id} stream"):
                        event = _stream_event(
                            call_id, session, segment, kind, stream, dropped, context
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
    context: CallContext,
) -> dict | None:
    side = "callee" if stream.get("streamDirection") == "callerToCallee" else "caller"
    receiver = segment.get(side) or session.get(side) or {}
    user, machine = context.sign_in_name(receiver), receiver.get("name")
    identity = context.identity
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


def _count_ratings(session: dict, call_id: str, unparsed: Unparsed) -> None:
    for side in ("caller", "callee"):
        feedback = (session.get(side) or {}).get("userFeedback") or {}
        if feedback.get("rating") not in (None, "notRated", "unknownFutureValue"):
            unparsed.add(
                "graph-user-rating-not-mapped", f"callRecord {call_id} {feedback['rating']}"
            )


def _json_document(path: Path) -> object:
    """The file's JSON document, or None when it is not JSON."""
    try:
        return json.loads(path.read_bytes())
    except (ValueError, RecursionError):
        return None


class GraphCallRecordsSource(Source):
    """Reads new callRecord files from the drop folder."""

    name = "graph_call_records"
    event_types = ("call_quality",)
    description = (
        "Microsoft Graph callRecords: jitter, loss, round trip, MOS degradation per stream"
    )

    def __init__(self, settings: GraphCallRecordsSettings, identity: Identity) -> None:
        self.folder = Path(settings.folder)
        self.directory_file = settings.directory_file
        self.identity = identity

    def collect(self, bookmark: str | None) -> Collected:
        folder = DropFolder(self.folder, "callRecords", bookmark)
        collected = Collected(unparsed=self.identity.unparsed())
        directory = read_directory(self.directory_file, "userPrincipalName")
        context = CallContext(
            self.identity,
            {object_id.casefold(): name for object_id, name in directory.items()},
            collected.unparsed,
        )
        for path in folder.new_files():
            with one_record(collected.unparsed, f"callRecord file {path.name}"):
                document = _json_document(path)
                if document is None:
                    collected.skipped_records += 1
                    continue
                collected.events += list(call_quality_events(document, context))
        collected.bookmark = folder.bookmark()
        return collected


def build(settings: GraphCallRecordsSettings, identity: Identity) -> GraphCallRecordsSource:
    return GraphCallRecordsSource(settings, identity)
