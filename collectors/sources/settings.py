"""The base of the sources' configuration tables, ``[sources.<name>]``; each table is in its
source's folder (``<name>/settings.py``), apart from the source's code.

Reads and writes nothing. Apart from the code so the collector validates every table
(unknown keys are errors, on every OS) while importing the code of only the sources it
runs: the Windows event log source with its XML parser is not loaded on Linux, the macOS
and Graph sources not on a laptop that does not enable them. ``settings_model(name)``
gives the table of a registered source (``agent/config.py`` builds ``[sources]`` from
them).

The collector service never imports this module (nor pydantic): ``xlapulse collector
run`` validates the tables here, and hands each enabled source's
``model_dump(mode="json")`` to the runtime, where the source reads it through
``sources.settings_view`` (attributes, as on the model). Why not stdlib dataclasses
validated with a TypeAdapter: every class would still be imported by the runtime (with
its Field metadata) for no use, and the settings keep one definition, in the folder. What a source
may rely on is therefore the JSON form of a field: a URL is its normalised text
(``str(target.url)`` reads the same on the model and on the view).
"""

from __future__ import annotations

import importlib

from pydantic import BaseModel, ConfigDict


class Table(BaseModel):
    """A TOML table (``[sources.<name>]`` here, the agent's others in agent/config.py): an
    unknown key is an error, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


def settings_model(name: str) -> type[Table]:
    """The settings table of the source registered as ``name`` (``<name>/settings.py``)."""
    from xlapulse.collectors.sources import SOURCES

    spec = SOURCES[name]
    module = importlib.import_module(f"xlapulse.collectors.sources.{name}.settings")
    return getattr(module, spec.settings_class)
