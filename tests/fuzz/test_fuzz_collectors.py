"""Every collector parser under hostile OS output: records kept, bad ones counted, no stall.

Each test mutates a captured sample (tests/data/os, tests/data/graph; their provenance
is next to them) or adds forged records to it, and runs one daemon round over the
source (``collector_rounds.collect_round``). Beyond that module's checks (valid
events, a bookmark, no identity in the log): a forged NetworkManager entry in the
journal (any local user can write one with ``logger -t NetworkManager``) does not take
away an event of the real entries, and a malformed Graph export does not stop the
export after it from being read in the same round.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.collector_rounds import MemorySpool, collect_round
from tests.fuzz.hostile import (
    HOSTILE_TEXTS,
    dumps,
    fuzz_settings,
    mutated_json,
    mutated_text,
)
from tests.unit.helpers import IDENTITY, runtime_settings
from tests.unit.source_samples import DATA, LINUX, WINDOWS, WINDOWS_SAMPLES
from xlapulse.collectors.sources.base import run_command
from xlapulse.collectors.sources.cups_error_log.settings import CupsErrorLogSettings
from xlapulse.collectors.sources.cups_error_log.source import CupsErrorLogSource
from xlapulse.collectors.sources.graph_call_records.settings import GraphCallRecordsSettings
from xlapulse.collectors.sources.graph_call_records.source import GraphCallRecordsSource
from xlapulse.collectors.sources.journald.settings import JournaldSettings
from xlapulse.collectors.sources.journald.source import JournaldSource
from xlapulse.collectors.sources.macos_unified_log.settings import MacosUnifiedLogSettings
from xlapulse.collectors.sources.macos_unified_log.source import MacosUnifiedLogSource
from xlapulse.collectors.sources.systemd_boot.settings import SystemdBootSettings
from xlapulse.collectors.sources.systemd_boot.source import SystemdBootSource
from xlapulse.collectors.sources.windows_eventlog.mapper import SECURITY
from xlapulse.collectors.sources.windows_eventlog.settings import WindowsEventLogSettings
from xlapulse.collectors.sources.windows_eventlog.source import WindowsEventLogSource

JOURNAL_LINES = (LINUX / "journal.json").read_text().splitlines()
UNIFIED_LOG_LINES = (DATA / "os/macos/log-show.ndjson").read_text().splitlines()
CUPS_LOG = (LINUX / "cups-error_log").read_text()
ANALYZE = {
    "time": (LINUX / "systemd-analyze-time.txt").read_text(),
    "blame": (LINUX / "systemd-analyze-blame.txt").read_text(),
}
CALL_RECORD = json.loads((DATA / "graph/callrecord-peer-to-peer.json").read_text())
WINDOWS_TEXTS = {
    **{channel: (WINDOWS / name).read_text() for channel, name in WINDOWS_SAMPLES.items()},
    SECURITY: (WINDOWS / "security-session-day.xml").read_text(),
}
NM_MESSAGES = [json.loads(line)["MESSAGE"] for line in JOURNAL_LINES if '"NetworkManager"' in line]


@st.composite
def journal_line(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["sample", "mutated", "forged", "raw"]))
    sample = draw(st.sampled_from(JOURNAL_LINES))
    if kind == "sample":
        return sample
    if kind == "mutated":
        return dumps(draw(mutated_json(json.loads(sample))), draw(st.booleans()))
    if kind == "raw":
        return draw(mutated_text(sample))
    return draw(forged_networkmanager_line())


@st.composite
def forged_networkmanager_line(draw: st.DrawFn) -> str:
    """What ``logger -t NetworkManager`` writes: a real VPN text (about the real VPN
    objects) with hostile parts, from a user who is not root."""
    message = draw(mutated_text(draw(st.sampled_from(NM_MESSAGES))))
    entry = {
        "_UID": draw(st.sampled_from(["1000", "0 ", ""])),
        "__CURSOR": f"s=forged;i={draw(st.integers(0, 10**6))}",
        "__REALTIME_TIMESTAMP": str(draw(st.integers(0, 2**64))),
        "SYSLOG_IDENTIFIER": "NetworkManager",
        "PRIORITY": draw(st.sampled_from(["3", "4", "6", "x"])),
        "MESSAGE": message,
    }
    return dumps(entry, draw(st.booleans()))


def journald(text: str) -> JournaldSource:
    return JournaldSource(runtime_settings(JournaldSettings(lpstat="")), IDENTITY, lambda *_: text)


def stored_ids(spool: MemorySpool) -> set[str]:
    return {json.loads(record.value)["event_id"] for record in spool.records}


GENUINE_JOURNAL_IDS = {
    e["event_id"] for e in journald("\n".join(JOURNAL_LINES)).collect(None).events
}


@fuzz_settings(700)
@given(lines=st.lists(journal_line(), min_size=1, max_size=6))
def test_journald(lines: list[str], caplog: pytest.LogCaptureFixture) -> None:
    collect_round(journald("\n".join(lines)), caplog)


@fuzz_settings(200)
@given(data=st.data(), forged=st.integers(min_value=1, max_value=3))
def test_forged_networkmanager_lines_silence_nothing(
    data: st.DataObject, forged: int, caplog: pytest.LogCaptureFixture
) -> None:
    lines = list(JOURNAL_LINES)
    for _ in range(forged):
        at = data.draw(st.integers(0, len(lines)))
        lines.insert(at, data.draw(forged_networkmanager_line()))
    assert GENUINE_JOURNAL_IDS, "the sample journal gives events"
    assert stored_ids(collect_round(journald("\n".join(lines)), caplog)) >= GENUINE_JOURNAL_IDS


@st.composite
def unified_log_line(draw: st.DrawFn) -> str:
    """A line of ``log show --style ndjson``: a sample, a sample with hostile values or a
    hostile message (U+2028 raw or escaped), or a broken line."""
    sample = draw(st.sampled_from(UNIFIED_LOG_LINES))
    kind = draw(st.sampled_from(["sample", "mutated", "message", "raw"]))
    if kind == "sample":
        return sample
    if kind == "raw":
        return draw(mutated_text(sample))
    entry = json.loads(sample)
    if kind == "mutated":
        entry = draw(mutated_json(entry))
    else:
        entry["eventMessage"] = draw(mutated_text(entry.get("eventMessage", "")))
    return dumps(entry, draw(st.booleans()))


@fuzz_settings(700)
@given(lines=st.lists(unified_log_line(), min_size=1, max_size=8))
def test_macos_unified_log(lines: list[str], caplog: pytest.LogCaptureFixture) -> None:
    text = "\n".join(lines)
    source = MacosUnifiedLogSource(
        runtime_settings(MacosUnifiedLogSettings(lpstat="")), IDENTITY, lambda *_: text
    )
    collect_round(source, caplog)


XML_VALUE = re.compile(r'>([^<>]*)<|="([^"]*)"')


@st.composite
def event_xml(draw: st.DrawFn, text: str) -> str:
    """Event XML with one text or attribute value made hostile (escaped, so the markup
    may stay well-formed), or the markup itself broken."""
    values = list(XML_VALUE.finditer(text))
    if not values or draw(st.booleans()):
        return draw(mutated_text(text))
    found = values[draw(st.integers(0, len(values) - 1))]
    group = 1 if found.group(1) is not None else 2
    value = draw(HOSTILE_TEXTS)
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    return text[: found.start(group)] + escaped + text[found.end(group) :]


@fuzz_settings(600)
@given(channel=st.sampled_from(sorted(WINDOWS_TEXTS)), data=st.data())
def test_windows_event_xml(
    channel: str, data: st.DataObject, caplog: pytest.LogCaptureFixture
) -> None:
    texts = dict(WINDOWS_TEXTS)
    texts[channel] = data.draw(event_xml(texts[channel]))

    def wevtutil(argv: list[str], timeout_s: float) -> str:
        return texts.get(argv[2], "<Events></Events>")

    settings = runtime_settings(WindowsEventLogSettings())
    collect_round(WindowsEventLogSource(settings, IDENTITY, wevtutil), caplog)


CUPS_TEMPLATES = (
    "E [20/Nov/2026:08:01:02 +0100] [Job {job}] {text}",
    'I [20/Nov/2026:08:01:02 +0100] [Job {job}] Queued on "{text}" by "{text}".',
    "E [{text}] [Job {job}] Backend returned status {job} (stop printer)",
    "I [20/Nov/2026:08:01:03 +0100] [Job {job}] Job completed.",
)


@fuzz_settings(500)
@given(data=st.data())
def test_cups_error_log(data: st.DataObject, tmp_path_factory, caplog) -> None:
    text = data.draw(mutated_text(CUPS_LOG))
    for _ in range(data.draw(st.integers(0, 3))):
        template = data.draw(st.sampled_from(CUPS_TEMPLATES))
        job = data.draw(st.one_of(st.integers(-5, 10**30), st.just(7)))
        text += "\n" + template.format(job=job, text=data.draw(HOSTILE_TEXTS))
    log = tmp_path_factory.mktemp("cups") / "error_log"
    log.write_bytes((text + "\n").encode("utf-8", "surrogatepass"))
    settings = runtime_settings(CupsErrorLogSettings(path=str(log), lpstat=""))
    source = CupsErrorLogSource(settings, IDENTITY, run_command)
    collect_round(source, caplog)


SPANS = st.one_of(
    st.from_regex(r"\A([0-9]{1,30}(\.[0-9]{1,9})?(h|min|s|ms|us|µs) ?){1,4}\Z"),
    HOSTILE_TEXTS,
)


@fuzz_settings(500)
@given(data=st.data())
def test_systemd_analyze(data: st.DataObject, caplog: pytest.LogCaptureFixture) -> None:
    outputs = dict(ANALYZE)
    if data.draw(st.booleans()):
        outputs["time"] = data.draw(mutated_text(outputs["time"]))
    else:
        kernel, userspace, total = (data.draw(SPANS) for _ in range(3))
        outputs["time"] = (
            f"Startup finished in {kernel} (kernel) + {userspace} (userspace) = {total}\n"
        )
    outputs["blame"] = data.draw(mutated_text(outputs["blame"]))
    settings = runtime_settings(SystemdBootSettings(proc=str(LINUX / "proc")))
    source = SystemdBootSource(settings, IDENTITY, lambda argv, _timeout: outputs[argv[1]])
    collect_round(source, caplog, whole_failure_allowed=True)  # no finished boot: retried


@fuzz_settings(500)
@given(data=st.data())
def test_graph_call_records(data: st.DataObject, tmp_path_factory, caplog) -> None:
    folder = tmp_path_factory.mktemp("callrecords")
    if data.draw(st.booleans()):
        text = dumps(data.draw(mutated_json(CALL_RECORD)))
    else:
        text = data.draw(mutated_text(json.dumps(CALL_RECORD, indent=1)))
    (folder / "call-1.json").write_bytes(text.encode("utf-8", "surrogatepass"))
    shutil.copy(DATA / "graph/callrecord-peer-to-peer.json", folder / "call-2.json")
    settings = runtime_settings(GraphCallRecordsSettings(enabled=True, folder=str(folder)))
    spool = collect_round(GraphCallRecordsSource(settings, IDENTITY), caplog)
    assert json.loads(spool.bookmarks["graph_call_records"]) == ["call-1.json", "call-2.json"]
    assert len(spool.records) >= len(GOOD_CALL_EVENTS), "the export after a bad one was read"


def _good_call_events() -> list:
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(DATA / "graph/callrecord-peer-to-peer.json", Path(folder) / "call-2.json")
        settings = runtime_settings(GraphCallRecordsSettings(enabled=True, folder=folder))
        return GraphCallRecordsSource(settings, IDENTITY).collect(None).events


GOOD_CALL_EVENTS = _good_call_events()
