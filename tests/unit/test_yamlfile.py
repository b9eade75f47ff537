"""The YAML loader reports file, line and column for every kind of problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from xlapulse.collectors.yamlfile import YamlFileError, load_yaml_model, parse_yaml_model


class Objective(BaseModel):
    model_config = ConfigDict(extra="forbid")
    touch_point: str
    target_ratio: float = Field(ge=0, le=1)


class Targets(BaseModel):
    model_config = ConfigDict(extra="forbid")
    objectives: list[Objective]


def test_valid_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text("objectives:\n  - touch_point: logon\n    target_ratio: 0.95\n")
    assert load_yaml_model(path, Targets).objectives[0].target_ratio == 0.95


def test_value_error_names_file_line_column_and_field() -> None:
    text = "objectives:\n  - touch_point: logon\n    target_ratio: 1.5\n"
    with pytest.raises(YamlFileError) as caught:
        parse_yaml_model(text, Targets, "xlas.yaml")
    assert caught.value.problems == [
        "xlas.yaml:3:19: objectives[0].target_ratio: Input should be less than or equal to 1"
    ]


def test_unknown_and_missing_keys_are_both_reported() -> None:
    text = "objectives:\n  - touch_pont: logon\n    target_ratio: 0.9\n"
    with pytest.raises(YamlFileError) as caught:
        parse_yaml_model(text, Targets, "x.yaml")
    problems = caught.value.problems
    assert "x.yaml:2:5: objectives[0].touch_point: Field required" in problems
    assert "x.yaml:2:17: objectives[0].touch_pont: Extra inputs are not permitted" in problems


def test_syntax_error_has_a_line() -> None:
    with pytest.raises(YamlFileError, match=r"x.yaml:2:\d+: not valid YAML"):
        parse_yaml_model("objectives:\n  - a: b: c\n", Targets, "x.yaml")


def test_duplicate_key_is_an_error() -> None:
    text = "objectives: []\nobjectives: []\n"
    with pytest.raises(YamlFileError, match=r"x.yaml:2:1: objectives: duplicate key"):
        parse_yaml_model(text, Targets, "x.yaml")


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(YamlFileError, match="cannot read"):
        load_yaml_model(tmp_path / "missing.yaml", Targets)
