"""Telegraf's pass-through on the same topics: ``kafka_consumer`` -> ``influxdb_v2``.

Issue 16 asks for it when the Go module proxy serves Telegraf. ``deploy/local/services
tool telegraf`` builds it once (v1.37.2, with only the plugins used here: Telegraf's
"custom" build tags). Per round it runs with a fresh consumer group (so it reads the four
input topics from the oldest offset) and writes to a fresh InfluxDB database (dropped
afterwards) through InfluxDB 1.8's ``/api/v2/write``.

Its work, per input record: JSON decode with Telegraf's ``json`` parser (the event type
is the measurement, ``user_id`` a tag, the numbers, the event id and the event time
fields), the line protocol, and a batched write to InfluxDB (``BATCH`` metrics a batch,
flushed every ``FLUSH_INTERVAL``; the consumer holds at most ``UNDELIVERED`` messages not
yet written and commits their offsets once the output wrote them). The points are stamped with
Telegraf's clock: stamped with their event times, points of one measurement, user and
time collapse into one (the simulator's synthetic probes of several targets share their
time: 17,383 probe records made 5,067 points), and the count below could not see them.
No validation, no state, no de-duplication, no aggregation: the floor of moving the
records into InfluxDB, not a stream processor. Telegraf's settings are its defaults
apart from what names the topics, the database, the parser and the Kafka protocol, no
host tag (``omit_hostname``), and the three tuned for a backlog (``BATCH``: with its
defaults it wrote 99 records/s).

The rate is the steady state: records from the moment 5 % of them are
queryable in InfluxDB to the moment 95 % are (``count(event_id)`` polled every 0.1 s).

    .venv/bin/python -m tests.benchmarks.telegraf_peer --kafka 127.0.0.1:25092 \\
        --influx http://127.0.0.1:25086 --rounds 3

Traffic goes only to the given Kafka and InfluxDB (127.0.0.1); every wait is bounded.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from tempfile import mkdtemp

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from xlapulse.collectors.contract.topics import INPUT_TOPICS

from ..integration.helpers import influxql
from .input_topics import fill_topics_if_empty, records_in_topics, steady_rate

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 600
POLL_S = 0.1
#: the protocol version Telegraf's Kafka client (sarama) speaks: its default is older than
#: what Kafka 4 still serves (the brokers close the connection: "EOF" on every partition)
KAFKA_PROTOCOL = "3.0.0"
#: Telegraf tuned for a backlog. With its defaults (1,000-metric batches, a 10 s flush
#: interval, 1,000 undelivered messages) it wrote 99 records/s here (2026-12-07): the
#: consumer waits for its 1,000 messages to be written, and they were written once per
#: flush interval, not as soon as a batch was full.
BATCH, UNDELIVERED, FLUSH_INTERVAL = 5000, 10_000, "100ms"


def telegraf_binary() -> Path:
    """Telegraf, built once by the project's service script (minutes the first time)."""
    done = subprocess.run(
        [str(REPO / "deploy" / "local" / "services"), "tool", "telegraf"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"building Telegraf failed:\n{done.stderr[-3000:]}")
    return Path(done.stdout.strip())


def telegraf_config(bootstrap: str, influx_url: str, group: str, database: str) -> str:
    topics = ", ".join(f'"{topic}"' for topic in INPUT_TOPICS)
    return f"""
[agent]
  omit_hostname = true
  metric_batch_size = {BATCH}
  flush_interval = "{FLUSH_INTERVAL}"

[[inputs.kafka_consumer]]
  brokers = ["{bootstrap}"]
  topics = [{topics}]
  consumer_group = "{group}"
  offset = "oldest"
  kafka_version = "{KAFKA_PROTOCOL}"
  max_undelivered_messages = {UNDELIVERED}
  data_format = "json"
  json_name_key = "event_type"
  json_string_fields = ["event_id", "event_time"]
  tag_keys = ["user_id"]

[[outputs.influxdb_v2]]
  urls = ["{influx_url}"]
  token = ""
  organization = ""
  bucket = "{database}/autogen"
"""


def _influx_command(influx_url: str, statement: str) -> None:
    body = urllib.parse.urlencode({"q": statement}).encode()
    with urllib.request.urlopen(f"{influx_url}/query", data=body, timeout=30) as response:
        answer = json.loads(response.read())
    error = answer["results"][0].get("error")
    if error:  # InfluxDB 1.x answers a failed statement with 200 and an error
        raise RuntimeError(f"InfluxDB: {error} in {statement}")


def _written(influx_url: str, database: str) -> int:
    series = influxql(influx_url, database, 'SELECT count("event_id") FROM /.*/')
    return sum(int(one["values"][0][1]) for one in series)


def telegraf_rate(bootstrap: str, influx_url: str, expect: int) -> float:
    """One run over ``expect`` records: steady-state records/s into InfluxDB. Its database,
    consumer group and folder are removed afterwards."""
    binary = telegraf_binary()
    run = uuid.uuid4().hex[:8]
    group, database = f"xlapulse-telegraf-peer-{run}", f"xlapulse_telegraf_{run}"
    folder = Path(mkdtemp(prefix="xlapulse-telegraf-"))
    try:
        config = folder / "telegraf.conf"
        config.write_text(telegraf_config(bootstrap, influx_url, group, database))
        _influx_command(influx_url, f'CREATE DATABASE "{database}"')
        samples = _run(binary, config, influx_url, database, expect)
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            _influx_command(influx_url, f'DROP DATABASE "{database}"')
        _delete_group(bootstrap, group)
        shutil.rmtree(folder, ignore_errors=True)
    return steady_rate(samples, expect)


def _run(
    binary: Path, config: Path, influx_url: str, database: str, expect: int
) -> list[tuple[float, int]]:
    """Telegraf until 95 % of the records are queryable: (time, records written) polls."""
    log_path = config.with_name("telegraf.log")
    samples: list[tuple[float, int]] = []
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(binary), "--config", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + TIMEOUT_S
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise RuntimeError(f"telegraf exited: {log_path.read_text()[-3000:]}")
                written = _written(influx_url, database)
                samples.append((time.monotonic(), written))
                if written >= 0.95 * expect:
                    return samples
                time.sleep(POLL_S)
            raise RuntimeError(
                f"telegraf wrote {samples[-1][1]} of {expect} records in {TIMEOUT_S} s:\n"
                + log_path.read_text()[-3000:]
            )
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


def _delete_group(bootstrap: str, group: str) -> None:
    """The run's consumer group, so that rounds do not pile groups up in Kafka."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        # kafka-python answers {group: "OK"} or {group: "<error name>"}
        answer = admin.delete_groups([group])
        failed = [(name, error) for name, error in answer.items() if error != "OK"]
    except KafkaError as error:
        failed = [(group, str(error))]
    finally:
        admin.close()
    for name, error in failed:
        print(f"telegraf peer: consumer group {name} not deleted: {error}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kafka", required=True, help="bootstrap server, host:port")
    parser.add_argument("--influx", required=True, help="InfluxDB 1.8 base URL")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--endpoints", type=int, default=300, help="to fill empty topics")
    parser.add_argument("--days", type=int, default=1, help="to fill empty topics")
    args = parser.parse_args()

    fill_topics_if_empty(args.kafka, args.endpoints, args.days)
    expect = records_in_topics(args.kafka)
    print(f"{expect:,} records in the input topics; Telegraf at {telegraf_binary()}")
    rates = [telegraf_rate(args.kafka, args.influx, expect) for _ in range(args.rounds)]
    print(
        "telegraf kafka_consumer -> influxdb_v2: "
        + " / ".join(f"{rate:,.0f}" for rate in (min(rates), statistics.median(rates), max(rates)))
        + " records/s (min / median / max)"
    )


if __name__ == "__main__":
    main()
