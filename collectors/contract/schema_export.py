"""Export the contract as JSON Schema files (one per event type plus the union).

Writes ``collectors/contract/schemas/*.json``; ``xlapulse contract export --output``
regenerates them and ``tests/unit/test_contract_schemas.py`` fails on drift.
"""

from __future__ import annotations

import json
from pathlib import Path

from xlapulse.collectors.contract.events import EVENT_ADAPTER, EVENT_TYPES, SCHEMA_VERSION
from xlapulse.collectors.contract.outputs import OUTPUT_TYPES
from xlapulse.collectors.contract.wire import SCHEMA_DIR

SCHEMA_ID_BASE = "https://xlapulse.dev/schemas/v1"


def render_schemas() -> dict[str, str]:
    """File name -> JSON text for every schema, deterministic (sorted keys, fixed indent)."""
    documents = {
        f"{event_type}.schema.json": model.model_json_schema()
        for event_type, model in sorted(EVENT_TYPES.items())
    }
    documents["event.schema.json"] = EVENT_ADAPTER.json_schema()
    # The engine's outward events (dips, notices) are not inputs: not in the union.
    documents.update(
        (f"{event_type}.schema.json", model.model_json_schema())
        for event_type, model in OUTPUT_TYPES.items()
    )
    rendered = {}
    for file_name, document in documents.items():
        document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        document["$id"] = f"{SCHEMA_ID_BASE}/{file_name}"
        document["x-xlapulse-schema-version"] = SCHEMA_VERSION
        rendered[file_name] = json.dumps(document, indent=2, sort_keys=True) + "\n"
    return rendered


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema file, removing stale ones; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    rendered = render_schemas()
    for stale in directory.glob("*.json"):
        if stale.name not in rendered:
            stale.unlink()
    paths = []
    for file_name, text in rendered.items():
        path = directory / file_name
        path.write_text(text)
        paths.append(path)
    return paths
