"""``xlapulse_consumer_lag_records`` shows the agent furthest behind on a topic
(``streams/consumer_lag.py``): the dips' ``bucket_minutes`` reads the observations topic
beside ``aggregate_cells``, and a dip agent that fell behind must show."""

from __future__ import annotations

from types import SimpleNamespace

from faust.types import TP
from prometheus_client import REGISTRY

from xlapulse.streams.consumer_lag import REPORT_EVERY_S, ConsumerLag

TOPIC = "lag-test-observations"


def event(partition: int, offset: int) -> SimpleNamespace:
    return SimpleNamespace(message=SimpleNamespace(tp=TP(TOPIC, partition), offset=offset))


def gauge(partition: int) -> float | None:
    return REGISTRY.get_sample_value(
        "xlapulse_consumer_lag_records", {"topic": TOPIC, "partition": str(partition)}
    )


def test_the_gauge_shows_the_agent_furthest_behind_on_each_partition() -> None:
    highwater = {TP(TOPIC, 0): 1_000, TP(TOPIC, 1): 500}
    lag = ConsumerLag(highwater.get)
    lag.record("aggregate_cells", [event(0, 10), event(0, 998), event(1, 499)])
    assert (gauge(0), gauge(1)) == (1, 0), "behind each partition's last record of the batch"
    lag.record("bucket_minutes", [event(0, 399)])
    assert gauge(0) == 600, "the dips agent, further behind, shows"
    lag.record("aggregate_cells", [event(0, 999)])
    assert gauge(0) == 600, "the other agent catching up hides nothing"
    lag.record("bucket_minutes", [event(0, 999)])
    assert gauge(0) == 0


def test_an_agent_taking_one_record_at_a_time_reports_now_and_then_and_at_the_end() -> None:
    now = [100.0]
    lag = ConsumerLag({TP(TOPIC, 2): 50}.get, clock=lambda: now[0])
    lag.record_now_and_then("track_dips", event(2, 9))
    assert gauge(2) == 40
    lag.record_now_and_then("track_dips", event(2, 29))
    assert gauge(2) == 40, "within the period: not recorded"
    now[0] += REPORT_EVERY_S
    lag.record_now_and_then("track_dips", event(2, 39))
    assert gauge(2) == 10
    lag.record_now_and_then("track_dips", event(2, 49))
    assert gauge(2) == 0, "the partition's last record: recorded within the period too"


def test_a_partition_without_a_high_water_mark_keeps_its_last_lag() -> None:
    def rebalancing(tp: TP) -> int | None:
        raise RuntimeError(f"{tp} not assigned")

    ConsumerLag({TP(TOPIC, 3): 20}.get).record("aggregate_cells", [event(3, 4)])
    assert gauge(3) == 15
    ConsumerLag(rebalancing).record("aggregate_cells", [event(3, 19)])
    ConsumerLag({TP(TOPIC, 3): None}.get).record("aggregate_cells", [event(3, 19)])
    assert gauge(3) == 15
