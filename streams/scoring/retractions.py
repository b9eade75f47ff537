"""Retractions: points a cell published earlier and publishes no longer, to delete.

Most figures of a cell only firm up as observations come in: the people they rest on
never decrease, so a point, once published, is rewritten with every change. Figures that
rest on exposed time do not: the exposure clock (``exposure_clock.py``) credits an open
session or tunnel ahead of its close, and a close that arrives late (another input
partition ran ahead) takes that credit back. A window can so fall below five exposed
people (``reliability``), an XLA objective on failures per exposed hour below the exposed
hours it is judged on (``xla_compliance`` of kind ``failures_per_hour_at_most``), or a
VPN window below five people down (its ``down_hours`` go), after its point was published.
InfluxDB keeps a point that is not written again, and merges the fields of one that is:
:func:`retractions` names the points to delete before the cell's records are written, so
the published points depend on the final cell only, whatever order the observations came
in (``tests/unit/test_exposure.py``, ``tests/faults``).

Reads the cell's records now (``records.cell_records``) and what the cell remembers it
published (``Cell.retractable_published``, updated here; the caller stores the cell).
Writes nothing: returns the points to delete as records without fields.
"""

from __future__ import annotations

import json

from xlapulse.streams.scoring.cells import Cell
from xlapulse.streams.scoring.exposure_clock import ExposureClock
from xlapulse.streams.scoring.published import RELIABILITY, XLA_COMPLIANCE, Record

#: the XLA objective kind judged on exposed hours
EXPOSURE_OBJECTIVE_KIND = "failures_per_hour_at_most"


def is_retractable(record: Record) -> bool:
    """A record whose people or samples can decrease: it rests on exposed time."""
    return record.measurement == RELIABILITY or (
        record.measurement == XLA_COMPLIANCE and record.tags.get("kind") == EXPOSURE_OBJECTIVE_KIND
    )


def retractions(cell: Cell | ExposureClock, published: list[Record]) -> list[Record]:
    """The points to delete before ``published`` (every record the cell has now) is
    written: a retractable point published earlier and not now, or now without a field
    it had (a rewrite would keep the old field)."""
    if isinstance(cell, ExposureClock):
        return []
    now = {_series_id(record): record for record in published if is_retractable(record)}
    gone = []
    for series_id, stored in sorted(cell.retractable_published.items()):
        record = now.get(series_id)
        if record is None or not set(stored["fields"]) <= set(record.fields):
            gone.append(Record(stored["measurement"], stored["tags"], {}, stored["time_ns"]))
    cell.retractable_published = {
        series_id: {
            "measurement": record.measurement,
            "tags": record.tags,
            "fields": sorted(record.fields),
            "time_ns": record.time_ns,
        }
        for series_id, record in now.items()
    }
    return gone


def _series_id(record: Record) -> str:
    return json.dumps([record.measurement, sorted(record.tags.items())])
