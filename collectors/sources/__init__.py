"""Collector inputs, one folder per source, registered by name (like telegraf's inputs).

Each source's folder ``<name>/`` holds its code (``source.py``, and the mappers only it
uses), its TOML table ``[sources.<name>]`` (``settings.py``), a README listing the events
and fields it emits with example output, and ``sample.toml``, its part of the sample
configuration. Each entry of :data:`SOURCES` names a source, its class, its settings
class and the platforms it runs on; ``agent/config.py``, the sample configuration and
the manifest are built from it. A source's code is imported only when the source is
used (built, or described by the manifest), so the daemon does not carry the code of
the sources of other operating systems. Shared here: ``base.py`` (the interface),
``unparsed.py`` (lines counted, not dropped), ``logfile.py`` (a log file followed
between rounds), ``vpn_session.py`` (the VPN clients' vpn_session event),
``cups_jobs.py`` (cupsd's job messages, read by three sources), ``cups_queues.py``
(each CUPS queue's print server, from ``lpstat -v``). Tests build the source classes
directly with a fake command runner or a path to captured OS output.

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
    settings_class: str
    platforms: tuple[str, ...]

    @property
    def source(self) -> type[Source]:
        """The source class (imports ``xlapulse.collectors.sources.<name>.source``)."""
        return getattr(self._module(), self.class_name)

    def build(self, source_settings: Any, identity: Identity) -> Source:
        return self._module().build(source_settings, identity)

    def _module(self) -> Any:
        return importlib.import_module(f"{__name__}.{self.name}.source")


SOURCES: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        SourceSpec(
            "windows_eventlog", "WindowsEventLogSource", "WindowsEventLogSettings", ("win32",)
        ),
        SourceSpec("systemd_boot", "SystemdBootSource", "SystemdBootSettings", ("linux",)),
        SourceSpec("journald", "JournaldSource", "JournaldSettings", ("linux",)),
        SourceSpec("wireguard", "WireguardSource", "WireguardSettings", ("linux", "win32")),
        SourceSpec(
            "cisco_secure_client",
            "CiscoSecureClientSource",
            "CiscoSecureClientSettings",
            ("linux",),
        ),
        SourceSpec("forticlient", "FortiClientSource", "FortiClientSettings", ("win32", "linux")),
        SourceSpec(
            "globalprotect",
            "GlobalProtectSource",
            "GlobalProtectSettings",
            ("win32", "linux", "darwin"),
        ),
        SourceSpec(
            "cups_error_log", "CupsErrorLogSource", "CupsErrorLogSettings", ("linux", "darwin")
        ),
        SourceSpec(
            "macos_unified_log", "MacosUnifiedLogSource", "MacosUnifiedLogSettings", ("darwin",)
        ),
        SourceSpec(
            "macos_console_users",
            "MacosConsoleUsersSource",
            "MacosConsoleUsersSettings",
            ("darwin",),
        ),
        SourceSpec(
            "synthetic_probe",
            "SyntheticProbeSource",
            "SyntheticProbeSettings",
            ("win32", "linux", "darwin"),
        ),
        SourceSpec(
            "graph_call_records",
            "GraphCallRecordsSource",
            "GraphCallRecordsSettings",
            ("win32", "linux", "darwin"),
        ),
        SourceSpec("zoom_qos", "ZoomQosSource", "ZoomQosSettings", ("win32", "linux", "darwin")),
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
