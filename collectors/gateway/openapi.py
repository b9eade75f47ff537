"""Render the OpenAPI 3.1 description of the gateway from the route table.

Reads ``routes.ROUTES`` and the pydantic request models; writes nothing: ``xlapulse
gateway --export-openapi [PATH]`` prints the rendering or writes it to PATH (the committed
copy is ``openapi.json`` next to this module; a unit test fails when it differs).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from xlapulse.collectors.gateway.routes import AUTH_BY_SOURCE, ROUTES, RouteSpec

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
VERSION = "1.0.0"

SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "A per-source token."},
    "jiraSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Hub-Signature",
        "description": "sha256=<hex HMAC-SHA256(secret, raw body)>, Jira admin webhook secret.",
    },
    "zendeskSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Zendesk-Webhook-Signature",
        "description": "base64(HMAC-SHA256(secret, X-Zendesk-Webhook-Signature-Timestamp + "
        "raw body)).",
    },
    "helpscoutSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-HelpScout-Signature",
        "description": "base64(HMAC-SHA1(secret, raw body)), Help Scout's webhook secret.",
    },
    "xlapulseSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Xlapulse-Signature",
        "description": "sha256=<hex HMAC-SHA256(secret, raw body)>; a bearer token also works.",
    },
}

RESULT_SCHEMA = {
    "type": "object",
    "properties": {
        "stored": {"type": "integer", "description": "Events Kafka acknowledged."},
        "duplicates": {"type": "integer", "description": "Events already stored recently."},
        "event_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
        "ignored": {
            "type": "string",
            "description": "Why nothing was stored: the delivery is no ticket lifecycle event "
            "(e.g. a Jira comment_created or a Zendesk user event).",
        },
    },
    "required": ["stored", "duplicates", "event_ids"],
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "string"}},
    "required": ["error"],
}


def render_openapi() -> dict[str, Any]:
    """The OpenAPI document as a dict."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Result": RESULT_SCHEMA, "Error": ERROR_SCHEMA}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "xlapulse ITSM and survey gateway",
            "version": VERSION,
            "description": "Service-desk webhooks and survey answers in, contract events on "
            "Kafka out. A 2xx answer means Kafka acknowledged every event (acks=all).",
        },
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


def render_openapi_text() -> str:
    return json.dumps(render_openapi(), indent=2, sort_keys=True) + "\n"


def _operation(route: RouteSpec, schemas: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": route.summary,
        "operationId": route.handler + ("_" + route.source if route.source else ""),
    }
    if route.method == "GET":
        operation["responses"] = {"200": {"description": "OK"}}
        if route.handler == "ready":
            operation["responses"]["503"] = {"description": "Kafka not reachable"}
        return operation
    operation["security"] = [{AUTH_BY_SOURCE[route.source or ""]: []}]
    operation["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": _body_schema(route, schemas)}},
    }
    operation["responses"] = _post_responses()
    return operation


def _body_schema(route: RouteSpec, schemas: dict[str, Any]) -> dict[str, Any]:
    if route.body_model is None:
        return {"type": "object", "description": route.body_doc}
    name = route.body_model.__name__
    schema = route.body_model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


def _post_responses() -> dict[str, Any]:
    def reply(description: str, schema: str) -> dict[str, Any]:
        ref = {"$ref": f"#/components/schemas/{schema}"}
        return {"description": description, "content": {"application/json": {"schema": ref}}}

    retry = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}}
    return {
        "200": reply("Stored, already stored (a duplicate delivery) or ignored", "Result"),
        "400": reply("Malformed payload; a redacted copy went to the dead-letter topic", "Error"),
        "401": reply("Not authenticated", "Error"),
        "413": {"description": "Body larger than the limit"},
        "415": reply("Content type is not application/json", "Error"),
        "429": {**reply("Rate limit of this source exceeded", "Error"), "headers": retry},
        "503": {**reply("Kafka did not acknowledge; retry later", "Error"), "headers": retry},
    }
