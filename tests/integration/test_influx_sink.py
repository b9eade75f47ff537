"""The sink against the real InfluxDB 1.8: a point it refuses never stalls the batch,
and a retracted point is deleted, exactly that one.

A field first written as a float and then sent as a string is a field type conflict;
InfluxDB answers 400 ("partial write"). The sink isolates that point, hands it to its
dead-letter handler, and every other point of the batch is stored.
"""

from __future__ import annotations

import uuid

import pytest
from influxdb_client import Point

from xlapulse.streams.scoring.published import RELIABILITY, Record
from xlapulse.streams.settings import EngineSettings
from xlapulse.streams.sink.influx import InfluxSink
from xlapulse.streams.sink.points import record_to_point

from .conftest import Services
from .helpers import influxql

pytestmark = pytest.mark.integration


async def test_a_field_type_conflict_is_set_aside_and_the_rest_stored(services: Services) -> None:
    database = f"xlapulse_test_sink_{uuid.uuid4().hex[:8]}"
    sink = InfluxSink(EngineSettings(influx_url=services.influx_url, influx_database=database))
    set_aside: list[tuple[str, str]] = []

    async def on_rejected(line: str, reason: str) -> None:
        set_aside.append((line, reason))

    sink.on_rejected = on_rejected

    def score(site: str, value: object) -> Point:
        return (
            Point("experience_score")
            .tag("site", site)
            .field("score", value)
            .time(1_795_420_800, "s")
        )

    try:
        await sink.write([score("amsterdam", 71.5)])
        sites = [f"site{n}" for n in range(7)]
        batch = [score(site, 60.0 + n) for n, site in enumerate(sites)]
        batch.insert(4, score("utrecht", "not a number"))
        await sink.write(batch)
    finally:
        await sink.stop()
    assert [line for line, _ in set_aside] == [batch[4].to_line_protocol()]
    assert "400" in set_aside[0][1] and "conflict" in set_aside[0][1]
    series = influxql(
        services.influx_url, database, 'SELECT "score" FROM "experience_score" GROUP BY "site"'
    )
    stored = {item["tags"]["site"]: item["values"][0][1] for item in series}
    assert stored == {"amsterdam": 71.5, **{site: 60.0 + n for n, site in enumerate(sites)}}


async def test_a_retracted_point_is_deleted_and_no_other(services: Services) -> None:
    """Deleted: one series at one time (a site name with a quote in it, as a directory
    may send). Kept: the same series at the next window, and the other touch point and
    site at the same time. Deleting again, or a point never written, is no error."""
    database = f"xlapulse_test_sink_{uuid.uuid4().hex[:8]}"
    sink = InfluxSink(EngineSettings(influx_url=services.influx_url, influx_database=database))
    window_ns = 300 * 1_000_000_000

    def reliability(site: str, touch_point: str, time_ns: int) -> Record:
        tags = {"persona": "developer", "site": site, "window": "5m", "formula_version": "3.0"}
        return Record(RELIABILITY, {**tags, "touch_point": touch_point}, {"failures": 1}, time_ns)

    start_ns = 1_795_420_800 * 1_000_000_000
    written = [
        reliability(site, touch_point, start_ns + n * window_ns)
        for site in ("o'neill park", "utrecht")
        for touch_point in ("app", "vpn")
        for n in range(2)
    ]
    retracted = reliability("o'neill park", "app", start_ns)
    try:
        await sink.write([record_to_point(record) for record in written])
        await sink.delete([retracted])
        await sink.delete([retracted, reliability("nowhere", "app", start_ns)])
    finally:
        await sink.stop()
    series = influxql(
        services.influx_url, database, 'SELECT "failures" FROM "reliability" GROUP BY *'
    )
    stored = {
        (item["tags"]["site"], item["tags"]["touch_point"], row[0])
        for item in series
        for row in item["values"]
    }
    assert len(stored) == len(written) - 1
    start_ms = start_ns // 1_000_000  # the helper answers in epoch milliseconds
    assert ("o'neill park", "app", start_ms) not in stored
    assert ("o'neill park", "app", start_ms + 300_000) in stored
    assert ("o'neill park", "vpn", start_ms) in stored
