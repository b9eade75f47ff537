"""The gateway's route table: one entry per endpoint, shared by the server and the OpenAPI file.

Reads nothing; ``app.py`` binds a handler to each :class:`RouteSpec` and ``openapi.py``
renders the same table, so the description cannot name an endpoint the server lacks.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from xlapulse.collectors.gateway.adapters import ADAPTERS, CSAT_ADAPTERS, secret_source
from xlapulse.collectors.gateway.adapters.generic import GenericTicketChange
from xlapulse.collectors.gateway.survey import SurveyAnswerRequest

AUTH_BY_SOURCE = {
    "servicenow": "bearer",
    "topdesk": "bearer",
    "jira": "jiraSignature",
    "zendesk": "zendeskSignature",
    "generic": "xlapulseSignature",
    "survey": "bearer",
    "helpscout": "helpscoutSignature",
}
# A CSAT endpoint authenticates as its vendor's ticket webhook (same secret and scheme).
AUTH_BY_SOURCE.update({name: AUTH_BY_SOURCE[secret_source(name)] for name in CSAT_ADAPTERS})


@dataclass(frozen=True)
class RouteSpec:
    """One endpoint: method, path, what it does, who may call it and what it reads."""

    method: str
    path: str
    handler: str  # "webhook", "csat", "survey", "health", "ready", "metrics", "openapi"
    summary: str
    source: str | None = None  # the authenticated source of a POST endpoint
    body_model: type[BaseModel] | None = None
    body_doc: str = ""


def _webhook_routes() -> list[RouteSpec]:
    return [
        RouteSpec(
            "POST",
            f"/v1/webhooks/{name}",
            "webhook",
            f"Ticket lifecycle webhook from {name}",
            source=name,
            body_model=GenericTicketChange if name == "generic" else None,
            body_doc=adapter.payload_doc,
        )
        for name, adapter in ADAPTERS.items()
    ]


def _csat_routes() -> list[RouteSpec]:
    return [
        RouteSpec(
            "POST",
            f"/v1/csat/{name}",
            "csat",
            f"A satisfaction answer from {name.split('-')[0]}'s own CSAT feature",
            source=name,
            body_doc=adapter.payload_doc,
        )
        for name, adapter in CSAT_ADAPTERS.items()
    ]


ROUTES: tuple[RouteSpec, ...] = (
    *_webhook_routes(),
    *_csat_routes(),
    RouteSpec(
        "POST",
        "/v1/surveys/answers",
        "survey",
        "A survey answer (0-10 score, optional comment and lost minutes)",
        source="survey",
        body_model=SurveyAnswerRequest,
    ),
    RouteSpec("GET", "/health", "health", "Liveness: the process serves HTTP"),
    RouteSpec("GET", "/ready", "ready", "Readiness: Kafka reachable and accepting events"),
    RouteSpec("GET", "/metrics", "metrics", "Prometheus metrics"),
    RouteSpec("GET", "/openapi.json", "openapi", "This OpenAPI description"),
)
