"""Faust's own floor: an agent that does (almost) nothing over the engine's input topics.

Run by ``engine_throughput.py`` as a subprocess, once per round, with a fresh app id
(so a fresh consumer group that reads the topics from the start). It prints one line,
``records=<n> seconds=<s>``: the time from the first record its agent saw to the
``--expect``-th. ``--mode empty`` counts records; ``--mode parse`` also runs the
contract parse (``read_input_record``) on each, as the engine's first step does.

    .venv/bin/python -m tests.benchmarks.faust_floor --kafka 127.0.0.1:19092 \\
        --expect 24617 --mode parse --data-dir /tmp/floor
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import uuid

import faust

from xlapulse.collectors.contract.codec import ContractViolation
from xlapulse.collectors.contract.topics import INPUT_TOPICS
from xlapulse.streams.scoring.pipeline import read_input_record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kafka", required=True)
    parser.add_argument("--expect", type=int, required=True)
    parser.add_argument("--mode", choices=("empty", "parse"), default="empty")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--partitions", type=int, default=3)
    args = parser.parse_args()
    app = faust.App(
        f"xlapulse-floor-{uuid.uuid4().hex[:8]}",
        broker=f"kafka://{args.kafka}",
        store="memory://",
        topic_partitions=args.partitions,
        web_enabled=False,
        datadir=args.data_dir,
    )
    topic = app.topic(
        *INPUT_TOPICS,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )
    seen = {"records": 0, "first": 0.0}
    parse = args.mode == "parse"

    @app.agent(topic)
    async def count(stream: faust.StreamT) -> None:
        async for event in stream.events():
            if seen["records"] == 0:
                seen["first"] = time.perf_counter()
            if parse:
                with contextlib.suppress(ContractViolation):
                    read_input_record(event.value, event.message.topic)
            seen["records"] += 1
            if seen["records"] >= args.expect:
                elapsed_s = time.perf_counter() - seen["first"]
                print(f"records={seen['records']} seconds={elapsed_s:.3f}", flush=True)
                os._exit(0)  # the measurement is done; no graceful stop to wait for

    sys.argv = [sys.argv[0], "worker", "--loglevel", "warn"]
    app.main()


if __name__ == "__main__":
    main()
