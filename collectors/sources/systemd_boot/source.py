"""systemd boot source (Linux): how long the last start-up took, once per boot.

Reads: ``systemd-analyze time`` (and ``systemd-analyze blame`` for a slow boot),
``/proc/sys/kernel/random/boot_id`` and the boot time (``btime``) in ``/proc/stat``.
Writes: one boot event per boot id; the bookmark is the last boot id reported.

``Startup finished in 2.584s (kernel) + 19.176s (initrd) + 47.847s (userspace) =
1min 9.608s`` gives the total (boot_duration_ms) and the kernel+initrd+userspace path
(main_path_duration_ms, without firmware and loader). A boot above 60 s is a
degradation (the Windows Diagnostics-Performance threshold); then the slowest units
of ``blame`` are named as degrading components.

No "Startup finished" line yet (a boot still starting) raises ``SourceError``: the boot
is read again next round. Once the line is there, a boot the source cannot report
(spans out of the contract's range, a broken ``blame``) is counted as ``rejected
(...)`` (``base.one_record``) and its boot id bookmarked: it is not read again.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from xlapulse.collectors.contract.wire import telemetry_event
from xlapulse.collectors.sources.base import (
    Collected,
    CommandRunner,
    Identity,
    Source,
    SourceError,
    one_record,
    run_command,
)

if TYPE_CHECKING:
    from xlapulse.collectors.sources.systemd_boot.settings import SystemdBootSettings

# A number starts only where a run of digits starts (the look-behinds), so the patterns
# run in linear time: a 5000-digit number would otherwise be tried from each digit.
SPAN = r"(?:(?<![\d.])\d+(?:\.\d+)?(?:h|min|s|ms|us|µs)\s?)+"
PHASE = re.compile(rf"(?P<span>{SPAN})\((?P<phase>\w+)\)")
TOTAL = re.compile(rf"=\s*(?P<span>{SPAN})")
SPAN_PART = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(h|min|ms|us|µs|s)")
UNIT_MS = {"h": 3_600_000, "min": 60_000, "s": 1000, "ms": 1, "us": 0.001, "µs": 0.001}
DEGRADED_BOOT_MS = 60_000
SLOW_UNIT_MS = 5_000
MAX_COMPONENTS = 5


def parse_span_ms(span: str) -> int:
    """``1min 9.608s`` -> 69608."""
    total = 0.0
    for number, unit in SPAN_PART.findall(span):
        total += float(number) * UNIT_MS[unit]
    return round(total)


def parse_analyze_time(text: str) -> dict[str, int]:
    """Phases in ms, e.g. ``{"kernel": 2584, "userspace": 47847, "total": 69608}``."""
    first = next((line for line in text.splitlines() if "Startup finished" in line), None)
    if first is None:
        raise SourceError(
            "systemd-analyze time gave no 'Startup finished' line (is the boot finished?)"
        )
    phases = {m["phase"]: parse_span_ms(m["span"]) for m in PHASE.finditer(first)}
    total = TOTAL.search(first)
    if total is None:
        raise SourceError("no total in systemd-analyze's 'Startup finished' line")
    phases["total"] = parse_span_ms(total["span"])
    return phases


def parse_blame(text: str) -> list[tuple[str, int]]:
    """``systemd-analyze blame`` lines as (unit, ms), slowest first."""
    units = []
    for line in text.splitlines():
        parts = line.strip().rsplit(" ", 1)
        if len(parts) == 2 and parts[1].endswith((".service", ".mount", ".device", ".target")):
            units.append((parts[1], parse_span_ms(parts[0])))
    return sorted(units, key=lambda unit: unit[1], reverse=True)


class SystemdBootSource(Source):
    """Reports the current boot once."""

    name = "systemd_boot"
    event_types = ("boot",)
    description = "systemd-analyze: duration of each boot, slow units when degraded"

    def __init__(self, settings: SystemdBootSettings, identity: Identity, runner: CommandRunner):
        self.settings = settings
        self.identity = identity
        self.runner = runner
        self.proc = Path(settings.proc)

    def collect(self, bookmark: str | None) -> Collected:
        boot_id = (self.proc / "sys/kernel/random/boot_id").read_text().strip()
        if boot_id == bookmark:
            return Collected(bookmark=bookmark)
        time_text = self.runner([self.settings.systemd_analyze, "time"], 30.0)
        if not any("Startup finished" in line for line in time_text.splitlines()):
            parse_analyze_time(time_text)  # raises: the boot is not finished, read it again
        collected = Collected(bookmark=boot_id, unparsed=self.identity.unparsed())
        with one_record(collected.unparsed, f"boot {boot_id}"):
            collected.events.append(self._boot_event(boot_id, parse_analyze_time(time_text)))
        return collected

    def _boot_event(self, boot_id: str, phases: dict[str, int]) -> dict:
        main_path = sum(phases.get(name, 0) for name in ("kernel", "initrd", "userspace"))
        degraded = phases["total"] > DEGRADED_BOOT_MS
        components: list[str] = []
        if degraded:
            blame = parse_blame(self.runner([self.settings.systemd_analyze, "blame"], 30.0))
            components = [unit for unit, ms in blame if ms >= SLOW_UNIT_MS][:MAX_COMPONENTS]
        return telemetry_event(
            "boot",
            event_id=self.identity.event_id("systemd-boot", boot_id),
            event_time=self._boot_time(),
            user_id=self.identity.user_id,
            device_id=self.identity.device_id,
            boot_duration_ms=phases["total"],
            main_path_duration_ms=main_path or None,
            is_degradation=degraded,
            degrading_components=components,
        )

    def _boot_time(self) -> datetime:
        for line in (self.proc / "stat").read_text().splitlines():
            if line.startswith("btime "):
                return datetime.fromtimestamp(int(line.split()[1]), UTC)
        raise SourceError(f"no btime in {self.proc / 'stat'}")


def build(settings: SystemdBootSettings, identity: Identity) -> SystemdBootSource:
    return SystemdBootSource(settings, identity, run_command)
