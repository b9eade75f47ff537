"""XLAs as code: per-persona experience objectives, thresholds and weights in YAML.

Reads one XLA file (the packaged ``xlas/default.yaml`` unless told otherwise);
writes nothing. The file says, per persona, which experience indicators are
agreed and what target each must reach, e.g. "95 % of logons under 30 s for
call-centre agents" or "happiness at least +40"; it may also override the
persona's thresholds and touch-point weights. The format is documented in
``streams/scoring/README.md`` and by the commented example ``xlas/default.yaml``.

Every problem is reported as ``file:line:column: where: what`` (see
``collectors/yamlfile.py``): unknown keys, personas, threshold names and touch points,
targets out of range for their kind, a ``share_within`` objective without
``threshold_ms``, duplicate objective ids within a persona.

Compliance is computed per objective from counts the engine keeps per window
(:class:`ObjectiveStats`); :func:`sample_meets` says how one sample counts and
:func:`evaluate` turns the counts into a :class:`Compliance`. The file's
``version`` and ``digest`` are stored with every compliance point.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, get_type_hints

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from xlapulse.collectors.yamlfile import YamlFileError, parse_yaml_model
from xlapulse.streams.scoring.personas import (
    DEFAULT_PERSONAS,
    SERVICE_DESK,
    TOUCH_POINTS,
    Persona,
    Thresholds,
    persona_for,
)

DEFAULT_XLA_PATH = Path(__file__).with_name("xlas") / "default.yaml"
DIGEST_LENGTH = 12

#: Objective "touch points" beyond the real ones: a persona's weighted overall
#: score, and survey sentiment (all answers, whatever they are about).
OVERALL = "overall"
SENTIMENT = "sentiment"
OBJECTIVE_TOUCH_POINTS = (*TOUCH_POINTS, OVERALL, SENTIMENT)
ObjectiveTouchPoint = Literal[OBJECTIVE_TOUCH_POINTS]  # type: ignore[valid-type]  # a tuple, on purpose
ObjectiveKind = Literal[
    "share_within",
    "frustrating_share_at_most",
    "score_at_least",
    "happiness_at_least",
    "failures_per_hour_at_most",
]
SHARE_KINDS = ("share_within", "frustrating_share_at_most")
#: Samples (answers, for happiness) an objective needs in a window before it is judged,
#: unless the objective says otherwise (``min_samples``): fewer say little (a 2 % poor-call
#: objective checked on one call cries wolf) and are not judged.
DEFAULT_MIN_SAMPLES = 20

#: Touch points whose samples carry a duration (service desk: time to resolve).
DURATION_TOUCH_POINTS = ("boot", "logon", "app", "probe", SERVICE_DESK)
#: Which touch points each kind of objective can be about.
KIND_TOUCH_POINTS: dict[str, tuple[str, ...]] = {
    "share_within": DURATION_TOUCH_POINTS,
    "frustrating_share_at_most": TOUCH_POINTS,
    "score_at_least": OBJECTIVE_TOUCH_POINTS,
    "happiness_at_least": (SENTIMENT, SERVICE_DESK),
    # failures per exposed hour (``exposure.py``): app per active, VPN per connected hour
    "failures_per_hour_at_most": ("app", "vpn"),
}
#: The unit of each kind's target: a ratio, a 0-100 score, or HappySignals happiness.
TARGET_RANGES: dict[str, tuple[float, float]] = {
    "share_within": (0.0, 1.0),
    "frustrating_share_at_most": (0.0, 1.0),
    "score_at_least": (0.0, 100.0),
    "happiness_at_least": (-100.0, 100.0),
    "failures_per_hour_at_most": (0.0, 60.0),
}
#: Kinds met at or below their target (the others at or above it).
AT_MOST_KINDS = ("frustrating_share_at_most", "failures_per_hour_at_most")

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$")]
PersonaName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


class Objective(BaseModel):
    """One agreed experience indicator of a persona, with its target.

    Fields validate in this order, so later checks can rely on ``kind``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    description: Annotated[str, StringConstraints(min_length=1)]
    kind: ObjectiveKind
    touch_point: ObjectiveTouchPoint
    threshold_ms: Annotated[int, Field(gt=0)] | None = Field(default=None, validate_default=True)
    target: float
    #: Samples (answers) in a window before the objective is judged.
    min_samples: Annotated[int, Field(ge=1)] = DEFAULT_MIN_SAMPLES

    @field_validator("touch_point")
    @classmethod
    def _touch_point_fits_kind(cls, touch_point: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind is not None and touch_point not in KIND_TOUCH_POINTS[kind]:
            allowed = ", ".join(KIND_TOUCH_POINTS[kind])
            raise ValueError(f"a {kind} objective cannot be about {touch_point}; use {allowed}")
        return touch_point

    @field_validator("threshold_ms")
    @classmethod
    def _threshold_only_for_share_within(cls, threshold_ms: int | None, info: ValidationInfo):
        kind = info.data.get("kind")
        if kind == "share_within" and threshold_ms is None:
            raise ValueError("threshold_ms is required for a share_within objective")
        if kind is not None and kind != "share_within" and threshold_ms is not None:
            raise ValueError(f"threshold_ms applies only to share_within, not to {kind}")
        return threshold_ms

    @field_validator("target")
    @classmethod
    def _target_in_range_of_kind(cls, target: float, info: ValidationInfo) -> float:
        kind = info.data.get("kind")
        if kind is not None:
            low, high = TARGET_RANGES[kind]
            if not low <= target <= high:
                raise ValueError(f"a {kind} target must be within {low:g}..{high:g}")
        return target


class _ThresholdOverridesBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _fit_the_thresholds(self) -> _ThresholdOverridesBase:
        """Apply the overrides to the default thresholds, so their own checks name the field."""
        replace(Thresholds(), **self.model_dump(exclude_unset=True))
        return self


if TYPE_CHECKING:  # a type checker cannot follow create_model: it sees the bases
    ThresholdOverrides = _ThresholdOverridesBase
    WeightOverrides = BaseModel
else:
    #: Every ``Thresholds`` field, optional and positive; unknown names are errors.
    ThresholdOverrides = create_model(
        "ThresholdOverrides",
        __base__=_ThresholdOverridesBase,
        **{
            name: (Annotated[hint, Field(gt=0)], None)
            for name, hint in get_type_hints(Thresholds).items()
        },
    )
    #: One optional non-negative weight per touch point; unknown touch points are errors.
    WeightOverrides = create_model(
        "WeightOverrides",
        __config__=ConfigDict(extra="forbid"),
        **{point: (Annotated[float, Field(ge=0)], None) for point in TOUCH_POINTS},
    )


class PersonaSpec(BaseModel):
    """One persona's section of the file: overrides and objectives."""

    model_config = ConfigDict(extra="forbid")

    #: For a persona that is not a default one: the default persona it starts from.
    based_on: PersonaName | None = None
    description: str | None = None
    thresholds: ThresholdOverrides = Field(default_factory=ThresholdOverrides)
    weights: WeightOverrides = Field(default_factory=WeightOverrides)
    objectives: list[Objective] = Field(default_factory=list)

    @field_validator("objectives")
    @classmethod
    def _unique_ids(cls, objectives: list[Objective]) -> list[Objective]:
        first_index: dict[str, int] = {}
        for index, objective in enumerate(objectives):
            if objective.id in first_index:
                raise ValueError(
                    f"duplicate objective id {objective.id!r} "
                    f"(objectives[{first_index[objective.id]}] and [{index}])"
                )
            first_index[objective.id] = index
        return objectives


def _apply(name: str, spec: PersonaSpec) -> Persona:
    """The persona's defaults (for a new one: those of ``based_on``) with the file's overrides."""
    start = DEFAULT_PERSONAS[spec.based_on or name]
    persona = replace(start, name=name).with_overrides(
        thresholds=spec.thresholds.model_dump(exclude_unset=True),
        weights=spec.weights.model_dump(exclude_unset=True),
    )
    return persona if spec.description is None else replace(persona, description=spec.description)


def _persona_problem(name: str, spec: PersonaSpec) -> str | None:
    """Why the persona cannot be used, if it cannot: an unknown name (a typo, or a new
    persona without ``based_on``), a ``based_on`` that is not a default persona, or
    overrides that break the persona's own rules."""
    defaults = ", ".join(DEFAULT_PERSONAS)
    if spec.based_on is not None and spec.based_on not in DEFAULT_PERSONAS:
        return f"based_on: unknown persona {spec.based_on!r}; the default personas are {defaults}"
    if spec.based_on is not None and name in DEFAULT_PERSONAS:
        return f"{name} is a default persona; based_on is only for a new persona"
    if spec.based_on is None and name not in DEFAULT_PERSONAS:
        return (
            f"unknown persona {name!r}; the default personas are {defaults} "
            "(a new persona says which one it starts from: based_on: knowledge_worker)"
        )
    try:
        _apply(name, spec)
    except ValueError as error:
        return str(error).removeprefix(f"persona {name}: ")
    return None


class XlaFile(BaseModel):
    """The whole XLA file."""

    model_config = ConfigDict(extra="forbid")

    version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    personas: Annotated[dict[PersonaName, PersonaSpec], Field(min_length=1)]

    @field_validator("personas")
    @classmethod
    def _personas_apply(cls, personas: dict[str, PersonaSpec]) -> dict[str, PersonaSpec]:
        """Every persona must be usable; each problem is reported at its persona's line."""
        problems = [
            InitErrorDetails(
                type=PydanticCustomError(
                    "persona", "persona {name}: {problem}", {"name": name, "problem": problem}
                ),
                loc=(name,),
                input=name,
            )
            for name, spec in personas.items()
            if (problem := _persona_problem(name, spec)) is not None
        ]
        if problems:
            raise ValidationError.from_exception_data("personas", problems)
        return personas


@dataclass(frozen=True)
class XlaConfig:
    """A loaded XLA file: personas with overrides applied, and their objectives."""

    version: str
    #: First 12 hex digits of the SHA-256 of the file text: which exact file was in force.
    digest: str
    #: Every default persona plus the file's, with the file's overrides applied.
    personas: dict[str, Persona]
    objectives: dict[str, tuple[Objective, ...]]

    def persona(self, name: str) -> Persona:
        """The persona by name; unknown names get knowledge-worker settings (like persona_for)."""
        return persona_for(name, self.personas)

    def objectives_for(self, persona_name: str) -> tuple[Objective, ...]:
        """The persona's objectives; none for a persona the file does not name."""
        return self.objectives.get(persona_name, ())


def parse_xla_text(text: str, name: Path | str = "<text>") -> XlaConfig:
    """Validate XLA YAML already in memory; ``name`` identifies it in errors."""
    spec = parse_yaml_model(text, XlaFile, name)
    personas = dict(DEFAULT_PERSONAS)
    for persona, section in spec.personas.items():
        personas[persona] = _apply(persona, section)
    return XlaConfig(
        version=spec.version,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_LENGTH],
        personas=personas,
        objectives={
            persona: tuple(section.objectives) for persona, section in spec.personas.items()
        },
    )


