"""Collector inputs, one module per source, registered by name (like telegraf's inputs).

Each entry of :data:`SOURCES` names a source, its settings model (one TOML table
``[sources.<name>]``) and a ``build(settings, identity)`` factory. The agent builds
the enabled ones; tests build the source classes directly with a fake command runner
or a path to captured OS output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from xlapulse.collectors.sources import (
    cups_error_log,
    graph_call_records,
    journald,
    macos_unified_log,
    synthetic_probe,
    systemd_boot,
    windows_eventlog,
)
from xlapulse.collectors.sources.base import Identity, Source


@dataclass(frozen=True)
class SourceSpec:
    """How to configure and build one named source."""

    name: str
    settings: type[BaseModel]
    source: type[Source]
    build: Callable[..., Source]
    platforms: tuple[str, ...]


SOURCES: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        SourceSpec(
            "windows_eventlog",
            windows_eventlog.WindowsEventLogSettings,
            windows_eventlog.WindowsEventLogSource,
            windows_eventlog.build,
            ("win32",),
        ),
        SourceSpec(
            "systemd_boot",
            systemd_boot.SystemdBootSettings,
            systemd_boot.SystemdBootSource,
            systemd_boot.build,
            ("linux",),
        ),
        SourceSpec(
            "journald",
            journald.JournaldSettings,
            journald.JournaldSource,
            journald.build,
            ("linux",),
        ),
        SourceSpec(
            "cups_error_log",
            cups_error_log.CupsErrorLogSettings,
            cups_error_log.CupsErrorLogSource,
            cups_error_log.build,
            ("linux", "darwin"),
        ),
        SourceSpec(
            "macos_unified_log",
            macos_unified_log.MacosUnifiedLogSettings,
            macos_unified_log.MacosUnifiedLogSource,
            macos_unified_log.build,
            ("darwin",),
        ),
        SourceSpec(
            "synthetic_probe",
            synthetic_probe.SyntheticProbeSettings,
            synthetic_probe.SyntheticProbeSource,
            synthetic_probe.build,
            ("win32", "linux", "darwin"),
        ),
        SourceSpec(
            "graph_call_records",
            graph_call_records.GraphCallRecordsSettings,
            graph_call_records.GraphCallRecordsSource,
            graph_call_records.build,
            ("win32", "linux", "darwin"),
        ),
    )
}


def build_source(name: str, settings: BaseModel, identity: Identity) -> Source:
    """The source registered as ``name``, configured with ``settings``."""
    return SOURCES[name].build(settings, identity)
