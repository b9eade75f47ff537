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
"""

from __future__ import annotations

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
    Incidents,
    LogonIncident,
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
    TicketWave,
)
INCIDENT_KINDS = frozenset(
    model.model_fields["kind"].annotation.__args__[0] for model in INCIDENT_MODELS
)
Incident = Annotated[
    VpnConcentratorFailure | GpoSlowLogons | PrintServerDown | AppReleaseHang | TicketWave,
    Field(discriminator="kind"),
]


class Scenario(StrictModel):
    """A named list of incidents plus the probe interval of the synthetic probes."""

    name: str = Field(min_length=1, max_length=80)
    description: str = ""
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
        followable = {i.name for i in self.incidents if not isinstance(i, TicketWave)}
        for wave in self.incidents:
            if isinstance(wave, TicketWave) and wave.follows not in followable:
                raise ValueError(
                    f"ticket wave {wave.name!r} follows {wave.follows!r}, which is not an "
                    f"incident of this scenario (known: {', '.join(sorted(followable)) or 'none'})"
                )
        return self

    @classmethod
    def empty(cls) -> Scenario:
        """The baseline: a normal fleet, no incidents."""
        return cls(name="baseline", description="no incidents")

    def resolve(self, first_day: date) -> Incidents:
        """The incidents at absolute times, for a run whose first local day is ``first_day``."""
        logons, vpn, prints, releases, waves = [], [], [], [], []
        starts: dict[str, datetime] = {}
        for incident in self.incidents:
            if isinstance(incident, TicketWave):
                waves.append(_wave_rule(incident))
                continue
            start, end = incident.window(first_day)
            starts[incident.name] = start
            if isinstance(incident, GpoSlowLogons):
                logons.append(
                    LogonIncident(incident.site, start, end, incident.extra_logon_s, incident.name)
                )
            elif isinstance(incident, VpnConcentratorFailure):
                personas = frozenset(incident.personas) if incident.personas else None
                vpn.append(Window(incident.name, incident.site, start, end, personas))
            elif isinstance(incident, PrintServerDown):
                prints.append(Window(incident.name, incident.site, start, end))
            else:
                releases.append(
                    AppRelease(
                        incident.name,
                        incident.app,
                        incident.version,
                        start,
                        end,
                        incident.affected_share,
                    )
                )
        return Incidents(
            tuple(logons), tuple(vpn), tuple(prints), tuple(releases), tuple(waves), starts
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
