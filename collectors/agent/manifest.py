"""``xlapulse collector manifest``: what this collector sends, in plain language.

Reads: the effective configuration (which sources run on this OS, how often) and its
checked privacy switches (which events and fields are switched off). Writes: text for
an employee or a works council; no secret and no identity appears in it.
"""

from __future__ import annotations

import sys

from xlapulse.collectors.agent.config import CollectorConfig
from xlapulse.collectors.agent.handoff import enabled_sources
from xlapulse.collectors.agent.privacy_decisions import PrivacyDecisions
from xlapulse.collectors.agent.privacy_filter import TELEMETRY_MODELS
from xlapulse.collectors.sources import SOURCES

EVENT_PURPOSE = {
    "boot": "how long the computer took to start, and what slowed it down",
    "logon": "how long signing in took, split into its phases",
    "vpn_session": "when the VPN connected, dropped or failed, and why",
    "app_responsiveness": "which application crashed or stopped responding",
    "call_quality": "the network quality of Teams and Zoom call streams",
    "print_job": "whether a print job printed or failed, and on which printer",
    "synthetic_probe": "how fast the work applications answered a test request",
    "session": (
        "when you signed in, locked, unlocked and signed out (only to count the hours the "
        "computer was in use, so problems can be counted per hour of use)"
    ),
}
FIELD_WORDS = {
    "event_id": "a random-looking number that identifies the record",
    "event_time": "when it happened",
    "user_id": "your pseudonym (a keyed code, not your name)",
    "device_id": "the computer's pseudonym (a keyed code, not its name)",
    "schema_version": "the format version",
    "event_type": "the kind of record",
    "session_id": "the operating system's number for the sign-in session (not your name)",
    "active_duration_s": "how long it was unlocked before this lock or sign-out, in seconds",
}


def render_manifest(
    config: CollectorConfig, privacy: PrivacyDecisions, platform: str = sys.platform
) -> str:
    intervals = enabled_sources(config, platform)
    lines = [
        "What the xlapulse collector on this computer sends",
        "=" * 50,
        "",
        "It measures how your IT feels to use: start-up, sign-in, VPN, applications,",
        "calls and printing. It does NOT read your files, e-mail, chats, web history,",
        "keystrokes or screen, and it does not record what you type or look at.",
        "",
        "Your user name and computer name are replaced on this computer by a code",
        "(a keyed HMAC pseudonym) before anything is sent. The key is held by your IT",
        "department; without it the code cannot be turned back into a name. Results are",
        "shown only for groups of at least 5 people.",
        "",
        f"Destination: Kafka at {config.kafka.bootstrap_servers} ({_transport(config)}).",
        "While that is unreachable, records wait in a local spool of at most "
        f"{config.spool.max_bytes // (1024 * 1024)} MB; the oldest are deleted first.",
        "",
        "What is read, and how often:",
    ]
    if not intervals:
        lines.append("  nothing: no source is switched on for this operating system.")
    for name, interval_s in intervals.items():
        lines.append(f"  - {SOURCES[name].source.description}: every {_every(interval_s)}")
    lines += ["", "What each record contains:"]
    for event_type in _event_types(intervals):
        if not privacy.is_sent(event_type):
            lines.append(f"  [{event_type}] switched off: never sent.")
            continue
        lines.append(f"  [{event_type}] {EVENT_PURPOSE[event_type]}:")
        lines.extend(_field_lines(event_type, privacy))
    lines += ["", "Switched off by your organisation:"]
    switched = config.privacy.disabled_events + config.privacy.disabled_fields
    lines.append("  " + (", ".join(switched) if switched else "nothing"))
    return "\n".join(lines) + "\n"


def _event_types(intervals: dict[str, int]) -> list[str]:
    found: list[str] = []
    for name in intervals:
        for event_type in SOURCES[name].source.event_types:
            if event_type not in found:
                found.append(event_type)
    return found


def _field_lines(event_type: str, privacy: PrivacyDecisions) -> list[str]:
    lines = []
    for name in TELEMETRY_MODELS[event_type].model_fields:
        if name in ("schema_version", "event_type"):
            continue
        words = FIELD_WORDS.get(name) or _words_of(name)
        state = "" if privacy.is_sent(event_type, name) else "  <- switched off"
        lines.append(f"      {name}: {words}{state}")
    return lines


def _words_of(name: str) -> str:
    """``boot_duration_ms`` -> ``boot duration (milliseconds)``; ``_s`` -> ``(seconds)``."""
    words = name.replace("_", " ").replace(" ms", " (milliseconds)")
    return words.replace(" s", " (seconds)") if name.endswith("_s") else words


def _every(seconds: int) -> str:
    return (
        f"{seconds // 60} minutes" if seconds % 60 == 0 and seconds >= 120 else f"{seconds} seconds"
    )


def _transport(config: CollectorConfig) -> str:
    return "encrypted with TLS" if "SSL" in config.kafka.security_protocol else "NOT encrypted"
