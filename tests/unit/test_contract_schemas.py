"""The committed JSON Schemas match the code, and accept what the code produces."""

from __future__ import annotations

import json

import jsonschema
import pytest
from click.testing import CliRunner

from xlapulse.collectors.cli import main
from xlapulse.collectors.contract.codec import encode_event
from xlapulse.collectors.contract.schema_export import SCHEMA_DIR, render_schemas
from xlapulse.collectors.gateway.openapi import render_openapi_text

from .test_contract import ONE_OF_EACH


def test_committed_schemas_have_not_drifted() -> None:
    rendered = render_schemas()
    committed = {path.name: path.read_text() for path in SCHEMA_DIR.glob("*.json")}
    assert committed == rendered, (
        "run `xlapulse contract export --output collectors/contract/schemas` and commit"
    )


@pytest.mark.parametrize("event", ONE_OF_EACH, ids=lambda e: e.event_type)
def test_a_non_python_producer_can_validate_against_the_schemas(event) -> None:
    document = json.loads(encode_event(event))
    union = json.loads((SCHEMA_DIR / "event.schema.json").read_text())
    own = json.loads((SCHEMA_DIR / f"{event.event_type}.schema.json").read_text())
    jsonschema.Draft202012Validator(union, format_checker=jsonschema.FormatChecker()).validate(
        document
    )
    jsonschema.Draft202012Validator(own).validate(document)


def test_schemas_reject_a_clear_text_user_name() -> None:
    document = json.loads(encode_event(ONE_OF_EACH[1]))
    document["user_id"] = "jdoe@corp.example"
    logon = json.loads((SCHEMA_DIR / "logon.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError, match="does not match"):
        jsonschema.validate(document, logon)


def test_export_prints_or_writes_where_told_never_into_the_package(tmp_path) -> None:
    runner = CliRunner()
    printed = runner.invoke(main, ["contract", "export"])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output) == {
        name: json.loads(text) for name, text in render_schemas().items()
    }
    written = runner.invoke(main, ["contract", "export", "--output", str(tmp_path / "s")])
    assert written.exit_code == 0, written.output
    assert {p.name: p.read_text() for p in (tmp_path / "s").glob("*.json")} == render_schemas()
    openapi = runner.invoke(main, ["gateway", "--export-openapi"])
    assert openapi.exit_code == 0 and openapi.output == render_openapi_text()
    target = tmp_path / "openapi.json"
    runner.invoke(main, ["gateway", "--export-openapi", str(target)])
    assert target.read_text() == render_openapi_text()
