"""Field and event switches from ``[privacy]``, checked once against the contract.

Reads: ``disabled_events`` and ``disabled_fields`` (``"<event type>.<field>"``) and the
pydantic contract models. Writes: nothing; :func:`decide_privacy` (or, given the config's
``[privacy]`` section, :func:`decide_config_privacy`) returns what to drop
and blank as a :class:`PrivacyDecisions`, plain data the collector runtime applies to
each event (``privacy_decisions.py``).

Every field can be switched off: an optional field is dropped, a list emptied, a flag
set to its default, a required text field (printer, app name, call id, host) replaced
by ``"redacted"``. The few fields that *are* the measurement (a duration, a state, an
outcome) or the envelope cannot be blanked without making the event meaningless:
switching one off is a configuration error that names the event switch to use instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic.fields import FieldInfo

from xlapulse.collectors.agent.privacy_decisions import PrivacyDecisions
from xlapulse.collectors.contract.events import TELEMETRY_TYPES

if TYPE_CHECKING:
    from xlapulse.collectors.agent.config import PrivacyConfig

REDACTED = "redacted"
ENVELOPE = {"schema_version", "event_id", "event_type", "event_time", "user_id", "device_id"}
TELEMETRY_MODELS = {model.model_fields["event_type"].default: model for model in TELEMETRY_TYPES}


class PrivacyConfigError(ValueError):
    """A switch names an unknown event or field, or a field that cannot be blanked."""


def decide_privacy(disabled_events: list[str], disabled_fields: list[str]) -> PrivacyDecisions:
    """The checked switches: event types never sent, and per event type each switched-off
    field with its blank. Raises :class:`PrivacyConfigError` for a switch that is wrong."""
    unknown = [name for name in disabled_events if name not in TELEMETRY_MODELS]
    if unknown:
        known = sorted(TELEMETRY_MODELS)
        raise PrivacyConfigError(f"unknown event types {unknown}; known: {known}")
    blanks: dict[str, dict[str, object]] = {}
    for dotted in disabled_fields:
        event_type, _, name = dotted.partition(".")
        model = TELEMETRY_MODELS.get(event_type)
        if model is None or name not in model.model_fields:
            raise PrivacyConfigError(f'"{dotted}" is not an <event type>.<field> of the contract')
        blanks.setdefault(event_type, {})[name] = _blank_value(
            event_type, name, model.model_fields[name]
        )
    return PrivacyDecisions(frozenset(disabled_events), blanks)


def decide_config_privacy(privacy: PrivacyConfig) -> PrivacyDecisions:
    """:func:`decide_privacy` for a collector config's ``[privacy]`` section."""
    return decide_privacy(privacy.disabled_events, privacy.disabled_fields)


def _blank_value(event_type: str, name: str, info: FieldInfo) -> object:
    if name in ENVELOPE:
        raise PrivacyConfigError(f"{event_type}.{name} is part of every event's envelope")
    if not info.is_required():
        return info.get_default(call_default_factory=True)
    if info.annotation is str:
        return REDACTED
    raise PrivacyConfigError(
        f"{event_type}.{name} is the measurement itself; switch the whole event off with "
        f'disabled_events = ["{event_type}"]'
    )
