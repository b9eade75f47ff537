"""Sizing on paper, from a measured simulated day: peak events/s, InfluxDB series, points, disk.

Simulates one working day of ``--endpoints`` workplaces (the default scenario, seed 5),
then measures:

* the input rate: events per minute over the day; the busiest minute and the busiest
  5 minutes (the 9:00 logon storm) in events/s;
* what the engine publishes (the in-process pipeline, the same code as the worker):
  InfluxDB points (distinct measurement + tags + time) and series (measurement + tags)
  of the day;
* with ``--influx URL --influx-data DIR``: the day's points written to a fresh database of
  that real InfluxDB 1.8, and its disk use once the WAL was snapshotted to TSM files
  (``du`` of the database's shards and WAL under DIR), in bytes per point; the series
  file's 32 MiB preallocated per database is a fixed cost, not counted per point.
  Start that InfluxDB with ``INFLUXDB_DATA_CACHE_SNAPSHOT_WRITE_COLD_DURATION=5s`` in
  the environment, or the snapshot waits for 10 minutes of quiet.

and prints a table for 1k, 10k, 100k and 1M endpoints. Input rates and points scale with
the endpoints (people behave alike); series and points scale with persona x site x touch
point x window, so with the number of sites, not of people: the table assumes one site
per ``--people-per-site`` endpoints (the simulator's fleet has 4 sites; measure with
``--endpoints`` = 4 x that, so its sites have that many people). Workers follow from
two measured bounds, whichever needs more:

* throughput: ``--worker-events-s``, the steady-state rate of one worker measured by
  ``engine_throughput.py`` or ``catch_up.py``, at half load for headroom;
* memory: with ``memory://`` tables a worker holds its users' states and every cell of
  the late-event horizon (7 days, plus today) in RAM. ``--worker-mib-per-user`` and
  ``--worker-base-mib`` are a worker's resident memory per active user in that steady
  state and without users, measured by a backlog of that many days (README, Sizing);
  a worker may fill ``--worker-limit-mib`` (the Helm chart's limit) to ``LIMIT_SHARE``.

Partitions are the next power of two at or above the workers, at least 3.
``--bytes-per-point`` reuses a disk figure measured earlier instead of ``--influx``.

    .venv/bin/python -m tests.benchmarks.sizing --endpoints 1000 \\
        --influx http://127.0.0.1:45086 --influx-data /tmp/xlapulse-bench/influxdb/data \\
        --worker-events-s 1274 --worker-mib-per-user 0.57 --worker-base-mib 149
"""

from __future__ import annotations

import argparse
import math
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from xlapulse.collectors.contract.events import DirectoryAssignmentEvent
from xlapulse.collectors.simulator.fleet import SITES, Fleet
from xlapulse.collectors.simulator.scenario import default_scenario_path, load_scenario
from xlapulse.streams.inprocess import InProcessPipeline
from xlapulse.streams.scoring.published import Record
from xlapulse.streams.sink.points import record_to_point

from .engine_state import latest_workday_before

FLEETS = (1_000, 10_000, 100_000, 1_000_000)
#: the simulator's sites (it assigns them in turn); 5 here until 2026-12-07 understated
#: series and points per site by a fifth
SIMULATED_SITES = len(SITES)
#: the share of a worker's memory limit its users may fill (the rest: fetches, bursts)
LIMIT_SHARE = 0.8


def simulate(endpoints: int) -> tuple[list, list[Record]]:
    fleet = Fleet(endpoints, seed=5, scenario=load_scenario(default_scenario_path()))
    day = latest_workday_before(datetime.now(UTC).date())
    events = list(fleet.events(day, 1))
    pipeline = InProcessPipeline()
    published: dict[tuple, Record] = {}
    for event in events:
        pipeline.feed_event(event)
    for record in pipeline.flush():
        published[record.series_key()] = record
    return events, list(published.values())


def peaks(events: list) -> tuple[float, float]:
    """(busiest minute, busiest 5 minutes) in events/s."""
    per_minute = Counter(
        int(event.event_time.timestamp()) // 60
        for event in events
        if not isinstance(event, DirectoryAssignmentEvent)  # the nightly directory sync
    )
    minutes = sorted(per_minute)
    busiest = max(per_minute.values()) / 60
    five = max(sum(per_minute.get(m + k, 0) for k in range(5)) for m in minutes) / 300
    return busiest, five


