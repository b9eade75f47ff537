"""Load a YAML file into a pydantic model, with errors that name the file and line.

Used for the hand-written files of xlapulse: XLA definitions (streams) and
simulator scenarios (collectors). Reads one YAML file; writes nothing.

Every problem is reported as ``file:line:column: where: what``, e.g.::

    xlas.yaml:14:17: personas.call_centre_agent.objectives[0].target_ratio:
        Input should be less than or equal to 1

PyYAML silently keeps the last of two equal keys; here a duplicate key is an
error, because in a target file it is almost always a copy-paste mistake.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


class YamlFileError(ValueError):
    """A YAML file is unreadable, not YAML, or does not match its model."""

    def __init__(self, path: Path | str, problems: Sequence[str]) -> None:
        self.path = Path(path)
        self.problems = list(problems)
        super().__init__(f"{self.path}: invalid file\n  " + "\n  ".join(self.problems))


def _position(path: Path, node: yaml.Node | None) -> str:
    if node is None:
        return f"{path}"
    return f"{path}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def _node_at(root: yaml.Node | None, location: Sequence[int | str]) -> yaml.Node | None:
    """The deepest node along a pydantic error location (falls back to the nearest parent)."""
    node = root
    for step in location:
        if isinstance(node, yaml.MappingNode):
            child = next((value for key, value in node.value if key.value == str(step)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            child = node.value[step] if 0 <= step < len(node.value) else None
        else:
            child = None
        if child is None:
            return node
        node = child
    return node


def _duplicate_keys(path: Path, node: yaml.Node | None, trail: str = "") -> list[str]:
    problems: list[str] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            where = f"{trail}.{key.value}" if trail else str(key.value)
            if key.value in seen:
                problems.append(f"{_position(path, key)}: {where}: duplicate key")
            seen.add(key.value)
            problems += _duplicate_keys(path, value, where)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _duplicate_keys(path, item, f"{trail}[{index}]")
    return problems


def _where(location: Sequence[int | str]) -> str:
    text = ""
    for step in location:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text or "(top level)"


def load_yaml_model(path: Path | str, model: type[ModelT]) -> ModelT:
    """Parse and validate ``path`` as ``model``; :class:`YamlFileError` lists every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise YamlFileError(path, [f"{path}: cannot read: {error}"]) from error
    return parse_yaml_model(text, model, path)


def parse_yaml_model(text: str, model: type[ModelT], path: Path | str = "<text>") -> ModelT:
    """Like :func:`load_yaml_model`, for YAML already in memory; ``path`` names it in errors."""
    path = Path(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else f"{path}"
        raise YamlFileError(path, [f"{where}: not valid YAML: {error.problem}"]) from error
    duplicates = _duplicate_keys(path, root)
    if duplicates:
        raise YamlFileError(path, duplicates)
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as error:
        problems = [
            f"{_position(path, _node_at(root, detail['loc']))}: {_where(detail['loc'])}: "
            f"{detail['msg']}"
            for detail in error.errors(include_url=False)
        ]
        raise YamlFileError(path, problems) from error
