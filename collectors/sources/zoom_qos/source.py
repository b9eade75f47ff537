"""Zoom QoS: call quality per participant and media stream (a central, cloud-side source).

Reads: responses of Zoom's Dashboard API ``GET /metrics/meetings/{meetingId}/participants/qos``
(``type=past``), dropped as JSON files into a folder by the export job, one page a file
named ``<meetingId>.json`` or ``<meetingId>.<page>.json`` (the meeting id or URL-encoded
UUID: the response itself does not name the meeting); each file is read once (the
bookmark lists the names done, newest 5000; ``drop_folder.py``).
Writes: call_quality events, the same event Microsoft Graph call records give
(``graph_call_records``), so the same Teams-CQD poor-stream rules score both
(``streams/scoring/touchpoints.py``: jitter > 30 ms, packet loss > 10 %, round trip
> 500 ms).

Each participant's ``user_qos`` is a series of one-minute samples of up to six streams:
``audio_output``, ``video_output``, ``as_output`` (what the participant received:
direction inbound) and ``audio_input``, ``video_input``, ``as_input`` (what it sent:
outbound); ``as`` is screen sharing. Per participant and stream, one event: the mean of
the minutes that carry values (``"6 ms"`` jitter -> jitter_ms, ``"0.3%"`` avg_loss ->
packet_loss_ratio 0.003, ``"126 ms"`` latency -> round_trip_ms; Zoom does not say
whether its latency is one way or round trip, it is compared with the round-trip limit),
dated by its first such minute, duration_s 60 per minute. A stream with no value in any
minute is not sent (CQD's "unclassified").

The user is pseudonymized from the sign-in name, as endpoints pseudonymize theirs: the
response names a participant only by Zoom user id (``id``) and display name, so the id
is looked up in the optional ``directory_file`` (CSV ``id,email``, e.g. from
``GET /users``). Counted as unparsed, never silently dropped: a participant not found
there (``zoom-user-without-sign-in-name``; reported under the pseudonym of its Zoom id,
which joins nothing else), one without a Zoom id (a guest; ``zoom-participant-without-id``,
not reported), a value that is not ``<n> ms`` / ``<n>%`` (``zoom-qos-value-unrecognised``)
and a page that says more pages follow when no other page of the meeting is in the
folder (``zoom-participants-next-page-missing``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from xlapulse.collectors.contract.wire import telemetry_event
from xlapulse.collectors.sources.base import Collected, Identity, Source, SourceError, one_record
from xlapulse.collectors.sources.drop_folder import DropFolder, read_directory
from xlapulse.collectors.sources.unparsed import Unparsed

if TYPE_CHECKING:
    from xlapulse.collectors.sources.zoom_qos.settings import ZoomQosSettings

STREAMS = {
    "audio_output": ("audio", "inbound"),
    "video_output": ("video", "inbound"),
    "as_output": ("screen_share", "inbound"),
    "audio_input": ("audio", "outbound"),
    "video_input": ("video", "outbound"),
    "as_input": ("screen_share", "outbound"),
}
MILLISECONDS = re.compile(r"^(?P<value>\d+(?:\.\d+)?) ?ms$")
PERCENT = re.compile(r"^(?P<value>\d+(?:\.\d+)?) ?%$")
SAMPLE_S = 60
MAX_TEXT = 200


@dataclass
class StreamMeans:
    """The minutes of one stream of one participant that carry values."""

    first: datetime | None = None
    minutes: int = 0
    jitter_ms: list[float] = field(default_factory=list)
    loss_ratio: list[float] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)


@dataclass
class MeetingContext:
    """What mapping a page needs besides the page: pseudonyms, the directory, counters."""

    identity: Identity
    directory: dict[str, str]
    unparsed: Unparsed

    def number(self, text: object, pattern: re.Pattern[str], where: str) -> float | None:
        """``"6 ms"`` -> 6.0, ``"0.3%"`` -> 0.3; empty -> None; anything else is counted."""
        value = str(text or "").strip()
        if not value:
            return None
        parsed = pattern.match(value)
        if parsed is None:
            self.unparsed.add("zoom-qos-value-unrecognised", f"{where}: {value[:40]}")
            return None
        return float(parsed["value"])


def call_quality_events(meeting_id: str, page: dict, context: MeetingContext) -> list[dict]:
    """Every stream of every participant on one page of the participants QoS response."""
    participants = page.get("participants")
    if not isinstance(participants, list):
        raise SourceError("not a participants QoS response (no participants list)")
    events = []
    for participant in participants:
        zoom_id = str(participant.get("id") or "").strip()
        if not zoom_id:
            context.unparsed.add(
                "zoom-participant-without-id", f"meeting {meeting_id} guest participant"
            )
            continue
        sign_in = context.directory.get(zoom_id)
        if sign_in is None:
            context.unparsed.add("zoom-user-without-sign-in-name", f"participant {zoom_id}")
        user = sign_in or f"zoom-user:{zoom_id}"
        for name, means in _stream_means(participant, context).items():
            events.append(_event(meeting_id, participant, user, name, means, context.identity))
    return events


def _stream_means(participant: dict, context: MeetingContext) -> dict[str, StreamMeans]:
    samples = participant.get("user_qos") or []
    samples = [samples] if isinstance(samples, dict) else samples
    streams: dict[str, StreamMeans] = {}
    for sample in samples:
        at = datetime.fromisoformat(str(sample["date_time"]).replace("Z", "+00:00"))
        for name in STREAMS:
            metrics = sample.get(name) or {}
            where = f"{name} {sample['date_time']}"
            jitter = context.number(metrics.get("jitter"), MILLISECONDS, where)
            loss = context.number(metrics.get("avg_loss"), PERCENT, where)
            latency = context.number(metrics.get("latency"), MILLISECONDS, where)
            if jitter is None and loss is None and latency is None:
                continue
            means = streams.setdefault(name, StreamMeans())
            means.first = min(means.first or at, at)
            means.minutes += 1
            for values, value in (
                (means.jitter_ms, jitter),
                (means.loss_ratio, loss / 100 if loss is not None else None),
                (means.latency_ms, latency),
            ):
                if value is not None:
                    values.append(value)
    return streams


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _event(
    meeting_id: str,
    participant: dict,
    user: str,
    stream: str,
    means: StreamMeans,
    identity: Identity,
) -> dict:
    media, direction = STREAMS[stream]
    zoom_id = participant["id"]
    machine = participant.get("pc_name") or f"zoom-client:{user}"
    join_time = participant.get("join_time") or ""
    return telemetry_event(
        "call_quality",
        event_id=identity.event_id("zoom-qos", f"{meeting_id}|{zoom_id}|{join_time}|{stream}"),
        event_time=means.first,
        user_id=identity.pseudonymizer.user(user),
        device_id=identity.pseudonymizer.device(machine),
        call_id=meeting_id[:MAX_TEXT],
        media=media,
        direction=direction,
        jitter_ms=_mean(means.jitter_ms),
        packet_loss_ratio=_mean(means.loss_ratio),
        round_trip_ms=_mean(means.latency_ms),
        dropped_segment=False,
        duration_s=means.minutes * SAMPLE_S,
    )


def meeting_of(path: Path) -> str:
    """``<meetingId>.json`` or ``<meetingId>.<page>.json`` -> the meeting id (URL-decoded)."""
    return unquote(path.name.removesuffix(".json").split(".", 1)[0])


class ZoomQosSource(Source):
    """Reads new participants QoS pages from the drop folder."""

    name = "zoom_qos"
    event_types = ("call_quality",)
    description = "Zoom Dashboard participants QoS: jitter, loss, latency per stream"

    def __init__(self, settings: ZoomQosSettings, identity: Identity) -> None:
        self.folder = Path(settings.folder)
        self.directory_file = settings.directory_file
        self.identity = identity

    def collect(self, bookmark: str | None) -> Collected:
        folder = DropFolder(self.folder, "Zoom QoS", bookmark)
        collected = Collected(unparsed=self.identity.unparsed())
        context = MeetingContext(
            self.identity, read_directory(self.directory_file, "email"), collected.unparsed
        )
        for path in folder.new_files():
            # any other error in an export (e.g. a page that is a JSON list) is counted
            # as rejected and passed, so one odd file never blocks the folder
            with one_record(collected.unparsed, f"Zoom QoS export {path.name}"):
                meeting_id = meeting_of(path)
                try:
                    page = json.loads(path.read_text())
                    collected.events.extend(call_quality_events(meeting_id, page, context))
                except (json.JSONDecodeError, SourceError, ValueError, KeyError, TypeError):
                    collected.skipped_records += 1  # a broken export is counted, not retried
                else:
                    self._check_paging(path, page, folder.files, collected.unparsed)
        collected.bookmark = folder.bookmark()
        return collected

    @staticmethod
    def _check_paging(path: Path, page: dict, pages: list[Path], unparsed: Unparsed) -> None:
        if not page.get("next_page_token"):
            return
        meeting_id = meeting_of(path)
        if not any(other != path and meeting_of(other) == meeting_id for other in pages):
            unparsed.add("zoom-participants-next-page-missing", f"meeting {meeting_id}")


def build(settings: ZoomQosSettings, identity: Identity) -> ZoomQosSource:
    return ZoomQosSource(settings, identity)
