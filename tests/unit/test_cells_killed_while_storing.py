"""A worker killed while storing a batch of cells loses nothing and counts nothing twice.

``aggregate_cells`` (``streams/cell_agent.py``) counts a batch of observations records
with ``count_batch`` and stores each changed cell as its own changelog record, in
``stored_in_order``. Kafka keeps a partition's records in order (aiokafka sends one batch
per partition at a time), so a worker killed with SIGKILL while storing leaves a prefix of
those records, and the records since the last committed offset are delivered again.

These tests cut each batch of two simulated days where the kind of record changes in
its stored order (and at a few points drawn at random), redeliver from a committed
offset up to two batches earlier, and compare every cell and exposure clock with a run
that was never cut. The observations carry re-sent duplicates (the same event at a later
offset), which must still count once. A CI run of
``tests/faults`` lost 8 samples of a day cell this way (2026-12-07): the hourly cell,
stored first, called the redelivered observations counted for every window.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any

import pytest

from tests.unit.histories import random_day
from xlapulse.collectors.contract.codec import encode_event
from xlapulse.collectors.contract.events import event_time_ms
from xlapulse.collectors.contract.topics import topic_for
from xlapulse.streams.cell_agent import count_batch, stored_in_order
from xlapulse.streams.scoring.cells import DEDUP_WINDOW_S, Cell
from xlapulse.streams.scoring.exposure_clock import ExposureClock, stored_cell
from xlapulse.streams.scoring.observations import Observation
from xlapulse.streams.scoring.pipeline import read_input_record
from xlapulse.streams.scoring.user_model import UserState
from xlapulse.streams.scoring.user_state import step
from xlapulse.streams.scoring.xla import default_xla_config

CONFIG = default_xla_config()
Records = list[tuple[int, Sequence[Observation]]]


class Table(dict[str, str]):
    """The cells table as its changelog holds it: each value serialized on its own, so a
    cell decoded from it and counted shares nothing with what is stored."""

    def get(self, key: str, default: Any = None) -> Any:
        stored = super().get(key)
        return default if stored is None else json.loads(stored)


def observations_topic(seed: int) -> Records:
    """Two days of observations records as ``follow_users`` sends them, one partition's
    worth: (offset, observations). One record in ten is sent again a few records later
    (a re-sent input event that the user state no longer remembers)."""
    rng = random.Random(seed)
    users: dict[str, str] = {}
    clock_ms = 0
    sent: list[tuple[Observation, ...]] = []
    for day in range(2):
        for event in random_day(rng, day):
            parsed = read_input_record(encode_event(event), topic_for(event))
            clock_ms = max(clock_ms, event_time_ms(parsed))
            stored = users.get(parsed.user_id)
            state = UserState.from_dict(json.loads(stored)) if stored else None
            result = step(state, parsed, CONFIG, clock_ms)
            if result.outcome in ("late", "future", "duplicate"):
                continue
            users[parsed.user_id] = json.dumps(result.state.to_dict())
            if result.observations:
                sent.append(tuple(result.observations))
    with_duplicates: list[tuple[Observation, ...]] = []
    for index, observations in enumerate(sent):
        with_duplicates.append(observations)
        if index >= 3 and rng.random() < 0.1:
            with_duplicates.append(sent[index - rng.randrange(1, 4)])
    return list(enumerate(with_duplicates))


def batches_of(records: Records, rng: random.Random) -> list[Records]:
    """The records in batches of 1 to 12, as ``parts.batches`` takes them."""
    batches, start = [], 0
    while start < len(records):
        size = rng.randrange(1, 13)
        batches.append(records[start : start + size])
        start += size
    return batches


def stored_writes(batch_records: Records, table: Table) -> list[tuple[str, str]]:
    """What storing the batch writes to the changelog, in order."""
    batch = count_batch(batch_records, table, CONFIG)
    return [(key, json.dumps(cell.to_dict())) for key, cell in stored_in_order(batch)]


def run(batches: list[Records], table: Table) -> Table:
    for batch_records in batches:
        table.update(stored_writes(batch_records, table))
    return table


def decoded(table: Table) -> dict[str, Cell | ExposureClock]:
    """The table's cells and clocks, without the positions they last applied: a journey
    update sent again counts again (the latest update per user, no change) and moves it."""
    cells = {key: stored_cell(json.loads(value)) for key, value in table.items()}
    for cell in cells.values():
        if isinstance(cell, Cell):
            cell.applied_position = [-1, -1]
    return cells


def kind(stored: str) -> str:
    """What a changelog value holds: a group's exposure clock, an hourly cell, or another."""
    cell = stored_cell(json.loads(stored))
    if isinstance(cell, ExposureClock):
        return "clock"
    return "hourly" if cell.window_s == DEDUP_WINDOW_S else "other"


