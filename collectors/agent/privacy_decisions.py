"""The ``[privacy]`` switches as plain data, applied to wire events (dicts) before spooling.

Reads: nothing; :func:`~xlapulse.collectors.agent.privacy_filter.decide_privacy` (which
needs the pydantic contract models) decides, once, which event types are dropped and
which fields are blanked with what, and hands the result to the collector runtime as a
:class:`PrivacyDecisions`. Writes: nothing; :meth:`PrivacyDecisions.apply` returns the
event to send or None.

A blank value of None removes the field, as the pydantic path did (``model_copy`` with
None, then serialized without None values).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PrivacyDecisions:
    """Event types never sent, and per event type the fields to blank with their blank."""

    disabled_events: frozenset[str] = frozenset()
    blanks: dict[str, dict[str, object]] = field(default_factory=dict)

    def apply(self, event: dict) -> dict | None:
        event_type = event["event_type"]
        if event_type in self.disabled_events:
            return None
        blanks = self.blanks.get(event_type)
        if not blanks:
            return event
        kept = {name: value for name, value in event.items() if name not in blanks}
        kept.update((name, blank) for name, blank in blanks.items() if blank is not None)
        return kept

    def is_sent(self, event_type: str, field: str | None = None) -> bool:
        """Whether an event type (or one of its fields) leaves the device unchanged."""
        if event_type in self.disabled_events:
            return False
        return field is None or field not in self.blanks.get(event_type, {})

    def to_document(self) -> dict:
        """JSON-ready form for the hand-over to the runtime."""
        return {"disabled_events": sorted(self.disabled_events), "blanks": self.blanks}

    @classmethod
    def from_document(cls, document: dict) -> PrivacyDecisions:
        return cls(frozenset(document["disabled_events"]), document["blanks"])
