"""Scenario files: the incidents a simulated week goes through, as validated YAML.

Reads: a scenario YAML file (``load_scenario``) or the packaged ones in
``scenarios/``. Writes nothing. Every mistake is reported with file:line:column
(``xlapulse.collectors.yamlfile``). Times are relative to the first simulated
day, in Europe/Amsterdam local time, so one file fits any week::

    name: gpo
    incidents:
      - kind: gpo_slow_logons
        name: gpo-change
        site: rotterdam
        start: {day: 2, at: "07:00"}
        duration_min: 600
        extra_logon_s: 70

Besides incidents the list holds the everyday noise of a calm week (``NOISE_KINDS``):
the 9:00 logon storm, slower or quieter sites, harmless releases. Noise is not an
incident: ``truth.py`` lists incidents only, and no ticket wave may follow noise.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from xlapulse.collectors.contract.events import TicketChannel
from xlapulse.collectors.simulator.incidents import (
    ALL_SITES,
    AppRelease,
    CallDegradation,
    Incidents,
    LogonIncident,
    LogonStorm,
    SiteConditions,
    TicketWaveRule,
    Window,
)
from xlapulse.collectors.simulator.profiles import APPS, PERSONA_PROFILES, SITES, TICKET_CATEGORIES
from xlapulse.collectors.simulator.rhythm import LOCAL_TZ
from xlapulse.collectors.yamlfile import load_yaml_model

SCENARIO_PACKAGE = "xlapulse.collectors.simulator"
DEFAULT_SCENARIO = "default"

SiteName = Literal[SITES]  # type: ignore[valid-type]
PersonaName = Literal[tuple(PERSONA_PROFILES)]  # type: ignore[valid-type]
AppName = Literal[tuple(APPS)]  # type: ignore[valid-type]
Category = Literal[tuple(TICKET_CATEGORIES)]  # type: ignore[valid-type]
IncidentName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,60}$")]
Ratio = Annotated[float, Field(ge=0.0, le=1.0)]
Minutes = Annotated[int, Field(gt=0, le=60 * 24 * 60)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioTime(StrictModel):
    """A local Europe/Amsterdam time on a day counted from the first simulated day (0)."""

    day: int = Field(ge=0, le=366)
    at: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description='"HH:MM", local')

    def resolve(self, first_day: date) -> datetime:
        hour, minute = (int(part) for part in self.at.split(":"))
        local_day = first_day + timedelta(days=self.day)
        return datetime.combine(local_day, time(hour, minute), LOCAL_TZ).astimezone(UTC)


class IncidentBase(StrictModel):
    name: IncidentName
    start: ScenarioTime
    duration_min: Minutes

    def window(self, first_day: date) -> tuple[datetime, datetime]:
        start = self.start.resolve(first_day)
        return start, start + timedelta(minutes=self.duration_min)


class VpnConcentratorFailure(IncidentBase):
    """A site's VPN concentrator fails: sessions drop, reconnects fail until it is back."""

    kind: Literal["vpn_concentrator_failure"]
    site: SiteName
    personas: list[PersonaName] | None = Field(default=None, min_length=1)


class GpoSlowLogons(IncidentBase):
    """A group policy change adds seconds to every logon at a site (or ``all``)."""

    kind: Literal["gpo_slow_logons"]
    site: SiteName | Literal["all"] = ALL_SITES
    extra_logon_s: float = Field(gt=0, le=3600)


class PrintServerDown(IncidentBase):
    """The print server of a site is down: every job there fails."""

    kind: Literal["print_server_down"]
    site: SiteName


class AppReleaseHang(IncidentBase):
    """A release of an app hangs, crashes and slows down for a share of its users."""

    kind: Literal["app_release_hang"]
    app: AppName
    version: str = Field(min_length=1, max_length=40)
    affected_share: Ratio


class CallQualityDegraded(IncidentBase):
    """A site's network degrades calls: each call in scope is poor with ``poor_share``."""

    kind: Literal["call_quality_degraded"]
    site: SiteName
    personas: list[PersonaName] | None = Field(default=None, min_length=1)
    poor_share: Ratio = 0.6


# --- everyday noise (no incident) ----------------------------------------------------


