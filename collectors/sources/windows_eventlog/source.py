"""Windows event log source: boot, logon, session, antivirus, VPN, print and app events.

Reads: the channels and event IDs of ``mapper.RECORDS`` with
``wevtutil qe <channel> /q:<XPath> /f:xml /e:Events`` (one call per channel, events
after the last EventRecordID seen). Writes: boot, logon, session, vpn_session,
print_job and app_responsiveness events, mapped by ``mapper.py`` (the Security log's
interactive sessions by ``sessions.py``).

The bookmark is JSON: the last EventRecordID per channel, plus the half-finished
logon, the open interactive sessions and the VPN sessions whose closing record has
not arrived yet, so a logon that spans two rounds (or a restart) is still measured
once. A record that cannot be read or mapped is counted as ``rejected (...)`` and
passed (``base.one_record``, ``windows_xml.read_events``); the other records of the
round are kept.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

from xlapulse.collectors.sources.base import (
    Collected,
    CommandRunner,
    Identity,
    Source,
    SourceError,
    run_command,
)
from xlapulse.collectors.sources.windows_eventlog.audit_policy import (
    auditpol_argv,
    session_audit_warning,
)
from xlapulse.collectors.sources.windows_eventlog.mapper import (
    EVENT_IDS_BY_CHANNEL,
    WindowsEventMapper,
)
from xlapulse.collectors.sources.windows_eventlog.windows_xml import WinEvent, read_events

if TYPE_CHECKING:
    from xlapulse.collectors.sources.windows_eventlog.settings import WindowsEventLogSettings


#: the first read (no bookmark) looks this far back
FIRST_READ_WINDOW_MS = 24 * 3600 * 1000


def channel_query(event_ids: tuple[int, ...], after_record_id: int | None) -> str:
    """The XPath for wevtutil: these IDs, after the bookmark (or the last 24 h on first read)."""
    ids = " or ".join(f"EventID={event_id}" for event_id in event_ids)
    position = (
        f"EventRecordID>{after_record_id}"
        if after_record_id is not None
        else f"TimeCreated[timediff(@SystemTime) <= {FIRST_READ_WINDOW_MS}]"
    )
    return f"*[System[({ids}) and {position}]]"


class WindowsEventLogSource(Source):
    """Reads the event log channels with wevtutil and maps them to contract events."""

    name = "windows_eventlog"
    event_types = ("boot", "logon", "session", "vpn_session", "print_job", "app_responsiveness")
    description = (
        "Windows event log: boot, logon, session lock/unlock, antivirus scan, VPN, print, "
        "app crash/hang"
    )

    def __init__(
        self, settings: WindowsEventLogSettings, identity: Identity, runner: CommandRunner
    ) -> None:
        self.settings = settings
        self.identity = identity
        self.runner = runner

    def prerequisite_warnings(self) -> list[str]:
        """The audit policy that locks and disconnects need (``audit_policy.py``)."""
        try:
            report = self.runner(auditpol_argv(), 30.0)
        except SourceError as error:
            return [f"cannot read the audit policy for session events: {error}"]
        warning = session_audit_warning(report)
        return [warning] if warning else []

    def collect(self, bookmark: str | None) -> Collected:
        saved = json.loads(bookmark) if bookmark else {"records": {}, "state": None}
        last_ids: dict[str, int] = saved["records"]
        records: list[WinEvent] = []
        mapper = WindowsEventMapper(self.identity, saved["state"])
        for channel, event_ids in EVENT_IDS_BY_CHANNEL.items():
            query = channel_query(event_ids, last_ids.get(channel))
            output = self.runner(
                [self.settings.wevtutil, "qe", channel, f"/q:{query}", "/f:xml", "/e:Events"],
                60.0,
            )
            read, highest_id = read_events(output, mapper.unparsed)
            found = [r for r in read if r.channel in ("", channel)]
            records.extend(_with_channel(found, channel))
            if highest_id is not None:
                last_ids[channel] = max(highest_id, last_ids.get(channel, 0))
        events = mapper.map(records)
        return Collected(
            events=events,
            bookmark=json.dumps({"records": last_ids, "state": mapper.state}),
            unparsed=mapper.unparsed,
        )


def _with_channel(records: list[WinEvent], channel: str) -> list[WinEvent]:
    """Records as read from ``channel`` (wevtutil output always names it; tests may not)."""
    return [r if r.channel else replace(r, channel=channel) for r in records]


def build(settings: WindowsEventLogSettings, identity: Identity) -> WindowsEventLogSource:
    return WindowsEventLogSource(settings, identity, run_command)
