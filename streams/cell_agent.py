"""``aggregate_cells``: observations counted in persona x site window cells, then InfluxDB.

Reads ``<engine id>-observations`` (keyed by persona|site, JSON arrays from
``internal_codec.py``); writes the cells' published records to InfluxDB through the
sink (first deleting the points a cell no longer publishes, ``scoring/retractions.py``)
and the cells to the ``cells`` table (``scoring/cells.py``, ``scoring/records.py``),
with each persona and site's exposure clock (``scoring/exposure_clock.py``).
Cells are decoded once per batch, counted in memory and written back once each, and
only after InfluxDB accepted their points: a worker that dies before recounts the
redelivered observations and writes the same points; had it stored the cells first, the
redelivery would find them counted and write none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from faust.types import StreamT
from mode import CrashingSupervisor

from xlapulse.streams import metrics
from xlapulse.streams.engine_app import EngineParts, sweep
from xlapulse.streams.internal_codec import observations_of
from xlapulse.streams.scoring.cells import Cell
from xlapulse.streams.scoring.exposure_clock import ExposureClock, stored_cell
from xlapulse.streams.scoring.pipeline import update_cells
from xlapulse.streams.scoring.published import Record
from xlapulse.streams.scoring.records import cell_records
from xlapulse.streams.scoring.retractions import retractions
from xlapulse.streams.sink.points import record_to_point


def add_cell_agent(parts: EngineParts) -> None:
    settings, config = parts.settings, parts.config
    observations_name = parts.observations_topic.get_topic_name()

    @parts.app.agent(parts.observations_topic, supervisor_strategy=CrashingSupervisor)
    async def aggregate_cells(stream: StreamT) -> None:
        batches = parts.batches(stream, settings.sink_batch_size, settings.sink_batch_within_s)
        async for events in batches:
            batch: dict[str, Cell | ExposureClock] = {}
            lookup = _batch_lookup(batch, parts.cells)
            for event in events:
                for observation in observations_of(event.message):
                    for cell in update_cells(observation, lookup, config):
                        batch[cell.key()] = cell
            points: dict[tuple[Any, ...], Any] = {}
            retracted: list[Record] = []
            for cell in batch.values():
                records = cell_records(cell, config)
                retracted += retractions(cell, records)
                for record in records:
                    points[record.series_key()] = record_to_point(record)
            # Deleted first: a point rewritten with fewer fields would keep the old ones.
            await parts.influx.delete(retracted)
            await parts.influx.write(list(points.values()))
            if points:
                metrics.SINK_LAST_WRITE.set_to_current_time()
            for key, cell in stored_in_order(batch):
                parts.cells[key] = cell.to_dict()
            sweep("cells", parts.cell_sweeper, parts.cells, events)
            metrics.EVENTS.labels(observations_name, "ok").inc(len(events))


def stored_in_order(
    batch: dict[str, Cell | ExposureClock],
) -> list[tuple[str, Cell | ExposureClock]]:
    """The batch's cells, then its exposure clocks. A group's clock and cells share a
    changelog partition, whose records Kafka keeps in order, so a worker killed while
    storing leaves a clock stored only with every cell it credited: the redelivered
    observations then credit those cells again (spans: no change). Stored the other way
    round, the clock would call the credit done while its cells lack it."""
    return sorted(batch.items(), key=lambda item: isinstance(item[1], ExposureClock))


def _batch_lookup(
    batch: dict[str, Cell | ExposureClock], table: Any
) -> Callable[[str], Cell | ExposureClock | None]:
    """Find a cell (or a group's exposure clock) in this batch first, then in the table."""

    def lookup(key: str) -> Cell | ExposureClock | None:
        if key in batch:
            return batch[key]
        stored = table.get(key)
        return stored_cell(stored) if stored else None

    return lookup
