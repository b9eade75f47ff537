"""Who the simulated people are: personas, sites and the apps they use.

Pure data; reads and writes nothing. The figures are plausible defaults for a
Dutch office fleet, not measurements; the README of this package lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

# persona -> (share of the fleet, median logon seconds, department)
PERSONA_PROFILES: dict[str, tuple[float, float, str]] = {
    "knowledge_worker": (0.45, 22.0, "finance"),
    "call_centre_agent": (0.20, 18.0, "customer_service"),
    "field_worker": (0.15, 35.0, "operations"),
    "developer": (0.15, 25.0, "engineering"),
    "executive": (0.05, 20.0, "board"),
}
SITES = ("amsterdam", "rotterdam", "utrecht", "eindhoven")
SITE_CODES = {"amsterdam": "ams", "rotterdam": "rtm", "utrecht": "utr", "eindhoven": "ehv"}


@dataclass(frozen=True)
class App:
    """An application a persona works in, and the back end its probes time."""

    name: str
    version: str
    probe_host: str
    transactions: tuple[str, ...]
    slow_transaction_ms: int  # median duration of a transaction the user notices as slow
    backend_ms: int  # median server time to first byte of a probe


APPS: dict[str, App] = {
    app.name: app
    for app in (
        App("outlook", "16.0.18129", "outlook.office365.com", ("open_mail", "search"), 4_000, 120),
        App("teams", "24295.605", "teams.microsoft.com", ("join_meeting", "open_chat"), 5_000, 90),
        App("excel", "16.0.18129", "sharepoint.corp.example", ("open_workbook",), 6_000, 150),
        App("erp", "7.70", "erp.corp.example", ("post_invoice", "run_report"), 8_000, 300),
        App("crm", "9.2.24", "crm.corp.example", ("open_customer", "save_case"), 3_000, 180),
        App("ide", "17.12", "git.corp.example", ("build", "open_solution"), 15_000, 200),
        App("field_service", "5.3.1", "fieldservice.corp.example", ("sync_orders",), 6_000, 250),
        App("board_portal", "3.8", "board.corp.example", ("open_pack",), 4_000, 220),
    )
}


@dataclass(frozen=True)
class PersonaBehaviour:
    """How one persona's workday goes; rates are per person per workday unless named _per_hour."""

    apps: tuple[str, ...]
    remote_day_share: float  # share of workdays on VPN from home or the road
    start_local_h: float  # mean local start (the logon storm is the sum of these)
    start_spread_min: float
    workday_h: float
    calls_per_day: float
    call_minutes: tuple[float, float]
    video_share: float  # share of calls with video streams
    prints_per_office_day: float
    slow_transactions_per_app_hour: float
    antivirus_boot_scan_share: float  # share of devices with a start-up scan configured


BEHAVIOURS: dict[str, PersonaBehaviour] = {
    "knowledge_worker": PersonaBehaviour(
        ("outlook", "excel", "erp", "teams"), 0.35, 9.0, 20, 8.5, 3, (10, 45), 0.5, 1.5, 0.15, 0.3
    ),
    "call_centre_agent": PersonaBehaviour(
        ("crm", "outlook", "teams"), 0.10, 8.9, 12, 8.0, 28, (2, 9), 0.0, 0.3, 0.25, 0.2
    ),
    "field_worker": PersonaBehaviour(
        ("field_service", "outlook", "teams"), 0.85, 8.7, 25, 8.0, 2, (5, 20), 0.2, 0.5, 0.2, 0.2
    ),
    "developer": PersonaBehaviour(
        ("ide", "outlook", "teams"), 0.50, 9.2, 25, 8.5, 2, (15, 45), 0.6, 0.1, 0.15, 0.4
    ),
    "executive": PersonaBehaviour(
        ("outlook", "board_portal", "teams"), 0.40, 8.8, 20, 9.5, 6, (20, 60), 0.7, 1.0, 0.1, 0.2
    ),
}

# ticket category -> (first assignment group, default priority)
TICKET_CATEGORIES: dict[str, tuple[str, int]] = {
    "password_reset": ("identity", 4),
    "access_request": ("identity", 4),
    "hardware_request": ("workplace", 4),
    "how_to": ("service_desk", 5),
    "logon": ("workplace", 3),
    "boot": ("workplace", 4),
    "vpn": ("network", 3),
    "application": ("applications", 3),
    "call_quality": ("network", 3),
    "printing": ("print", 3),
}
NO_SIGNAL_CATEGORIES = ("password_reset", "access_request", "hardware_request", "how_to")
ASSIGNMENT_GROUPS = ("service_desk", "identity", "workplace", "network", "applications", "print")


@dataclass(frozen=True)
class Endpoint:
    """One simulated workplace: a pseudonymous user on one device."""

    user_id: str
    device_id: str
    persona: str
    site: str
    department: str
    index: int = 0
    antivirus_boot_scan: bool = False  # a start-up scan runs on this device at every boot
    ticket_propensity: float = 1.0  # 0 = a silent sufferer, who never files a ticket

    @property
    def behaviour(self) -> PersonaBehaviour:
        return BEHAVIOURS[self.persona]
