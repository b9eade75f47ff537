"""Field and event switches from ``[privacy]``, applied before an event is spooled.

Reads: ``disabled_events`` and ``disabled_fields`` (``"<event type>.<field>"``) and the
pydantic contract models. Writes: nothing; :attr:`PrivacyFilter.decisions` is what to
drop and blank, as plain data the collector runtime applies to each event
(``privacy_decisions.py``).

Every field can be switched off: an optional field is dropped, a list emptied, a flag
set to its default, a required text field (printer, app name, call id, host) replaced
by ``"redacted"``. The few fields that *are* the measurement (a duration, a state, an
outcome) or the envelope cannot be blanked without making the event meaningless:
switching one off is a configuration error that names the event switch to use instead.
"""

from __future__ import annotations

from pydantic.fields import FieldInfo

from xlapulse.collectors.agent.privacy_decisions import PrivacyDecisions
from xlapulse.collectors.contract.events import TELEMETRY_TYPES

REDACTED = "redacted"
ENVELOPE = {"schema_version", "event_id", "event_type", "event_time", "user_id", "device_id"}
TELEMETRY_MODELS = {model.model_fields["event_type"].default: model for model in TELEMETRY_TYPES}


class PrivacyConfigError(ValueError):
    """A switch names an unknown event or field, or a field that cannot be blanked."""


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


class PrivacyFilter:
    """Drops disabled events and blanks disabled fields."""

    def __init__(self, disabled_events: list[str], disabled_fields: list[str]) -> None:
        unknown = [name for name in disabled_events if name not in TELEMETRY_MODELS]
        if unknown:
            raise PrivacyConfigError(
                f"unknown event types {unknown}; known: {sorted(TELEMETRY_MODELS)}"
            )
        self.disabled_events = set(disabled_events)
        self.blanks: dict[str, dict[str, object]] = {}
        for dotted in disabled_fields:
            event_type, _, name = dotted.partition(".")
            model = TELEMETRY_MODELS.get(event_type)
            if model is None or name not in model.model_fields:
                raise PrivacyConfigError(
                    f'"{dotted}" is not an <event type>.<field> of the contract'
                )
            blank = _blank_value(event_type, name, model.model_fields[name])
            self.blanks.setdefault(event_type, {})[name] = blank
        #: The switches, checked, as plain data for the runtime.
        self.decisions = PrivacyDecisions(frozenset(self.disabled_events), self.blanks)
