"""Personas: groups of employees with their own thresholds and touch-point weights.

A user's events are scored under the persona of their latest directory
assignment; users without one are scored as ``unassigned`` with the
knowledge-worker thresholds, so nothing is dropped while the directory syncs.

Reads and writes nothing: the defaults below are code; an XLA file
(``streams/scoring/xla.py``) may override thresholds and weights per persona.

Default thresholds come from published references (see DOMAIN.md):

* boot: Windows Diagnostics-Performance, > 60 s minor and > 120 s major degradation;
* logon, app transactions, synthetic probes: Apdex target T (tolerating up to 4T);
* calls: the Teams Call Quality Dashboard "poor stream" rules;
* VPN drops, crashes, hangs without a duration, print failures: a fixed time
  lost per incident (our assumption, stated here so it can be argued with).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

UNASSIGNED = "unassigned"
UNKNOWN_SITE = "unknown"

#: Touch points of endpoint telemetry, in the order dashboards show them.
TELEMETRY_TOUCH_POINTS = ("boot", "logon", "vpn", "app", "call", "print", "probe")
#: The service-desk experience of tickets is a touch point of its own.
SERVICE_DESK = "service_desk"
TOUCH_POINTS = (*TELEMETRY_TOUCH_POINTS, SERVICE_DESK)


@dataclass(frozen=True)
class Thresholds:
    """Where good ends and frustrating begins, per touch point (units in the names)."""

    boot_minor_ms: int = 60_000
    boot_major_ms: int = 120_000
    logon_target_ms: int = 30_000
    app_transaction_target_ms: int = 3_000
    probe_target_ms: int = 1_500
    call_max_network_mos_degradation: float = 1.0
    call_max_round_trip_ms: float = 500.0
    call_max_packet_loss_ratio: float = 0.1
    call_max_jitter_ms: float = 30.0
    call_max_concealed_sample_ratio: float = 0.07
    vpn_drop_cost_ms: int = 300_000
    app_crash_cost_ms: int = 180_000
    app_hang_cost_ms: int = 60_000
    print_failure_cost_ms: int = 300_000
    probe_failure_cost_ms: int = 60_000
    ticket_first_contact_target_ms: int = 4 * 3_600_000
    ticket_resolution_target_ms: int = 3 * 86_400_000

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value <= 0:
                raise ValueError(f"threshold {name} must be positive, got {value}")
        if self.boot_major_ms <= self.boot_minor_ms:
            raise ValueError("boot_major_ms must be above boot_minor_ms")


def _weights(**weights: float) -> MappingProxyType[str, float]:
    unknown = set(weights) - set(TOUCH_POINTS)
    if unknown:
        raise ValueError(f"unknown touch points in weights: {sorted(unknown)}")
    return MappingProxyType({point: float(weights.get(point, 0.0)) for point in TOUCH_POINTS})


EQUAL_WEIGHTS = _weights(**dict.fromkeys(TOUCH_POINTS, 1.0))


@dataclass(frozen=True)
class Persona:
    """A group of employees: thresholds plus how much each touch point matters to them.

    ``weights`` are relative (they need not sum to 1); a touch point with weight
    0 is still measured and shown, but does not move the persona's overall score.
    """

    name: str
    thresholds: Thresholds = field(default_factory=Thresholds)
    weights: MappingProxyType[str, float] = field(default_factory=lambda: EQUAL_WEIGHTS)
    description: str = ""

    def __post_init__(self) -> None:
        if any(weight < 0 for weight in self.weights.values()):
            raise ValueError(f"persona {self.name}: weights must not be negative")
        if not any(self.weights.values()):
            raise ValueError(f"persona {self.name}: at least one weight must be positive")

    def with_overrides(
        self, thresholds: dict[str, Any] | None = None, weights: dict[str, float] | None = None
    ) -> Persona:
        """A copy with some thresholds and weights replaced (from an XLA file)."""
        return replace(
            self,
            thresholds=replace(self.thresholds, **(thresholds or {})),
            weights=_weights(**{**self.weights, **(weights or {})}),
        )


DEFAULT_PERSONAS: dict[str, Persona] = {
    persona.name: persona
    for persona in (
        Persona(
            "knowledge_worker",
            description="Office and hybrid staff living in mail, documents and meetings.",
            weights=_weights(
                boot=1, logon=2, vpn=1, app=2, call=2, print=1, probe=1, service_desk=2
            ),
        ),
        Persona(
            "call_centre_agent",
            description="Takes calls all day in a CRM; a slow sign-in keeps callers waiting.",
            thresholds=Thresholds(logon_target_ms=20_000, app_transaction_target_ms=2_000),
            weights=_weights(boot=1, logon=3, app=3, call=4, probe=1, service_desk=2),
        ),
        Persona(
            "field_worker",
            description="On the road on a laptop; lives on the VPN and mobile networks.",
            thresholds=Thresholds(logon_target_ms=45_000, probe_target_ms=2_500),
            weights=_weights(
                boot=1, logon=1, vpn=4, app=2, call=1, print=1, probe=1, service_desk=2
            ),
        ),
        Persona(
            "developer",
            description="Builds software; sensitive to slow tools, less to printing.",
            weights=_weights(boot=2, logon=1, vpn=2, app=3, call=1, probe=1, service_desk=1),
        ),
        Persona(
            "executive",
            description="Little time, many meetings; calls and a fast start matter most.",
            thresholds=Thresholds(logon_target_ms=20_000),
            weights=_weights(
                boot=2, logon=2, vpn=1, app=1, call=4, print=2, probe=1, service_desk=3
            ),
        ),
    )
}


def persona_for(name: str, personas: dict[str, Persona] | None = None) -> Persona:
    """The persona by name; unknown names get knowledge-worker settings under their own name."""
    known = DEFAULT_PERSONAS if personas is None else personas
    if name in known:
        return known[name]
    fallback = known.get("knowledge_worker", DEFAULT_PERSONAS["knowledge_worker"])
    return replace(fallback, name=name, description="")
