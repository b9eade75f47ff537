"""Zoom QoS source on participants QoS pages (tests/data/zoom, PROVENANCE.md there).

The events are the same call_quality events Graph call records give, so the streams'
Teams-CQD rules (streams/scoring/touchpoints.py) score them: the screen share sent with
615 and 391 ms jitter is a poor stream, the documented example's streams are good.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.unit.helpers import IDENTITY, PSEUDONYMIZER, runtime_settings
from tests.unit.source_samples import DATA
from tests.unit.wire_events import contract_events
from xlapulse.collectors.sources.base import SourceError
from xlapulse.collectors.sources.zoom_qos.settings import ZoomQosSettings
from xlapulse.collectors.sources.zoom_qos.source import ZoomQosSource
from xlapulse.streams.scoring.indicators import Band
from xlapulse.streams.scoring.personas import DEFAULT_PERSONAS
from xlapulse.streams.scoring.touchpoints import indicate

SAMPLES = DATA / "zoom"
DOCUMENTED, SCREEN_SHARE = "85746065432.json", "93817203214.json"
LIMITS = next(iter(DEFAULT_PERSONAS.values())).thresholds


def source_for(folder: Path, directory: Path | None = SAMPLES / "users.csv") -> ZoomQosSource:
    settings = ZoomQosSettings(
        enabled=True, folder=str(folder), directory_file=str(directory) if directory else ""
    )
    return ZoomQosSource(runtime_settings(settings), IDENTITY)


def folder_with(tmp_path: Path, *names: str) -> Path:
    for name in names:
        shutil.copy(SAMPLES / name, tmp_path / name)
    return tmp_path


def test_each_stream_of_the_documented_example_is_one_call_quality_event(tmp_path):
    collected = source_for(folder_with(tmp_path, DOCUMENTED)).collect(None)
    events = contract_events(collected)
    streams = {
        (e.media, e.direction): (e.jitter_ms, e.packet_loss_ratio, e.round_trip_ms) for e in events
    }
    assert streams == {
        ("audio", "inbound"): (6.0, 0.0, 134.0),  # audio_output: what the phone received
        ("video", "inbound"): (11.0, 0.0, 135.0),
        ("screen_share", "inbound"): (8.0, 0.0, 135.0),
        ("audio", "outbound"): (6.0, 0.003, 126.0),  # audio_input: "0.3%" avg_loss
        ("video", "outbound"): (11.0, 0.0, 129.0),
        ("screen_share", "outbound"): (8.0, 0.0, 135.0),
    }
    assert {e.call_id for e in events} == {"85746065432"}
    assert {e.duration_s for e in events} == {60}
    # named from the directory by sign-in name, as the endpoints pseudonymize theirs
    assert {e.user_id for e in events} == {PSEUDONYMIZER.user("user@example.com")}
    assert collected.unparsed.total == 0
    assert all(indicate(e, LIMITS).band == Band.GOOD for e in events)


def test_a_screen_share_with_600_ms_jitter_is_a_poor_stream_by_the_cqd_rules(tmp_path):
    collected = source_for(folder_with(tmp_path, SCREEN_SHARE)).collect(None)
    (event,) = contract_events(collected)  # the empty audio and video streams send nothing
    assert (event.media, event.direction, event.jitter_ms, event.duration_s) == (
        "screen_share",
        "outbound",
        503.0,  # the mean of the two minutes, 615 and 391 ms
        120,
    )
    assert event.event_time.isoformat() == "2020-01-10T07:56:00+00:00"
    scored = indicate(event, LIMITS)
    assert (scored.band, scored.cause) == (Band.FRUSTRATING, "poor_call:jitter")
    # not in the directory: reported under its Zoom id's pseudonym, and counted
    assert collected.unparsed.counts == {"zoom-user-without-sign-in-name": 1}


def test_each_page_is_read_once(tmp_path):
    source = source_for(folder_with(tmp_path, DOCUMENTED))
    first = source.collect(None)
    assert len(first.events) == 6
    assert source.collect(first.bookmark).events == []


def test_guests_odd_values_missing_pages_and_broken_files_are_counted(tmp_path):
    page = json.loads((SAMPLES / DOCUMENTED).read_text())
    participant = page["participants"][0]
    guest = {key: value for key, value in participant.items() if key != "id"}
    participant["user_qos"][0]["audio_input"]["jitter"] = "n/a"
    page["participants"].append(guest)
    page["next_page_token"] = "Tva2CuIdTgsv8wAnhyAdU3m06Y2HuLQtlh3"
    (tmp_path / "111.json").write_text(json.dumps(page))
    (tmp_path / "222.json").write_text("{ not json")
    collected = source_for(tmp_path).collect(None)
    assert collected.unparsed.counts == {
        "zoom-participant-without-id": 1,
        "zoom-qos-value-unrecognised": 1,
        "zoom-participants-next-page-missing": 1,
    }
    assert collected.skipped_records == 1
    audio_sent = [
        e for e in contract_events(collected) if (e.media, e.direction) == ("audio", "outbound")
    ]
    assert [(e.jitter_ms, e.round_trip_ms) for e in audio_sent] == [(None, 126.0)]


def test_an_export_of_an_unexpected_shape_is_rejected_and_the_folder_goes_on(tmp_path):
    folder = folder_with(tmp_path, DOCUMENTED)
    (tmp_path / "000.json").write_text("[1]")
    source = source_for(folder)
    collected = source.collect(None)
    assert collected.unparsed.counts == {"rejected (AttributeError)": 1}
    assert len(collected.events) == 6, "the good export is read"
    assert source.collect(collected.bookmark).events == [], "and neither is read again"


def test_the_second_page_of_a_meeting_answers_its_first_pages_token(tmp_path):
    page = json.loads((SAMPLES / DOCUMENTED).read_text())
    page["next_page_token"] = "more"
    (tmp_path / "333.1.json").write_text(json.dumps(page))
    page["next_page_token"] = ""
    (tmp_path / "333.2.json").write_text(json.dumps(page))
    collected = source_for(tmp_path).collect(None)
    assert collected.unparsed.total == 0
    assert {e.call_id for e in contract_events(collected)} == {"333"}


def test_a_missing_folder_or_a_bad_directory_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        source_for(tmp_path / "absent").collect(None)
    bad = tmp_path / "users.csv"
    bad.write_text("id,email\nabc,\n")
    with pytest.raises(SourceError, match="line 2: needs an id and an email"):
        source_for(folder_with(tmp_path, DOCUMENTED), bad).collect(None)
