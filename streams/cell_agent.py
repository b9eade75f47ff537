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

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from faust.types import StreamT
from mode import CrashingSupervisor

from xlapulse.streams import metrics
from xlapulse.streams.engine_app import EngineParts, sweep
from xlapulse.streams.internal_codec import observations_of
from xlapulse.streams.scoring.cells import DEDUP_WINDOW_S, Cell
from xlapulse.streams.scoring.exposure_clock import ExposureClock, stored_cell
from xlapulse.streams.scoring.observations import Observation
from xlapulse.streams.scoring.pipeline import update_cells
from xlapulse.streams.scoring.published import Record
from xlapulse.streams.scoring.records import cell_records
from xlapulse.streams.scoring.retractions import retractions
from xlapulse.streams.scoring.xla import XlaConfig
from xlapulse.streams.sink.points import record_to_point


def add_cell_agent(parts: EngineParts) -> None:
    settings, config = parts.settings, parts.config
    observations_name = parts.observations_topic.get_topic_name()

    @parts.app.agent(parts.observations_topic, supervisor_strategy=CrashingSupervisor)
    async def aggregate_cells(stream: StreamT) -> None:
        size, within_s = settings.sink_batch_size, settings.sink_batch_within_s
        batches = parts.batches("aggregate_cells", stream, size, within_s)
        async for events in batches:
            batch = count_batch(
                ((event.message.offset, observations_of(event.message)) for event in events),
                parts.cells,
                config,
            )
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


def count_batch(
    records: Iterable[tuple[int, Sequence[Observation]]],
    table: Mapping[str, Any],
    config: XlaConfig,
) -> dict[str, Cell | ExposureClock]:
    """Count a batch of observations records, given as (offset, observations), in the
    cells they fall into, looked up in this batch first and then in ``table``: every cell
    and clock that changed, by key."""
    batch: dict[str, Cell | ExposureClock] = {}
    lookup = _batch_lookup(batch, table)
    for offset, observations in records:
        for index, observation in enumerate(observations):
            for cell in update_cells(observation, lookup, config, (offset, index)):
                batch[cell.key()] = cell
    return batch


def stored_in_order(
    batch: dict[str, Cell | ExposureClock],
) -> list[tuple[str, Cell | ExposureClock]]:
    """The batch's cells other than hourly ones, then its hourly cells, then its exposure
    clocks. A group's cells and clock share a changelog partition, whose records Kafka
    keeps in order, so a worker killed while storing leaves a prefix of this order stored:

    - an hourly cell, whose event ids say "counted" for every window, is stored only with
      every other cell of its batch; the other cells skip the redelivered records they
      hold already (``Cell.applied_position``). Stored the other way round, the hourly cell
      would call a day cell's missing observations counted;
    - a clock is stored only with every cell it credited: the redelivered observations
      then credit those cells again (spans: no change). Stored the other way round, the
      clock would call the credit done while its cells lack it."""

    def rank(item: tuple[str, Cell | ExposureClock]) -> int:
        cell = item[1]
        if isinstance(cell, ExposureClock):
            return 2
        return 1 if cell.window_s == DEDUP_WINDOW_S else 0

    return sorted(batch.items(), key=rank)


def _batch_lookup(
    batch: dict[str, Cell | ExposureClock], table: Mapping[str, Any]
) -> Callable[[str], Cell | ExposureClock | None]:
    """Find a cell (or a group's exposure clock) in this batch first, then in the table."""

    def lookup(key: str) -> Cell | ExposureClock | None:
        if key in batch:
            return batch[key]
        stored = table.get(key)
        return stored_cell(stored) if stored else None

    return lookup
