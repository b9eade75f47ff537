"""XLAs as code: the packaged file round-trips, every mistake is named with file:line."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from xlapulse.collectors.yamlfile import YamlFileError
from xlapulse.streams.scoring.personas import DEFAULT_PERSONAS, TOUCH_POINTS
from xlapulse.streams.scoring.xla import (
    DEFAULT_MIN_SAMPLES,
    DEFAULT_XLA_PATH,
    Compliance,
    Objective,
    ObjectiveStats,
    default_xla_config,
    evaluate,
    load_xla_file,
    parse_xla_text,
    sample_meets,
)

BROKEN = Path(__file__).parents[1] / "data" / "xla"


def problems_of(text: str) -> list[str]:
    with pytest.raises(YamlFileError) as caught:
        parse_xla_text(text, "x.yaml")
    return caught.value.problems


def one_objective(**fields: object) -> str:
    """A minimal file with one developer objective (fields in YAML flow style)."""
    body = ", ".join(f"{key}: {value}" for key, value in fields.items())
    return f'version: "t"\npersonas:\n  developer:\n    objectives:\n      - {{{body}}}\n'


def objective(**fields: object) -> Objective:
    return Objective.model_validate({"id": "o", "description": "d", **fields})


# --- the packaged example ------------------------------------------------------


def test_the_packaged_file_loads_with_all_default_personas() -> None:
    config = default_xla_config()
    assert DEFAULT_XLA_PATH.name == "default.yaml"
    assert config.version == "2026.12-2"
    text = DEFAULT_XLA_PATH.read_text(encoding="utf-8")
    assert config.digest == hashlib.sha256(text.encode()).hexdigest()[:12]
    assert set(DEFAULT_PERSONAS) <= set(config.personas)
    assert set(config.objectives) == set(DEFAULT_PERSONAS)
    assert all(config.objectives_for(name) for name in DEFAULT_PERSONAS)
    assert default_xla_config() is config  # cached


def test_the_packaged_file_holds_the_issue_examples() -> None:
    config = default_xla_config()
    logons = {o.id: o for o in config.objectives_for("call_centre_agent")}["logon-within-40s"]
    assert (
        logons.kind,
        logons.touch_point,
        logons.threshold_ms,
        logons.target,
        logons.min_samples,
    ) == ("share_within", "logon", 40_000, 0.90, 20)
    happiness = {o.id: o for o in config.objectives_for("knowledge_worker")}["happiness"]
    assert (happiness.kind, happiness.target) == ("happiness_at_least", 40)
    vpn = {o.id: o for o in config.objectives_for("field_worker")}["vpn-failures"]
    assert (vpn.kind, vpn.touch_point, vpn.target) == ("frustrating_share_at_most", "vpn", 0.15)
    boot = {o.id: o for o in config.objectives_for("developer")}["boot-within-120s"]
    assert (boot.touch_point, boot.threshold_ms) == ("boot", 120_000)
    for persona in ("call_centre_agent", "executive"):
        assert any(o.touch_point == "call" for o in config.objectives_for(persona))


def test_the_packaged_overrides_are_applied_and_the_rest_kept() -> None:
    config = default_xla_config()
    agent = config.persona("call_centre_agent")
    assert agent.thresholds.call_max_packet_loss_ratio == 0.05
    assert agent.thresholds.call_max_jitter_ms == 20
    assert agent.thresholds.logon_target_ms == 20_000  # built-in, not overridden
    assert agent.weights == DEFAULT_PERSONAS["call_centre_agent"].weights
    field = config.persona("field_worker")
    assert field.thresholds.vpn_drop_cost_ms == 600_000
    assert field.weights["probe"] == 2 and field.weights["vpn"] == 4
    assert config.persona("executive") == DEFAULT_PERSONAS["executive"]


# --- overrides and new personas -------------------------------------------------


def test_a_new_persona_starts_from_the_default_persona_it_names() -> None:
    config = parse_xla_text(
        'version: "2"\npersonas:\n  nurse:\n    based_on: call_centre_agent\n'
        "    description: Ward staff.\n"
        "    thresholds: {logon_target_ms: 10000}\n    weights: {print: 5}\n"
    )
    nurse = config.persona("nurse")
    agent = DEFAULT_PERSONAS["call_centre_agent"]
    assert (nurse.name, nurse.description) == ("nurse", "Ward staff.")
    assert nurse.thresholds.logon_target_ms == 10_000
    assert nurse.thresholds.app_transaction_target_ms == agent.thresholds.app_transaction_target_ms
    assert nurse.weights == {**agent.weights, "print": 5.0}
    assert config.objectives_for("nurse") == ()


def test_an_unknown_persona_is_an_error_at_its_line() -> None:
    """A typo must not create a persona that nobody is assigned to, silently."""
    typo = 'version: "t"\npersonas:\n  developer: {}\n  call_center_agent:\n    objectives: []\n'
    [problem] = problems_of(typo)
    assert problem.startswith(
        "x.yaml:5:5: personas.call_center_agent: persona call_center_agent: unknown persona "
        "'call_center_agent'; the default personas are knowledge_worker, call_centre_agent,"
    )
    assert "based_on: knowledge_worker" in problem
    wrong_base = 'version: "t"\npersonas:\n  nurse:\n    based_on: doctor\n'
    assert problems_of(wrong_base) == [
        "x.yaml:4:5: personas.nurse: persona nurse: based_on: unknown persona 'doctor'; the "
        "default personas are knowledge_worker, call_centre_agent, field_worker, developer, "
        "executive"
    ]
    default_based = 'version: "t"\npersonas:\n  developer:\n    based_on: executive\n'
    assert problems_of(default_based) == [
        "x.yaml:4:5: personas.developer: persona developer: developer is a default persona; "
        "based_on is only for a new persona"
    ]


def test_unknown_personas_fall_back_and_have_no_objectives() -> None:
    config = default_xla_config()
    stranger = config.persona("unassigned")
    assert stranger.name == "unassigned"
    assert stranger.thresholds == DEFAULT_PERSONAS["knowledge_worker"].thresholds
    assert config.objectives_for("unassigned") == ()


def test_the_digest_follows_the_text_and_the_version_is_kept() -> None:
    text = 'version: "a"\npersonas:\n  developer: {}\n'
    first, again = parse_xla_text(text), parse_xla_text(text)
    changed = parse_xla_text(text + "# a comment\n")
    assert first.digest == again.digest != changed.digest
    assert first.version == "a"


def test_load_from_a_path_and_an_unreadable_path(tmp_path: Path) -> None:
    path = tmp_path / "xla.yaml"
    path.write_text(DEFAULT_XLA_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_xla_file(path) == default_xla_config(), "the same text, digest included"
    path.write_text(path.read_text(encoding="utf-8").replace("target: 0.90", "target: 0.8", 1))
    edited = load_xla_file(path)
    assert edited.digest != default_xla_config().digest, "an edited file differs"
    logons = {o.id: o for o in edited.objectives_for("call_centre_agent")}["logon-within-40s"]
    assert logons.target == 0.8, "read from the given path"
    with pytest.raises(YamlFileError, match="cannot read"):
        load_xla_file(tmp_path / "missing.yaml")


# --- validation errors, on the broken files ---------------------------------------


def broken(name: str) -> list[str]:
    with pytest.raises(YamlFileError) as caught:
        load_xla_file(BROKEN / name)
    return caught.value.problems


def test_unknown_threshold_name() -> None:
    assert broken("unknown_threshold.yaml") == [
        f"{BROKEN}/unknown_threshold.yaml:5:23: "
        "personas.call_centre_agent.thresholds.logon_taget_ms: Extra inputs are not permitted"
    ]


def test_unknown_persona() -> None:
    [problem] = broken("unknown_persona.yaml")
    assert problem.startswith(
        f"{BROKEN}/unknown_persona.yaml:4:5: personas.call_center_agent: persona "
        "call_center_agent: unknown persona 'call_center_agent'"
    )


def test_unknown_touch_point() -> None:
    [problem] = broken("unknown_touch_point.yaml")
    assert problem.startswith(
        f"{BROKEN}/unknown_touch_point.yaml:8:22: "
        "personas.knowledge_worker.objectives[0].touch_point: Input should be 'boot', "
    )
    assert "'overall' or 'sentiment'" in problem


def test_share_target_above_one() -> None:
    assert broken("share_target_above_one.yaml") == [
        f"{BROKEN}/share_target_above_one.yaml:10:17: "
        "personas.call_centre_agent.objectives[0].target: "
        "Value error, a share_within target must be within 0..1"
    ]


def test_missing_threshold_ms() -> None:
    assert broken("missing_threshold_ms.yaml") == [
        f"{BROKEN}/missing_threshold_ms.yaml:5:9: "
        "personas.developer.objectives[0].threshold_ms: "
        "Value error, threshold_ms is required for a share_within objective"
    ]


def test_duplicate_objective_id() -> None:
    assert broken("duplicate_objective_id.yaml") == [
        f"{BROKEN}/duplicate_objective_id.yaml:5:7: personas.executive.objectives: "
        "Value error, duplicate objective id 'overall-score' (objectives[0] and [1])"
    ]


# --- validation errors, inline -----------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"kind": "share_within", "touch_point": "vpn", "threshold_ms": 1, "target": 0.9},
            "touch_point: Value error, a share_within objective cannot be about vpn",
        ),
        (
            {"kind": "happiness_at_least", "touch_point": "logon", "target": 40},
            "touch_point: Value error, a happiness_at_least objective cannot be about logon",
        ),
        (
            {"kind": "frustrating_share_at_most", "touch_point": "overall", "target": 0.1},
            "touch_point: Value error, a frustrating_share_at_most objective cannot be about",
        ),
        (
            {"kind": "score_at_least", "touch_point": "overall", "threshold_ms": 9, "target": 75},
            "threshold_ms: Value error, threshold_ms applies only to share_within",
        ),
        (
            {"kind": "score_at_least", "touch_point": "overall", "target": 101},
            "target: Value error, a score_at_least target must be within 0..100",
        ),
        (
            {"kind": "happiness_at_least", "touch_point": "sentiment", "target": -101},
            "target: Value error, a happiness_at_least target must be within -100..100",
        ),
        (
            {"kind": "frustrating_share_at_most", "touch_point": "call", "target": 2},
            "target: Value error, a frustrating_share_at_most target must be within 0..1",
        ),
        (
            {"kind": "share_within", "touch_point": "logon", "threshold_ms": 0, "target": 0.9},
            "threshold_ms: Input should be greater than 0",
        ),
        (
            {"kind": "share_under", "touch_point": "logon", "target": 0.9},
            "kind: Input should be 'share_within', 'frustrating_share_at_most'",
        ),
        (
            {"kind": "score_at_least", "touch_point": "app", "target": 75, "colour": "red"},
            "colour: Extra inputs are not permitted",
        ),
        (
            {"kind": "score_at_least", "touch_point": "app", "target": 75, "id": "Not A Slug"},
            "id: String should match pattern",
        ),
    ],
)
def test_objective_mistakes_name_the_field(fields: dict, expected: str) -> None:
    fields = {"id": "o", "description": "d", **fields}
    [problem] = problems_of(one_objective(**fields))
    assert problem.startswith("x.yaml:5:")
    assert f"personas.developer.objectives[0].{expected}" in problem


def test_threshold_values_are_checked_where_they_are_written() -> None:
    negative = 'version: "t"\npersonas:\n  developer:\n    thresholds:\n      boot_minor_ms: -5\n'
    assert problems_of(negative) == [
        "x.yaml:5:22: personas.developer.thresholds.boot_minor_ms: Input should be greater than 0"
    ]
    fractional = negative.replace("boot_minor_ms: -5", "logon_target_ms: 2.5")
    assert problems_of(fractional) == [
        "x.yaml:5:24: personas.developer.thresholds.logon_target_ms: "
        "Input should be a valid integer, got a number with a fractional part"
    ]


def test_thresholds_are_applied_to_thresholds_so_its_own_rules_hold() -> None:
    text = 'version: "t"\npersonas:\n  developer:\n    thresholds:\n      boot_minor_ms: 130000\n'
    assert problems_of(text) == [
        "x.yaml:5:7: personas.developer.thresholds: "
        "Value error, boot_major_ms must be above boot_minor_ms"
    ]


def test_weight_mistakes() -> None:
    unknown = 'version: "t"\npersonas:\n  developer:\n    weights:\n      printer: 2\n'
    assert problems_of(unknown) == [
        "x.yaml:5:16: personas.developer.weights.printer: Extra inputs are not permitted"
    ]
    all_zero = ", ".join(f"{point}: 0" for point in TOUCH_POINTS)
    zero = f'version: "t"\npersonas:\n  developer:\n    weights: {{{all_zero}}}\n'
    assert problems_of(zero) == [
        "x.yaml:4:5: personas.developer: persona developer: at least one weight must be positive"
    ]


def test_file_level_mistakes() -> None:
    assert problems_of("version: 1.0\npersonas:\n  developer: {}\n") == [
        "x.yaml:1:10: version: Input should be a valid string"
    ]
    assert problems_of('version: "t"\npersonas: {}\n') == [
        "x.yaml:2:11: personas: Dictionary should have at least 1 item after validation, not 0"
    ]
    assert problems_of('version: "t"\nxla: 1\npersonas:\n  developer: {}\n') == [
        "x.yaml:2:6: xla: Extra inputs are not permitted"
    ]
    assert (
        "personas.Call Centre.[key]: String should match pattern"
        in problems_of('version: "t"\npersonas:\n  Call Centre: {objectives: []}\n')[0]
    )


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    text = one_objective(id="a", description="d", kind="share_within", touch_point="logon")
    text = text.replace('version: "t"', "version: 2")
    problems = problems_of(text)
    assert len(problems) == 3
    assert problems[0].startswith("x.yaml:1:10: version:")
    assert any("threshold_ms is required" in p for p in problems)
    assert any("objectives[0].target: Field required" in p for p in problems)


# --- sample_meets ----------------------------------------------------------------

WITHIN_30S = objective(kind="share_within", touch_point="logon", threshold_ms=30_000, target=0.95)
POOR_CALLS = objective(kind="frustrating_share_at_most", touch_point="call", target=0.02)
OVERALL = objective(kind="score_at_least", touch_point="overall", target=75, min_samples=5)
HAPPY = objective(kind="happiness_at_least", touch_point="sentiment", target=40, min_samples=5)


@pytest.mark.parametrize(
    ("measured_ms", "frustrating", "meets"),
    [
        (12_000, False, True),
        (30_000, False, True),  # at the threshold counts as within
        (30_001, False, False),
        (200_000, True, False),
        (5_000, True, False),  # fast but failed
        (None, True, False),  # failed without a duration: a miss
        (None, False, None),  # no duration and no failure: not a timed sample
    ],
)
def test_share_within_samples(measured_ms, frustrating: bool, meets) -> None:
    assert sample_meets(WITHIN_30S, "logon", measured_ms, frustrating) is meets


def test_frustrating_share_counts_the_samples_that_are_not_frustrating() -> None:
    assert sample_meets(POOR_CALLS, "call", None, frustrating=False) is True
    assert sample_meets(POOR_CALLS, "call", 120.0, frustrating=True) is False


def test_samples_of_other_touch_points_and_non_sample_objectives_do_not_count() -> None:
    assert sample_meets(WITHIN_30S, "boot", 1_000, frustrating=False) is None
    assert sample_meets(POOR_CALLS, "vpn", None, frustrating=True) is None
    assert sample_meets(OVERALL, "overall", 1_000, frustrating=False) is None
    assert sample_meets(HAPPY, "sentiment", None, frustrating=False) is None


# --- evaluate -----------------------------------------------------------------------


def test_share_within_compliance() -> None:
    met = evaluate(WITHIN_30S, "call_centre_agent", ObjectiveStats(samples=20, hits=19))
    assert met == Compliance(
        objective_id="o",
        persona="call_centre_agent",
        kind="share_within",
        touch_point="logon",
        value=0.95,
        target=0.95,
        met=True,
        samples=20,
    )
    missed = evaluate(WITHIN_30S, "call_centre_agent", ObjectiveStats(samples=20, hits=18))
    assert (missed.value, missed.met) == (0.9, False)


def test_frustrating_share_value_is_the_frustrating_share() -> None:
    ok = evaluate(POOR_CALLS, "executive", ObjectiveStats(samples=100, hits=98))
    assert (ok.value, ok.met) == (pytest.approx(0.02), True)
    bad = evaluate(POOR_CALLS, "executive", ObjectiveStats(samples=100, hits=97))
    assert (bad.value, bad.met) == (pytest.approx(0.03), False)


def test_score_and_happiness_compliance() -> None:
    assert evaluate(OVERALL, "developer", ObjectiveStats(10, 0, score=75.0)).met is True
    assert evaluate(OVERALL, "developer", ObjectiveStats(10, 0, score=74.9)).met is False
    happy = evaluate(HAPPY, "developer", ObjectiveStats(8, 0, happiness=-12.5))
    assert (happy.value, happy.met, happy.target) == (-12.5, False, 40)


def test_no_data_means_no_verdict() -> None:
    for goal in (WITHIN_30S, POOR_CALLS, OVERALL, HAPPY):
        empty = evaluate(goal, "developer", ObjectiveStats(samples=0, hits=0))
        assert (empty.value, empty.met, empty.samples) == (None, None, 0)
    assert evaluate(OVERALL, "developer", ObjectiveStats(5, 0, score=None)).met is None
    too_few = evaluate(WITHIN_30S, "developer", ObjectiveStats(19, 19))
    assert (too_few.value, too_few.met, too_few.samples) == (None, None, 19)
    assert evaluate(WITHIN_30S, "developer", ObjectiveStats(20, 19)).met is True
    five = objective(
        kind="share_within", touch_point="logon", threshold_ms=1, target=1, min_samples=5
    )
    assert evaluate(five, "developer", ObjectiveStats(4, 4)).met is None
    assert evaluate(five, "developer", ObjectiveStats(5, 5)).met is True


def test_min_samples_defaults_and_must_be_positive() -> None:
    assert WITHIN_30S.min_samples == DEFAULT_MIN_SAMPLES
    assert problems_of(
        one_objective(
            id="a",
            description="d",
            kind="score_at_least",
            touch_point="app",
            target=1,
            min_samples=0,
        )
    ) == [
        "x.yaml:5:97: personas.developer.objectives[0].min_samples: "
        "Input should be greater than or equal to 1"
    ]


def test_impossible_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="hits"):
        ObjectiveStats(samples=3, hits=4)
    with pytest.raises(ValueError, match="hits"):
        ObjectiveStats(samples=3, hits=-1)


# --- failures per exposed hour (issue 11, exposure) ----------------------------


def test_a_rate_objective_is_met_at_or_below_its_target_on_enough_hours() -> None:
    rate = objective(
        kind="failures_per_hour_at_most", touch_point="app", target=0.1, min_samples=100
    )
    judged = evaluate(rate, "developer", ObjectiveStats(120, 0, failures_per_hour=0.1))
    assert (judged.value, judged.met) == (0.1, True)
    assert evaluate(rate, "developer", ObjectiveStats(120, 0, failures_per_hour=0.25)).met is False
    few_hours = evaluate(rate, "developer", ObjectiveStats(99, 0, failures_per_hour=3.0))
    assert (few_hours.value, few_hours.met) == (None, None), "judged on 100 active hours"


def test_a_rate_objective_only_for_touch_points_with_exposure() -> None:
    text = one_objective(
        id="r", description="d", kind="failures_per_hour_at_most", touch_point="logon", target=0.1
    )
    assert problems_of(text) == [
        "x.yaml:5:79: personas.developer.objectives[0].touch_point: Value error, a "
        "failures_per_hour_at_most objective cannot be about logon; use app, vpn"
    ]
