"""Collector inputs, one module per source, registered by name (like telegraf's inputs).

Each entry of :data:`SOURCES` names a source (its settings, one TOML table
``[sources.<name>]``, are in ``settings.py``), the module that implements it and the
platforms it runs on. A source's module is imported only when the source is used
(built, or described by the manifest), so the daemon does not carry the code of the
sources of other operating systems. Tests build the source classes directly with a
fake command runner or a path to captured OS output.

This module imports no pydantic: the collector service (``agent/runtime.py``) builds
its sources from settings that ``xlapulse collector run`` validated, given to them as
:func:`settings_view` attribute views (see ``settings.py``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from xlapulse.collectors.sources.base import Identity, Source


@dataclass(frozen=True)
class SourceSpec:
    """How to configure and build one named source."""

    name: str
    class_name: str
    platforms: tuple[str, ...]

    @property
    def source(self) -> type[Source]:
        """The source class (imports ``xlapulse.collectors.sources.<name>``)."""
        module = importlib.import_module(f"{__name__}.{self.name}")
        return getattr(module, self.class_name)

    def build(self, source_settings: Any, identity: Identity) -> Source:
        module = importlib.import_module(f"{__name__}.{self.name}")
        return module.build(source_settings, identity)


SOURCES: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        SourceSpec(
            "windows_eventlog",
            "WindowsEventLogSource",
            ("win32",),
        ),
        SourceSpec("systemd_boot", "SystemdBootSource", ("linux",)),
        SourceSpec("journald", "JournaldSource", ("linux",)),
        SourceSpec("wireguard", "WireguardSource", ("linux",)),
        SourceSpec(
            "cups_error_log",
            "CupsErrorLogSource",
            ("linux", "darwin"),
        ),
        SourceSpec(
            "macos_unified_log",
            "MacosUnifiedLogSource",
            ("darwin",),
        ),
        SourceSpec(
            "synthetic_probe",
            "SyntheticProbeSource",
            ("win32", "linux", "darwin"),
        ),
        SourceSpec(
            "graph_call_records",
            "GraphCallRecordsSource",
            ("win32", "linux", "darwin"),
        ),
    )
}


def build_source(name: str, source_settings: Any, identity: Identity) -> Source:
    """The source registered as ``name``, configured with ``source_settings``.

    ``source_settings`` is the validated settings model or its :func:`settings_view`.
    """
    return SOURCES[name].build(source_settings, identity)


def settings_view(values: Any) -> Any:
    """Validated settings (``model_dump(mode="json")``) readable as attributes, like the model."""
    if isinstance(values, dict):
        return SimpleNamespace(**{key: settings_view(value) for key, value in values.items()})
    if isinstance(values, list):
        return [settings_view(value) for value in values]
    return values