def load_xla_file(path: Path | str) -> XlaConfig:
    """Read and validate an XLA file; :class:`YamlFileError` lists every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise YamlFileError(path, [f"{path}: cannot read: {error}"]) from error
    return parse_xla_text(text, path)


@cache
def default_xla_config() -> XlaConfig:
    """The packaged example file ``xlas/default.yaml``, loaded once."""
    return load_xla_file(DEFAULT_XLA_PATH)


def sample_meets(
    objective: Objective, touch_point: str, measured_ms: float | None, frustrating: bool
) -> bool | None:
    """Whether one sample counts as a hit for a sample-based objective.

    * ``share_within``: a hit when the sample took at most ``threshold_ms`` and
      is not frustrating (a failure); a frustrating sample without a duration
      (a hang, a failed probe) is a miss; a sample with neither a duration nor a
      failure is not a timed sample and does not count (None).
    * ``frustrating_share_at_most``: a hit when the sample is *not* frustrating.
    * None when the objective is not sample-based or is about another touch point.
    """
    if objective.touch_point != touch_point or objective.kind not in SHARE_KINDS:
        return None
    if objective.kind == "frustrating_share_at_most":
        return not frustrating
    if measured_ms is None:
        return False if frustrating else None
    assert objective.threshold_ms is not None  # the model requires it for share_within
    return measured_ms <= objective.threshold_ms and not frustrating


@dataclass(frozen=True)
class ObjectiveStats:
    """What the engine counted for one objective in one window.

    ``samples``/``hits`` for the share kinds (hits as :func:`sample_meets` says);
    ``score`` (0-100) for score_at_least, ``happiness`` for happiness_at_least,
    ``failures_per_hour`` for failures_per_hour_at_most (whose ``samples`` are the whole
    exposed hours), each None when there is nothing to score.
    """

    samples: int
    hits: int
    score: float | None = None
    happiness: float | None = None
    failures_per_hour: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.hits <= self.samples:
            raise ValueError(f"hits must be within 0..samples, got {self.hits}/{self.samples}")


@dataclass(frozen=True)
class Compliance:
    """How one objective did in one window; ``met`` is None when there was no data.

    ``value`` is in the unit of ``target``: the share within the threshold
    (share_within), the frustrating share (frustrating_share_at_most), failures per
    exposed hour (failures_per_hour_at_most), the
    score, or the happiness.
    """

    objective_id: str
    persona: str
    kind: str
    touch_point: str
    value: float | None
    target: float
    met: bool | None
    samples: int


def _value(objective: Objective, stats: ObjectiveStats) -> float | None:
    if objective.kind == "share_within":
        return stats.hits / stats.samples
    if objective.kind == "frustrating_share_at_most":
        return (stats.samples - stats.hits) / stats.samples
    if objective.kind == "score_at_least":
        return stats.score
    if objective.kind == "failures_per_hour_at_most":
        return stats.failures_per_hour
    return stats.happiness


def evaluate(objective: Objective, persona: str, stats: ObjectiveStats) -> Compliance:
    """Compliance of one objective from a window's counts; no verdict below the
    objective's ``min_samples``."""
    value = _value(objective, stats) if stats.samples >= objective.min_samples else None
    met: bool | None = None
    if value is not None:
        at_most = objective.kind in AT_MOST_KINDS
        met = value <= objective.target if at_most else value >= objective.target
    return Compliance(
        objective_id=objective.id,
        persona=persona,
        kind=objective.kind,
        touch_point=objective.touch_point,
        value=value,
        target=objective.target,
        met=met,
        samples=stats.samples,
    )
