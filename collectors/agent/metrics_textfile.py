"""The collector service's counters as a Prometheus text file (node_exporter's textfile collector).

Reads: the per-source health the daemon keeps (``daemon.SourceHealth``). Writes: the file
named by ``[metrics] textfile`` after every round, replaced atomically (a temporary file
renamed over it), so node_exporter never reads half a file. The service opens no port:
node_exporter's ``--collector.textfile.directory`` (or any agent that reads the format)
publishes the counters. Counters since the service started:

* ``xlapulse_collector_rounds_total{source}``
* ``xlapulse_collector_events_total{source}`` (spooled, after the privacy filter)
* ``xlapulse_collector_skipped_records_total{source}`` (not in the source's format)
* ``xlapulse_collector_unparsed_lines_total{source,reason}`` (selected, not mapped;
  a record the source raised on has the reason ``rejected (<error type>)``)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol


class Health(Protocol):
    rounds: int
    events: int
    skipped_records: int
    unparsed: dict[str, int]


COUNTERS = (
    ("rounds", "Rounds a source ran without failing."),
    ("events", "Events spooled, after the privacy filter."),
    ("skipped_records", "Records not in the source's format."),
)


def render(health: Mapping[str, Health]) -> str:
    """The Prometheus text exposition of ``health``, sources sorted by name."""
    lines: list[str] = []
    for field, help_text in COUNTERS:
        name = f"xlapulse_collector_{field}_total"
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
        lines += [
            f'{name}{{source="{source}"}} {getattr(h, field)}'
            for source, h in sorted(health.items())
        ]
    name = "xlapulse_collector_unparsed_lines_total"
    lines += [
        f"# HELP {name} Lines a source selected as concerning a touch point but could not map.",
        f"# TYPE {name} counter",
    ]
    for source, h in sorted(health.items()):
        lines += [
            f'{name}{{source="{source}",reason="{reason}"}} {count}'
            for reason, count in sorted(h.unparsed.items())
        ]
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
