"""Windows event log records into contract events: the mapping the source applies.

Reads: :class:`WinEvent` records of the channels and event IDs in :data:`RECORDS`
(Diagnostics-Performance boots and shutdowns, Group Policy, the User Profiles Service,
Winlogon, Defender scans, RasClient VPN, PrintService, Application Error and Hang, the
Security log's sessions via ``sessions.py``). Writes: boot, logon, session,
vpn_session, print_job and app_responsiveness events (wire dicts,
``contract/wire.py``), and the state a half-finished logon, open sessions and open VPN
sessions need across rounds (``state``, kept in the source's bookmark).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from xlapulse.collectors.contract.wire import telemetry_event
from xlapulse.collectors.sources.base import Identity, one_record
from xlapulse.collectors.sources.windows_eventlog.sessions import SessionTracker
from xlapulse.collectors.sources.windows_eventlog.windows_xml import WinEvent, parse_windows_time

DIAGNOSTICS = "Microsoft-Windows-Diagnostics-Performance/Operational"
GROUP_POLICY = "Microsoft-Windows-GroupPolicy/Operational"
DEFENDER = "Microsoft-Windows-Windows Defender/Operational"
PRINT_ADMIN = "Microsoft-Windows-PrintService/Admin"
PRINT_OPERATIONAL = "Microsoft-Windows-PrintService/Operational"
SECURITY = "Security"

PROFILES = "Microsoft-Windows-User Profiles Service"
WINLOGON = "Microsoft-Windows-Winlogon"
AUDITING = "Microsoft-Windows-Security-Auditing"

DEGRADATION_PAIRING_WINDOW = timedelta(minutes=10)
RAS_USER_DISCONNECTED = 631  # ERROR_USER_DISCONNECTION: the user hung up, not a drop
MAX_TEXT = 200


class WindowsEventMapper:
    """Turns event log records into contract events, keeping cross-round state."""

    def __init__(self, identity: Identity, state: dict | None = None) -> None:
        self.identity = identity
        self.state = state or {"logon": None, "vpn": {}}
        self.sessions = SessionTracker(self.state.get("sessions"))
        self.state["sessions"] = self.sessions.state
        self.unparsed = identity.unparsed()

    def map(self, records: Iterable[WinEvent]) -> list[dict]:
        ordered = sorted(records, key=lambda record: (record.time_created, record.record_id))
        scans = _defender_scans(ordered)
        degradations = [r for r in ordered if r.channel == DIAGNOSTICS and 101 <= r.event_id <= 110]
        events: list[dict] = []
        for record in ordered:
            handler = self._handler(record)
            with one_record(
                self.unparsed, f"{record.channel} {record.event_id} {record.record_id}"
            ):
                built = handler(self, record, scans, degradations) if handler else None
                if built is not None:
                    events.append(built)
        return events

    def _handler(self, record: WinEvent) -> Callable | None:
        provider, handler = RECORDS.get((record.channel, record.event_id), (None, None))
        if handler is None or provider not in (None, record.provider):
            return None
        return handler

    def _envelope(self, record: WinEvent, user: str | None = None) -> dict:
        return {
            "event_id": self.identity.event_id(record.channel, str(record.record_id)),
            "event_time": record.time_created,
            "user_id": self.identity.user(user),
            "device_id": self.identity.device_id,
        }

    def _boot(self, record: WinEvent, scans: list, degradations: list[WinEvent]) -> dict:
        boot_ms = record.number("BootTime") or 0
        start = _boot_start(record, boot_ms)
        components = [
            _component_name(d)
            for d in degradations
            if abs(d.time_created - record.time_created) <= DEGRADATION_PAIRING_WINDOW
        ]
        scan_ms = _overlap_ms(scans, start, start + timedelta(milliseconds=boot_ms))
        envelope = self._envelope(record)
        envelope["event_time"] = start
        shutdown_ms = self.state.pop("shutdown_ms", None)
        return telemetry_event(
            "boot",
            **envelope,
            boot_duration_ms=boot_ms,
            main_path_duration_ms=record.number("MainPathBootTime"),
            post_boot_duration_ms=record.number("BootPostBootTime"),
            profile_processing_duration_ms=record.number("BootUserProfileProcessingTime"),
            explorer_init_duration_ms=record.number("BootExplorerInitTime"),
            startup_app_count=record.number("BootNumStartupApps"),
            is_degradation=record.named.get("BootIsDegradation", "").lower() in ("true", "1")
            or bool(components),
            degrading_components=[c for c in components if c][:50],
            antivirus_scan_duration_ms=scan_ms,
            antivirus_scan_share_ratio=round(scan_ms / boot_ms, 4) if scan_ms and boot_ms else None,
            previous_shutdown_duration_ms=shutdown_ms,
        )

    def _shutdown(self, record: WinEvent, *_: object) -> None:
        """Diagnostics-Performance 200: kept until the next boot, which reports it."""
        self.state["shutdown_ms"] = record.number("ShutdownTime")

    def _profile_start(self, record: WinEvent, *_: object) -> None:
        self.state["logon"] = {"start": record.time_created.isoformat()}

    def _profile_end(self, record: WinEvent, *_: object) -> None:
        if self.state.get("logon"):
            self.state["logon"]["profile_end"] = record.time_created.isoformat()

    def _group_policy(self, record: WinEvent, *_: object) -> None:
        seconds = record.number("PolicyElaspedTimeInSeconds")
        if self.state.get("logon") and record.named.get("IsMachine", "0") == "0" and seconds:
            self.state["logon"]["group_policy_ms"] = seconds * 1000
            self.state["logon"]["group_policy_end"] = record.time_created.isoformat()

    def _logoff(self, record: WinEvent, *_: object) -> None:
        """Winlogon 7002: a pending sign-in was abandoned and must not pair with a later 7001."""
        self.state["logon"] = None

    def _winlogon(self, record: WinEvent, *_: object) -> dict | None:
        pending, self.state["logon"] = self.state.get("logon"), None
        if not pending:  # no User Profile Service 1 before it: no start to measure from
            self.unparsed.add(
                "winlogon-7001-without-profile-start",
                f"Winlogon 7001 record {record.record_id} TSId {record.named.get('TSId', '?')}",
            )
            return None
        start = datetime.fromisoformat(pending["start"])
        profile_end = pending.get("profile_end")
        policy_end = pending.get("group_policy_end")
        last_phase_end = max(
            (datetime.fromisoformat(t) for t in (profile_end, policy_end) if t), default=None
        )
        envelope = self._envelope(record)
        envelope["event_time"] = start
        return telemetry_event(
            "logon",
            **envelope,
            logon_duration_ms=_ms(record.time_created - start),
            profile_load_duration_ms=_ms(datetime.fromisoformat(profile_end) - start)
            if profile_end
            else None,
            group_policy_duration_ms=pending.get("group_policy_ms"),
            shell_start_duration_ms=_ms(record.time_created - last_phase_end)
            if last_phase_end
            else None,
        )

    def _session(self, record: WinEvent, *_: object) -> dict | None:
        """Security 4624 / 4800 / 4801 / 4779 / 4778 / 4647 / 4634: see ``sessions.py``.
        The user is the record's TargetUserName (AccountName on 4778 and 4779),
        pseudonymized; no name leaves the endpoint."""
        change = {
            4624: self.sessions.started,
            4800: self.sessions.locked,
            4801: self.sessions.unlocked,
            4779: self.sessions.locked,
            4778: self.sessions.unlocked,
        }.get(record.event_id, self.sessions.ended)
        fields = change(record)
        if fields is None:
            return None
        user = record.named.get("TargetUserName", record.named.get("AccountName"))
        envelope = self._envelope(record, user)
        return telemetry_event("session", **envelope, **fields)

    def _vpn(self, record: WinEvent, *_: object) -> dict:
        connection_id = record.positional[0] if record.positional else ""
        gateway = record.positional[2] if len(record.positional) > 2 else None
        code = _int(record.positional[3]) if len(record.positional) > 3 else None
        envelope = self._envelope(record)
        if record.event_id == 20225:
            self.state["vpn"][connection_id] = record.time_created.isoformat()
            return telemetry_event(
                "vpn_session", **envelope, state="connected", vpn_gateway=_short(gateway)
            )
        if record.event_id == 20227:
            return telemetry_event(
                "vpn_session",
                **envelope,
                state="failed",
                error_code=code,
                vpn_gateway=_short(gateway),
            )
        started = self.state["vpn"].pop(connection_id, None)
        return telemetry_event(
            "vpn_session",
            **envelope,
            state="disconnected" if code == RAS_USER_DISCONNECTED else "dropped",
            reason=f"RAS reason code {code}" if code is not None else None,
            error_code=code,
            session_duration_s=int(
                (record.time_created - datetime.fromisoformat(started)).total_seconds()
            )
            if started
            else None,
            vpn_gateway=_short(gateway),
        )

    def _printed(self, record: WinEvent, *_: object) -> dict:
        return telemetry_event(
            "print_job",
            **self._envelope(record, record.named.get("Param3")),
            outcome="printed",
            printer=_short(record.named.get("Param5")) or "unknown",
            page_count=record.number("Param8"),
        )

    def _print_failed(self, record: WinEvent, *_: object) -> dict | None:
        """372 (Admin): failed to print, its 11 parameters in the order of its message ("The
        document %1, owned by %2, failed to print on printer %3. ... Data type: %4. Size of
        the spool file in bytes: %5. Number of bytes printed: %6. Total number of pages in
        the document: %7. Number of pages printed: %8. Client computer: %9. Win32 error code
        returned by the print processor: %10. %11"); 842: the print processor's Win32
        error, if not 0; 805 (rendering diagnostics, no printer name) only when logged as
        error or warning."""
        named = record.named
        owner = None
        if record.event_id == 372:
            printer, error = named.get("Param3"), _win32_error(named.get("Param10"))
            owner = named.get("Param2")
        elif record.event_id == 842:
            printer, error = named.get("Printer"), _win32_error(named.get("ErrorCode"))
            if not error:
                return None
        else:
            if record.level > 3:
                return None
            printer, error = None, None
        return telemetry_event(
            "print_job",
            **self._envelope(record, owner),
            outcome="failed",
            printer=_short(printer) or "unknown",
            error_code=error,
        )

    def _crash(self, record: WinEvent, *_: object) -> dict:
        named = record.named
        values = list(record.positional)
        return telemetry_event(
            "app_responsiveness",
            **self._envelope(record),
            kind="crash",
            app_name=_short(named.get("AppName") or (values[0] if values else "")) or "unknown",
            app_version=_short(named.get("AppVersion") or (values[1] if len(values) > 1 else "")),
            exception_code=_short(named.get("ExceptionCode") or _at(values, 6)),
        )

    def _hang(self, record: WinEvent, *_: object) -> dict:
        values = list(record.positional)
        return telemetry_event(
            "app_responsiveness",
            **self._envelope(record),
            kind="hang",
            app_name=_short(_at(values, 0)) or "unknown",
            app_version=_short(_at(values, 1)),
        )


Handler = Callable[..., dict | None]
#: Every record read, as (channel, event ID) -> (provider, handler). The System and
#: Application channels carry the same IDs for other providers (the Service Control
#: Manager logs 7001/7002 too): where a provider is named, a record counts only from it.
#: The handler (a method of :class:`WindowsEventMapper`) turns the record into an event or pending
#: state; None: the record is only context for another's method (the boot's degrading
#: components 101-110, the Defender scans 1000/1001 overlapping it).
RECORDS: dict[tuple[str, int], tuple[str | None, Handler | None]] = {
    (DIAGNOSTICS, 100): (None, WindowsEventMapper._boot),
    **{(DIAGNOSTICS, event_id): (None, None) for event_id in range(101, 111)},
    (DIAGNOSTICS, 200): (None, WindowsEventMapper._shutdown),
    (GROUP_POLICY, 8001): (None, WindowsEventMapper._group_policy),
    (DEFENDER, 1000): (None, None),
    (DEFENDER, 1001): (None, None),
    ("Application", 1): (PROFILES, WindowsEventMapper._profile_start),
    ("Application", 2): (PROFILES, WindowsEventMapper._profile_end),
    ("Application", 1000): ("Application Error", WindowsEventMapper._crash),
    ("Application", 1002): ("Application Hang", WindowsEventMapper._hang),
    **{
        ("Application", event_id): ("RasClient", WindowsEventMapper._vpn)
        for event_id in (20225, 20226, 20227)
    },
    ("System", 7001): (WINLOGON, WindowsEventMapper._winlogon),
    ("System", 7002): (WINLOGON, WindowsEventMapper._logoff),
    (PRINT_ADMIN, 372): (None, WindowsEventMapper._print_failed),
    (PRINT_OPERATIONAL, 307): (None, WindowsEventMapper._printed),
    (PRINT_OPERATIONAL, 805): (None, WindowsEventMapper._print_failed),
    (PRINT_OPERATIONAL, 842): (None, WindowsEventMapper._print_failed),
    **{
        (SECURITY, event_id): (AUDITING, WindowsEventMapper._session)
        for event_id in (4624, 4800, 4801, 4779, 4778, 4647, 4634)
    },
}
#: The event IDs of :data:`RECORDS` per channel, in the table's order (one wevtutil query each).
EVENT_IDS_BY_CHANNEL: dict[str, tuple[int, ...]] = {
    channel: tuple(event_id for named, event_id in RECORDS if named == channel)
    for channel in dict.fromkeys(channel for channel, _ in RECORDS)
}


def _boot_start(record: WinEvent, boot_ms: int) -> datetime:
    """When the boot began: ``BootEndTime`` minus ``BootTime``. Not ``BootStartTime``: with
    Fast Startup it is when the hibernated session began, often hours before a boot of
    seconds. Without BootEndTime, the record's time minus BootTime."""
    end_text = record.named.get("BootEndTime")
    end = parse_windows_time(end_text) if end_text else record.time_created
    return end - timedelta(milliseconds=boot_ms)


def _defender_scans(records: list[WinEvent]) -> list[tuple[datetime, datetime | None]]:
    """(start, end) of each Defender scan: 1000 started, 1001 finished, paired by Scan ID."""
    starts = {
        r.named.get("Scan ID", ""): r.time_created
        for r in records
        if r.channel == DEFENDER and r.event_id == 1000
    }
    ends = {
        r.named.get("Scan ID", ""): r.time_created
        for r in records
        if r.channel == DEFENDER and r.event_id == 1001
    }
    return [(start, ends.get(scan_id)) for scan_id, start in starts.items()]


def _overlap_ms(
    scans: list[tuple[datetime, datetime | None]], boot_start: datetime, boot_end: datetime
) -> int | None:
    total = 0
    for start, end in scans:
        overlap = min(end or boot_end, boot_end) - max(start, boot_start)
        total += max(0, _ms(overlap))
    return total or None


def _component_name(record: WinEvent) -> str:
    named = record.named
    return _short(named.get("FriendlyName") or named.get("Name") or "") or ""


def _ms(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))


def _win32_error(text: str | None) -> int | None:
    """A Win32 error code as the print spooler logs it: ``0x8007000B`` or decimal."""
    text = (text or "").strip().lower()
    if text.startswith("0x"):
        return int(text, 16)
    return _int(text)


def _int(text: str | None) -> int | None:
    return int(text) if text and text.strip().lstrip("-").isdigit() else None


def _at(values: list[str], index: int) -> str | None:
    return values[index] if len(values) > index else None


def _short(text: str | None) -> str | None:
    text = (text or "").strip()
    return text[:MAX_TEXT] if text else None
