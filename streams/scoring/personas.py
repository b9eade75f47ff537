"""Personas: groups of employees with their own experience thresholds.

A user's events are scored under the persona of their latest directory
assignment; users without one are scored as ``unassigned`` with the
knowledge-worker thresholds, so nothing is dropped while the directory syncs.
"""

from __future__ import annotations

from dataclasses import dataclass

UNASSIGNED = "unassigned"
UNKNOWN_SITE = "unknown"


@dataclass(frozen=True)
class Persona:
    """Thresholds for one persona; ``logon_target_ms`` is the Apdex T of a logon."""

    name: str
    logon_target_ms: int


DEFAULT_PERSONAS: dict[str, Persona] = {
    persona.name: persona
    for persona in (
        Persona("knowledge_worker", logon_target_ms=30_000),
        Persona("call_centre_agent", logon_target_ms=20_000),
        Persona("field_worker", logon_target_ms=45_000),
        Persona("developer", logon_target_ms=30_000),
        Persona("executive", logon_target_ms=20_000),
    )
}


def persona_for(name: str, personas: dict[str, Persona] = DEFAULT_PERSONAS) -> Persona:
    """The persona by name; unknown names get knowledge-worker thresholds under their own name."""
    if name in personas:
        return personas[name]
    fallback = personas.get("knowledge_worker", DEFAULT_PERSONAS["knowledge_worker"])
    return Persona(name, logon_target_ms=fallback.logon_target_ms)
