"""The environment-variable settings as help text, for ``xlapulse --help`` and its commands.

Reads the pydantic settings models (field names, descriptions and defaults); writes
nothing. Secrets and empty defaults show no default. Generated from the models, so a new
setting is listed as soon as it exists.
"""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings

#: click keeps a paragraph that starts with this line as it is (no rewrapping).
_KEEP_LINES = "\b"


def settings_lines(
    model: type[BaseSettings], skip: type[BaseSettings] | None = None
) -> list[tuple[str, str]]:
    """(variable, "description [default]") per field of ``model`` not in ``skip``; a
    secret or empty default is not shown."""
    prefix = model.model_config.get("env_prefix", "")
    inherited = set(skip.model_fields) if skip else set()
    lines = []
    for name, field in model.model_fields.items():
        if name in inherited:
            continue
        default = field.get_default(call_default_factory=True)
        shown = "" if isinstance(default, SecretStr) or default == "" else f" [{default}]"
        lines.append((f"{prefix}{name}".upper(), f"{field.description or name}{shown}"))
    return lines


def settings_epilog(title: str, lines: list[tuple[str, str]]) -> str:
    """A click epilog: the title, then one aligned line per variable."""
    width = max(len(variable) for variable, _ in lines)
    body = "\n".join(f"  {variable:<{width}}  {text}" for variable, text in lines)
    return f"{title}\n\n{_KEEP_LINES}\n{body}"