class AppReleaseHarmless(IncidentBase):
    """Noise: a release that changes only the version its users report."""

    kind: Literal["app_release"]
    app: AppName
    version: str = Field(min_length=1, max_length=40)
    affected_share: Ratio


class LogonStormNoise(StrictModel):
    """Noise: every workday, logons around ``peak_at`` (local) take up to ``extra_logon_s``
    longer, fading with a standard deviation of ``spread_min`` minutes."""

    kind: Literal["logon_storm"]
    name: IncidentName
    site: SiteName | Literal["all"] = ALL_SITES
    peak_at: str = Field(default="09:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    extra_logon_s: float = Field(gt=0, le=600)
    spread_min: float = Field(default=15.0, gt=0, le=240)


class SiteConditionsNoise(StrictModel):
    """Noise: a site that is always a bit different (slower logons, a slower link, or
    fewer remote days, which makes its VPN quiet)."""

    kind: Literal["site_conditions"]
    name: IncidentName
    site: SiteName
    extra_logon_s: float = Field(default=0.0, ge=0, le=600)
    extra_connect_ms: int = Field(default=0, ge=0, le=10_000)
    remote_day_factor: float = Field(default=1.0, ge=0, le=3)


class TicketWave(StrictModel):
    """Users hit by incident ``follows`` file tickets ``delay_min`` after its start."""

    kind: Literal["ticket_wave"]
    name: IncidentName
    follows: IncidentName
    delay_min: int = Field(ge=0, le=60 * 24 * 14)
    spread_min: Minutes = 60
    affected_share: Ratio
    category: Category
    channel: TicketChannel = "phone"
    priority: int = Field(default=2, ge=1, le=5)


INCIDENT_MODELS = (
    VpnConcentratorFailure,
    GpoSlowLogons,
    PrintServerDown,
    AppReleaseHang,
    CallQualityDegraded,
    TicketWave,
    AppReleaseHarmless,
    LogonStormNoise,
    SiteConditionsNoise,
)
INCIDENT_KINDS = frozenset(
    model.model_fields["kind"].annotation.__args__[0] for model in INCIDENT_MODELS
)
NOISE_KINDS = frozenset({"app_release", "logon_storm", "site_conditions"})
Incident = Annotated[
    VpnConcentratorFailure
    | GpoSlowLogons
    | PrintServerDown
    | AppReleaseHang
    | CallQualityDegraded
    | TicketWave
    | AppReleaseHarmless
    | LogonStormNoise
    | SiteConditionsNoise,
    Field(discriminator="kind"),
]


class Scenario(StrictModel):
    """A named list of incidents (and noise) plus the probe interval of the synthetic probes.

    ``days`` is the span the scenario is written for (``xlapulse evaluate`` runs it
    that long); ``None`` leaves the span to the caller.
    """

    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    days: int | None = Field(default=None, ge=1, le=366)
    probe_interval_min: int = Field(default=30, ge=5, le=240)
    incidents: list[Incident] = Field(default_factory=list)

    @field_validator("incidents", mode="wrap")
    @classmethod
    def _errors_without_the_kind_step(
        cls, value: object, handler: ValidatorFunctionWrapHandler
    ) -> list[Incident]:
        """Drop the union tag pydantic puts into error paths (``incidents[0].<kind>.site``).

        Without it the path matches the file, so errors point at the offending line.
        """
        try:
            return handler(value)
        except ValidationError as error:
            details = []
            for detail in error.errors(include_url=False):
                location = detail["loc"]
                if len(location) >= 2 and location[1] in INCIDENT_KINDS:
                    location = (location[0], *location[2:])
                details.append({**detail, "loc": location})
            raise ValidationError.from_exception_data(error.title, details) from None

    @model_validator(mode="after")
    def _names_unique_and_waves_follow_incidents(self) -> Scenario:
        names = [incident.name for incident in self.incidents]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"incident names must be unique: {', '.join(duplicates)}")
        followable = {
            i.name
            for i in self.incidents
            if not isinstance(i, TicketWave) and i.kind not in NOISE_KINDS
        }
        for wave in self.incidents:
            if isinstance(wave, TicketWave) and wave.follows not in followable:
                raise ValueError(
                    f"ticket wave {wave.name!r} follows {wave.follows!r}, which is not an "
                    f"incident (not noise) of this scenario "
                    f"(known: {', '.join(sorted(followable)) or 'none'})"
                )
        return self

    @classmethod
    def empty(cls) -> Scenario:
        """The baseline: a normal fleet, no incidents."""
        return cls(name="baseline", description="no incidents")

    def resolve(self, first_day: date) -> Incidents:
        """The incidents at absolute times, for a run whose first local day is ``first_day``."""
        parts: dict[str, list] = {key: [] for key in _RESOLVED_PARTS}
        starts: dict[str, datetime] = {}
        sites: dict[str, SiteConditions] = {}
        for incident in self.incidents:
            if isinstance(incident, TicketWave):
                parts["ticket_waves"].append(_wave_rule(incident))
            elif isinstance(incident, LogonStormNoise):
                parts["logon_storms"].append(_storm(incident))
            elif isinstance(incident, SiteConditionsNoise):
                sites[incident.site] = _site_conditions(incident, sites.get(incident.site))
            else:
                start, end = incident.window(first_day)
                if not isinstance(incident, AppReleaseHarmless):
                    starts[incident.name] = start
                part, resolved = _resolve_windowed(incident, start, end)
                parts[part].append(resolved)
        return Incidents(
            **{key: tuple(values) for key, values in parts.items()}, starts=starts, sites=sites
        )


