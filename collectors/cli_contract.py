"""``xlapulse contract export``: the event contract's JSON Schema files.

Reads the contract's pydantic models (``contract/schema_export.py`` renders them); writes
the schema files into the folder ``--output`` names (the repository's copy is
``collectors/contract/schemas/``), or prints them to stdout as one JSON object (file
name -> schema); never into the installed package. ``--check`` writes nothing and fails
if the packaged files differ.
"""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group()
def contract() -> None:
    """The event contract."""


@contract.command("export")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the *.schema.json files into (created if missing; stale ones "
    "removed). Default: print them to stdout as one JSON object.",
)
@click.option("--check", is_flag=True, help="Fail if the packaged schemas differ.")
def contract_export(output: Path | None, check: bool) -> None:
    """Export the JSON Schema files of the contract; regenerate the committed ones with
    --output collectors/contract/schemas."""
    from xlapulse.collectors.contract.schema_export import SCHEMA_DIR, render_schemas, write_schemas

    if check:
        stale = [
            name
            for name, text in render_schemas().items()
            if not (SCHEMA_DIR / name).exists() or (SCHEMA_DIR / name).read_text() != text
        ]
        if stale:
            raise click.ClickException(f"schemas out of date: {', '.join(stale)}")
        click.echo("schemas up to date")
        return
    if output is None:
        documents = {name: json.loads(text) for name, text in render_schemas().items()}
        click.echo(json.dumps(documents, indent=2, sort_keys=True))
        return
    for path in write_schemas(output):
        click.echo(path)
