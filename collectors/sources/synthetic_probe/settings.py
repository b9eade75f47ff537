"""The ``[sources.synthetic_probe]`` table, validated by ``xlapulse collector run``.

Reads and writes nothing; the collector service never imports it (see
``collectors/sources/settings.py``)."""

from __future__ import annotations

from pydantic import Field, HttpUrl

from xlapulse.collectors.sources.settings import Table


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
