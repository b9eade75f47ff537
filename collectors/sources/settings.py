"""The configuration tables of the sources, ``[sources.<name>]``, apart from their code.

Reads and writes nothing. Kept in one small module so the collector validates every
table (unknown keys are errors, on every OS) while importing the code of only the
sources it runs: the Windows event log source with its XML parser is not loaded on
Linux, the macOS and Graph sources not on a laptop that does not enable them.

The collector service never imports this module (nor pydantic): ``xlapulse collector
run`` validates the tables here, and hands each enabled source's
``model_dump(mode="json")`` to the runtime, where the source reads it through
``sources.settings_view`` (attributes, as on the model). Why not stdlib dataclasses
validated with a TypeAdapter: every class would still be imported by the runtime (with
its Field metadata) for no use, and the settings keep one definition, here. What a source
may rely on is therefore the JSON form of a field: a URL is its normalised text
(``str(target.url)`` reads the same on the model and on the view).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class Table(BaseModel):
    """A TOML table (``[sources.<name>]`` here, the agent's others in agent/config.py): an
    unknown key is an error, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


class WindowsEventLogSettings(Table):
    """Windows event log channels (Diagnostics-Performance, GroupPolicy, Defender, ...)."""

    enabled: bool = Field(default=True, description="Read the Windows event log (Windows only).")
    interval_s: int = Field(default=60, ge=1, description="Seconds between two reads.")
    wevtutil: str = Field(default="wevtutil", description="Path of wevtutil.exe.")


class SystemdBootSettings(Table):
    """systemd-analyze (Linux)."""

    enabled: bool = Field(default=True, description="Report each boot's duration (Linux only).")
    interval_s: int = Field(default=300, ge=1, description="Seconds between two checks.")
    systemd_analyze: str = Field(default="systemd-analyze", description="Path of the tool.")
    proc: str = Field(default="/proc", description="Where procfs is mounted.")


class JournaldSettings(Table):
    """The systemd journal (Linux)."""

    enabled: bool = Field(default=True, description="Read the systemd journal (Linux only).")
    interval_s: int = Field(default=60, ge=1, description="Seconds between two reads.")
    journalctl: str = Field(default="journalctl", description="Path of journalctl.")
    journal_file: str = Field(
        default="", description="Read this journal file instead of the system journal."
    )
    networkmanager_conf_dir: str = Field(
        default="/etc/NetworkManager",
        description="NetworkManager's configuration, read by 'collector check' for its log level.",
    )


class CupsErrorLogSettings(Table):
    """The CUPS error_log file."""

    enabled: bool = Field(default=True, description="Read the CUPS error_log (Linux, macOS).")
    interval_s: int = Field(default=60, ge=1, description="Seconds between two reads.")
    path: str = Field(default="/var/log/cups/error_log", description="Where cupsd logs.")
    cupsd_conf: str = Field(
        default="/etc/cups/cupsd.conf",
        description="cupsd's configuration, read by 'collector check' for its LogLevel.",
    )


class WireguardSettings(Table):
    """WireGuard tunnels, read with wireguard-tools (Linux)."""

    enabled: bool = Field(
        default=False, description="Read WireGuard tunnels with 'wg show all dump' (needs root)."
    )
    interval_s: int = Field(default=60, ge=1, description="Seconds between two reads.")
    wg: str = Field(default="wg", description="Path of wg (wireguard-tools).")


class MacosUnifiedLogSettings(Table):
    """The macOS unified log."""

    enabled: bool = Field(default=True, description="Read the unified log (macOS only).")
    interval_s: int = Field(default=60, ge=1, description="Seconds between two reads.")
    log_command: str = Field(default="/usr/bin/log", description="Path of the log tool.")


class ProbeTarget(Table):
    """One app to probe."""

    app_name: str = Field(min_length=1, max_length=200)
    url: HttpUrl


class SyntheticProbeSettings(Table):
    """Timed HTTP transactions against the apps of the user's persona."""

    enabled: bool = Field(default=True, description="Probe the apps listed in targets.")
    interval_s: int = Field(default=300, ge=1, description="Seconds between two probe rounds.")
    timeout_s: float = Field(default=10.0, gt=0, le=60, description="Per-probe time limit.")
    ca_file: str = Field(default="", description="Extra CA bundle for internal apps (PEM).")
    targets: list[ProbeTarget] = Field(
        default_factory=list,
        description="Apps to probe: a list of { app_name, url } tables.",
    )


class GraphCallRecordsSettings(Table):
    """Microsoft Graph callRecords exported as JSON files (run centrally, not on laptops)."""

    enabled: bool = Field(default=False, description="Read Graph callRecord files (central only).")
    interval_s: int = Field(default=300, ge=1, description="Seconds between two folder scans.")
    folder: str = Field(default="", description="Folder that receives callRecord *.json files.")
    directory_file: str = Field(
        default="",
        description="CSV id,userPrincipalName to name participants known only by object id.",
    )