def disk_bytes(influx_url: str, data_dir: Path, records: list[Record]) -> int:
    """Write ``records`` to a fresh database; its bytes on disk (data + WAL) once stable."""
    database = f"xlapulse_sizing_{uuid.uuid4().hex[:8]}"
    query = urllib.parse.urlencode({"q": f'CREATE DATABASE "{database}"'}).encode()
    urllib.request.urlopen(f"{influx_url}/query", data=query, timeout=30).close()
    lines = [record_to_point(record).to_line_protocol() for record in records]
    for start in range(0, len(lines), 5000):
        body = "\n".join(lines[start : start + 5000]).encode()
        request = urllib.request.Request(
            f"{influx_url}/write?db={database}&precision=ns", data=body, method="POST"
        )
        urllib.request.urlopen(request, timeout=60).close()
    # the shards (TSM files and their index) and the WAL; the database's series file
    # (_series, 8 segments preallocated at 4 MiB each) is a fixed cost, left out
    directories = [data_dir / database / "autogen", data_dir.parent / "wal" / database]
    sizes: list[int] = []
    for _ in range(90):  # the WAL is snapshotted to TSM files once the cache is cold
        time.sleep(2)
        sizes.append(sum(_du(directory) for directory in directories if directory.exists()))
        if len(sizes) >= 5 and len(set(sizes[-5:])) == 1 and not _wal_files(directories[1]):
            break
    return sizes[-1]


def _du(directory: Path) -> int:
    done = subprocess.run(["du", "-sb", str(directory)], capture_output=True, text=True)
    return int(done.stdout.split()[0])


def _wal_files(wal_dir: Path) -> list[Path]:
    """WAL segments that still hold points (a snapshot empties them)."""
    return [f for f in wal_dir.rglob("*.wal") if f.stat().st_size > 0] if wal_dir.exists() else []


def users_per_worker_within(limit_mib: float, base_mib: float, mib_per_user: float) -> int:
    """Active users one worker holds in memory:// tables within ``LIMIT_SHARE`` of its
    memory limit."""
    room_mib = LIMIT_SHARE * limit_mib - base_mib
    if room_mib < mib_per_user:
        raise SystemExit(
            f"a worker of {limit_mib:,.0f} MiB has no room for users "
            f"({base_mib:,.0f} MiB without any, {mib_per_user} MiB each)"
        )
    return int(room_mib / mib_per_user)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--people-per-site", type=int, default=200)
    parser.add_argument("--worker-events-s", type=float, required=True)
    parser.add_argument("--worker-mib-per-user", type=float, required=True)
    parser.add_argument("--worker-base-mib", type=float, required=True)
    parser.add_argument("--worker-limit-mib", type=float, default=4096)
    parser.add_argument("--influx")
    parser.add_argument("--influx-data", type=Path)
    parser.add_argument("--bytes-per-point", type=float, help="measured earlier")
    args = parser.parse_args()
    users_per_worker = users_per_worker_within(
        args.worker_limit_mib, args.worker_base_mib, args.worker_mib_per_user
    )

    events, records = simulate(args.endpoints)
    busiest, five = peaks(events)
    series = {(r.measurement, tuple(sorted(r.tags.items()))) for r in records}
    print(
        f"measured, {args.endpoints:,} endpoints, one working day: {len(events):,} events; "
        f"busiest minute {busiest:,.1f} events/s, busiest 5 minutes {five:,.1f} events/s; "
        f"{len(records):,} points in {len(series):,} series"
    )
    bytes_per_point = args.bytes_per_point
    if args.influx and args.influx_data:
        size = disk_bytes(args.influx, args.influx_data, records)
        bytes_per_point = size / len(records)
        print(f"InfluxDB 1.8 disk: {size:,} bytes for the day = {bytes_per_point:.1f} bytes/point")
    sites_measured = min(SIMULATED_SITES, max(1, args.endpoints // args.people_per_site))
    series_per_site = len(series) / SIMULATED_SITES
    print()
    print(
        f"workers of at most {args.worker_limit_mib:,.0f} MiB: "
        f"{users_per_worker:,} users each at {LIMIT_SHARE:.0%}"
    )
    print()
    print(
        "| endpoints | events/s at the 9:00 peak (5 min) | partitions / workers "
        "(throughput, memory) | InfluxDB series | points per day | "
        "disk per 30 days / 400 days |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for fleet in FLEETS:
        scale = fleet / args.endpoints
        peak = five * scale
        for_throughput = max(1, math.ceil(peak / (args.worker_events_s / 2)))
        for_memory = math.ceil(fleet / users_per_worker)
        workers = max(for_throughput, for_memory)
        partitions = max(3, 2 ** math.ceil(math.log2(workers)))
        sites = max(sites_measured, fleet // args.people_per_site)
        points = len(records) / SIMULATED_SITES * sites
        disk = (
            f"{points * bytes_per_point * 30 / 2**30:,.2f} GiB / "
            f"{points * bytes_per_point * 400 / 2**30:,.2f} GiB"
            if bytes_per_point
            else "(not measured)"
        )
        print(
            f"| {fleet:,} | {peak:,.0f} | {partitions} / {workers} "
            f"({for_throughput}, {for_memory}) | "
            f"{series_per_site * sites:,.0f} | {points:,.0f} | {disk} |"
        )


if __name__ == "__main__":
    main()