_RESOLVED_PARTS = (
    "logons",
    "vpn_outages",
    "print_outages",
    "app_releases",
    "ticket_waves",
    "call_degradations",
    "logon_storms",
)


def _resolve_windowed(incident: IncidentBase, start: datetime, end: datetime) -> tuple[str, object]:
    """(the ``Incidents`` field, the resolved object) of an incident with a time window."""
    if isinstance(incident, GpoSlowLogons):
        return "logons", LogonIncident(
            incident.site, start, end, incident.extra_logon_s, incident.name
        )
    if isinstance(incident, VpnConcentratorFailure | CallQualityDegraded):
        personas = frozenset(incident.personas) if incident.personas else None
        window = Window(incident.name, incident.site, start, end, personas)
        if isinstance(incident, VpnConcentratorFailure):
            return "vpn_outages", window
        return "call_degradations", CallDegradation(window, incident.poor_share)
    if isinstance(incident, PrintServerDown):
        return "print_outages", Window(incident.name, incident.site, start, end)
    assert isinstance(incident, AppReleaseHang | AppReleaseHarmless)
    release = AppRelease(
        incident.name, incident.app, incident.version, start, end, incident.affected_share
    )
    if isinstance(incident, AppReleaseHarmless):
        release = replace(
            release, hangs_per_hour=0.0, crashes_per_hour=0.0, slow_transactions_per_hour=0.0
        )
    return "app_releases", release


def _storm(storm: LogonStormNoise) -> LogonStorm:
    hour, minute = (int(part) for part in storm.peak_at.split(":"))
    return LogonStorm(storm.site, hour * 60 + minute, storm.extra_logon_s, storm.spread_min)


def _site_conditions(noise: SiteConditionsNoise, earlier: SiteConditions | None) -> SiteConditions:
    """The site's conditions; a second entry for the same site adds to the first."""
    base = earlier or SiteConditions(noise.site)
    return SiteConditions(
        noise.site,
        base.extra_logon_s + noise.extra_logon_s,
        base.extra_connect_ms + noise.extra_connect_ms,
        base.remote_day_factor * noise.remote_day_factor,
    )


def _wave_rule(wave: TicketWave) -> TicketWaveRule:
    return TicketWaveRule(
        name=wave.name,
        follows=wave.follows,
        delay=timedelta(minutes=wave.delay_min),
        spread=timedelta(minutes=wave.spread_min),
        affected_share=wave.affected_share,
        category=wave.category,
        channel=wave.channel,
        priority=wave.priority,
    )


def load_scenario(path: Path | str) -> Scenario:
    """Load and validate a scenario file; raises ``YamlFileError`` with file:line:column."""
    return load_yaml_model(path, Scenario)


def packaged_scenarios() -> dict[str, Path]:
    """The scenario files shipped with xlapulse, by name (file stem)."""
    folder = resources.files(SCENARIO_PACKAGE).joinpath("scenarios")
    return {
        Path(entry.name).stem: Path(str(entry))
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    }


def default_scenario_path() -> Path:
    return packaged_scenarios()[DEFAULT_SCENARIO]
