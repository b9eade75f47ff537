"""``xlapulse contract export``: the event contract's JSON Schema files.

Reads the contract's pydantic models (``contract/schema_export.py`` renders them); writes
the schema files into ``collectors/contract/schemas/`` and their paths on stdout, or with
``--check`` writes nothing and fails if a committed file differs.
"""

from __future__ import annotations

import click


@click.group()
def contract() -> None:
    """The event contract."""


@contract.command("export")
@click.option("--check", is_flag=True, help="Fail if the committed schemas differ.")
def contract_export(check: bool) -> None:
    """Write the JSON Schema files of the contract (collectors/contract/schemas/)."""
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
    for path in write_schemas():
        click.echo(path)
