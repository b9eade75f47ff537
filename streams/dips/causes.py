"""The likely cause of a dip, in words, from what its signals name.

Reads the causes and details the touch points attach to tolerating and frustrating
samples (``SampleObservation.cause`` / ``detail``): a logon phase, the antivirus scan
at start-up, a VPN gateway or error code, an app and its version, a printer or print
server, a broken call rule (``streams/scoring/details.py``). Writes nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

CAUSE_WORDS = {
    "group_policy": "group policy",
    "profile_load": "profile load",
    "shell_start": "shell start",
    "slow_logon": "slow logon",
    "antivirus_scan": "antivirus scan at start-up",
    "slow_boot": "slow boot",
    "vpn_dropped": "VPN drops",
    "vpn_failed": "VPN connection failures",
    "app_crash": "app crashes",
    "app_hang": "app hangs",
    "slow_app": "slow app transactions",
    "print_failed": "print failures",
    "slow_probe": "slow synthetic probes",
}


def cause_words(cause: str) -> str:
    if cause.startswith("poor_call:"):
        return f"poor calls ({cause.split(':', 1)[1].replace('_', ' ')})"
    return CAUSE_WORDS.get(cause, cause.replace("_", " "))


def likely_cause(
    causes: Counter[str],
    details: Counter[str],
    onset_ms: int,
    extra_duration_s: float | None,
) -> str | None:
    """E.g. "group policy +38 s since 08:10 UTC" or "VPN drops (gateway vpn-ams-2) since 09:02 UTC".

    The dominant cause and, when one detail names most (over half) of the bad samples,
    that detail, or else the first part of the details, when one names most: the
    gateway whatever the error codes, the print server whatever its printers
    ("print failures (print server srv01) since ..."). ``extra_duration_s`` is the mean
    duration above the reference.
    """
    if not causes:
        return None
    cause, _ = causes.most_common(1)[0]
    text = cause_words(cause)
    if extra_duration_s is not None and extra_duration_s >= 1:
        text += f" +{extra_duration_s:.0f} s"
    detail = _dominant(details) or _dominant(_first_parts(details))
    if detail is not None:
        text += f" ({detail})"
    since = datetime.fromtimestamp(onset_ms / 1000, UTC).strftime("%H:%M")
    return f"{text} since {since} UTC"


def _dominant(details: Counter[str]) -> str | None:
    """The detail over half of the samples name, if any."""
    if not details:
        return None
    detail, count = details.most_common(1)[0]
    return detail if count * 2 > details.total() else None


def _first_parts(details: Counter[str]) -> Counter[str]:
    """The details by their first part ("gateway vpn-ams-2" of "gateway vpn-ams-2, error
    809"); details of one part only are left out (they would repeat the exact check)."""
    parts: Counter[str] = Counter()
    for detail, count in details.items():
        if ", " in detail:
            parts[detail.split(", ", 1)[0]] += count
    return parts
