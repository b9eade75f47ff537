"""``rocksdb://`` tables file each key under its changelog partition (table_store.py)."""

from __future__ import annotations

from tests.unit.test_agents import RecordingSink
from xlapulse.streams.app import build_app
from xlapulse.streams.settings import EngineSettings
from xlapulse.streams.table_store import KeyPartitionedRocksDB
from xlapulse.streams.tables import partition_of


def test_a_key_is_stored_and_read_in_its_changelog_partition_without_a_current_event(
    tmp_path,
) -> None:
    """Outside any event (where the agents store a batch's states), Faust's own store
    failed with ``assert event is not None``."""
    settings = EngineSettings(
        engine_data_dir=str(tmp_path), engine_store="rocksdb://", topic_partitions=3
    )
    app = build_app(settings, sink=RecordingSink())
    app.finalize()
    store = app.tables["user-state"].data
    assert isinstance(store, KeyPartitionedRocksDB)
    users = [f"u_{n:032x}" for n in range(12)]
    assert len({partition_of(user, 3) for user in users}) == 3, "keys in every partition"
    for user in users:
        store[user] = {"persona": "office"}
    for user in users:
        key = f'"{user}"'.encode()
        for partition in range(3):
            held = store._db_for_partition(partition).get(key)
            assert (held is not None) == (partition == partition_of(user, 3)), (user, partition)
        assert store[user] == {"persona": "office"}
        assert user in store
    assert "u_unknown" not in store