def cut_points(writes: list[tuple[str, str]], rng: random.Random) -> list[int]:
    """Where a kill may leave a batch's writes: none, all, each change of kind (the last
    other cell, the last hourly one), their neighbours, and four more at random."""
    kinds = [kind(stored) for _key, stored in writes]
    changes = [at for at in range(1, len(kinds)) if kinds[at] != kinds[at - 1]]
    near = {at + step for at in changes for step in (-1, 0, 1)}
    drawn = rng.sample(range(len(writes) + 1), min(4, len(writes) + 1))
    return sorted({0, len(writes), *near, *drawn} & set(range(len(writes) + 1)))


@pytest.mark.parametrize("seed", range(3))
def test_a_worker_killed_while_storing_a_batch_gives_identical_cells(seed: int) -> None:
    records = observations_topic(seed)
    rng = random.Random(seed)
    batches = batches_of(records, rng)
    uncut = decoded(run(batches, Table()))
    assert any(isinstance(cell, ExposureClock) for cell in uncut.values())
    assert any(isinstance(cell, Cell) and cell.journeys for cell in uncut.values())
    table = Table()  # the table once every batch before this one was stored whole
    cuts = 0
    for index, batch_records in enumerate(batches):
        writes = stored_writes(batch_records, table)
        committed = rng.randrange(max(0, index - 2), index + 1)
        redelivered = [record for batch in batches[committed:] for record in batch]
        for cut in cut_points(writes, rng):
            durable = Table({**table, **dict(writes[:cut])})
            assert decoded(run(batches_of(redelivered, rng), durable)) == uncut, (
                f"killed in batch {index} after {cut} of {len(writes)} writes, "
                f"redelivered from batch {committed}"
            )
            cuts += 1
        table.update(writes)
    assert cuts > 4 * len(batches)


def test_the_hourly_cells_are_stored_after_the_other_cells_and_the_clocks_last() -> None:
    table = Table()
    kinds_seen: set[str] = set()
    for batch_records in batches_of(observations_topic(0), random.Random(0)):
        writes = stored_writes(batch_records, table)
        order = [kind(stored) for _key, stored in writes]
        assert order == sorted(order, key=["other", "hourly", "clock"].index)
        kinds_seen.update(order)
        table.update(writes)
    assert kinds_seen == {"other", "hourly", "clock"}


def test_a_record_sent_again_at_a_later_offset_is_counted_once() -> None:
    records = observations_topic(0)
    once = run([records[:5]], Table())
    twice = run([records[:5], [(5, records[2][1]), (6, records[0][1])]], Table())
    assert decoded(twice) == decoded(once)


def test_cells_stored_by_older_and_newer_workers_are_read() -> None:
    """A rolling update or a rollback puts cells of another version in a worker's table:
    one from before ``applied_position`` counts as holding nothing yet, and a field a
    newer worker added is dropped, not a crash."""
    table = run([observations_topic(0)[:20]], Table())
    stored = {key: json.loads(value) for key, value in table.items()}
    cells = [value for value in stored.values() if value["window_s"] == 86_400]
    assert cells and all(value["applied_position"][0] >= 0 for value in cells)
    older = {name: value for name, value in cells[0].items() if name != "applied_position"}
    newer = {**cells[0], "a_field_of_a_later_version": [1, 2, 3]}
    from_older, from_newer = stored_cell(older), stored_cell(newer)
    assert isinstance(from_older, Cell) and from_older.applied_position == [-1, -1]
    assert from_newer == stored_cell(cells[0])
