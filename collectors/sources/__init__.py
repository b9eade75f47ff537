"""Collector inputs, one module per source, registered by name (like telegraf's inputs).

Each entry of :data:`SOURCES` names a source, its settings model (one TOML table
``[sources.<name>]``, in ``settings.py``), the module that implements it and the
platforms it runs on. A source's module is imported only when the source is used
(built, or described by the manifest), so the daemon does not carry the code of the
sources of other operating systems. Tests build the source classes directly with a
fake command runner or a path to captured OS output.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from pydantic import BaseModel

from xlapulse.collectors.sources import settings
from xlapulse.collectors.sources.base import Identity, Source


@dataclass(frozen=True)
class SourceSpec:
    """How to configure and build one named source."""

    name: str
    settings: type[BaseModel]
    class_name: str
    platforms: tuple[str, ...]

    @property
    def source(self) -> type[Source]:
        """The source class (imports ``xlapulse.collectors.sources.<name>``)."""
        module = importlib.import_module(f"{__name__}.{self.name}")
        return getattr(module, self.class_name)

    def build(self, source_settings: BaseModel, identity: Identity) -> Source:
        module = importlib.import_module(f"{__name__}.{self.name}")
        return module.build(source_settings, identity)


SOURCES: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        SourceSpec(
            "windows_eventlog",
            settings.WindowsEventLogSettings,
            "WindowsEventLogSource",
            ("win32",),
        ),
        SourceSpec("systemd_boot", settings.SystemdBootSettings, "SystemdBootSource", ("linux",)),
        SourceSpec("journald", settings.JournaldSettings, "JournaldSource", ("linux",)),
        SourceSpec(
            "cups_error_log",
            settings.CupsErrorLogSettings,
            "CupsErrorLogSource",
            ("linux", "darwin"),
        ),
        SourceSpec(
            "macos_unified_log",
            settings.MacosUnifiedLogSettings,
            "MacosUnifiedLogSource",
            ("darwin",),
        ),
        SourceSpec(
            "synthetic_probe",
            settings.SyntheticProbeSettings,
            "SyntheticProbeSource",
            ("win32", "linux", "darwin"),
        ),
        SourceSpec(
            "graph_call_records",
            settings.GraphCallRecordsSettings,
            "GraphCallRecordsSource",
            ("win32", "linux", "darwin"),
        ),
    )
}


def build_source(name: str, source_settings: BaseModel, identity: Identity) -> Source:
    """The source registered as ``name``, configured with ``source_settings``."""
    return SOURCES[name].build(source_settings, identity)
