"""The phases of boots and logons, and the ``phase`` records that break them down.

Reads a boot or logon event's phase durations (fields the contract already carries and
the collector manifest lists: Windows Diagnostics-Performance's main path, post-boot,
profile processing and Explorer start, the antivirus scan at start-up; a logon's group
policy, profile load and shell start); returns them for the sample. From a cell's sums
it returns the records: per touch point and phase, ``mean_s`` (the phase's mean over the
samples that report it) and ``share_of_duration`` (the phase's total over the total
duration of the touch point's timed samples: the share of boot time spent in antivirus
scans, of logon time in group policy).

k-anonymity: a phase is published when at least five distinct people reported it. No
count is published (a count beside the touch point's would tell how many samples, and so
how few people, lacked the phase).
"""

from __future__ import annotations

from xlapulse.collectors.contract.events import BootEvent, LogonEvent, TelemetryEvent
from xlapulse.streams.scoring.cells import PHASE_TOTAL
from xlapulse.streams.scoring.published import MIN_USERS_PER_AGGREGATE, PHASE, Record

#: event field -> phase name, per event type
BOOT_PHASES = {
    "main_path_duration_ms": "main_path",
    "post_boot_duration_ms": "post_boot",
    "profile_processing_duration_ms": "profile_processing",
    "explorer_init_duration_ms": "explorer_init",
    "antivirus_scan_duration_ms": "antivirus_scan",
}
LOGON_PHASES = {
    "group_policy_duration_ms": "group_policy",
    "profile_load_duration_ms": "profile_load",
    "shell_start_duration_ms": "shell_start",
}


def sample_phases(event: TelemetryEvent) -> tuple[tuple[str, int], ...]:
    """(phase, ms) of every phase the boot or logon reports; () for other events."""
    if isinstance(event, BootEvent):
        fields = BOOT_PHASES
    elif isinstance(event, LogonEvent):
        fields = LOGON_PHASES
    else:
        return ()
    return tuple(
        (phase, value) for field, phase in fields.items() if (value := getattr(event, field))
    )


def phase_records(
    phase_sums: dict[str, list[float]],
    phase_users: dict[str, list[str]],
    tags: dict[str, str],
    time_ns: int,
) -> list[Record]:
    """The cell's phase records (see the module docstring)."""
    records = []
    for key, users in sorted(phase_users.items()):
        if len(users) < MIN_USERS_PER_AGGREGATE:
            continue
        touch_point, phase = key.split("|")
        total_ms, count = phase_sums[key]
        timed_ms, _ = phase_sums.get(f"{touch_point}|{PHASE_TOTAL}", (0.0, 0))
        fields: dict[str, float | int | str] = {"mean_s": round(total_ms / count / 1000, 3)}
        if timed_ms:
            fields["share_of_duration"] = round(total_ms / timed_ms, 5)
        records.append(
            Record(PHASE, {**tags, "touch_point": touch_point, "phase": phase}, fields, time_ns)
        )
    return records
