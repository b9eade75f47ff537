"""The quixstreams application that ``quix_peer.py`` measures as the engine's peer.

Runs in the peer's own virtualenv (quixstreams and confluent-kafka, see
``quix_peer.py``), so it imports nothing from xlapulse: the topic and field names below
are the contract's (``collectors/contract/topics.py`` and ``events.py``).

Reads the four input topics (records keyed by user pseudonym, JSON values) as one
stream, ``sdf.concat`` of one dataframe per topic: quixstreams then reads the partitions
of one number in Kafka-timestamp order across the topics (its "time alignment"; the
repartition topic's partition of that number is in the same group). In ``--mode full``
the record time is the event's ``event_time`` field (the timestamp extractor): the Kafka
timestamp of the benchmark's records is when they were produced, not when they happened.

``--mode full``, the engine's kind of work:

1. decode the JSON value (quixstreams' deserializer);
2. per user (the record key), one state record in quixstreams' RocksDB state, read and
   written back for every event: the persona and site of the user's latest
   ``directory_assignment``, a count per event type and the latest event time;
3. re-key every telemetry event by ``persona|site`` (``group_by``: a repartition topic),
   persona ``unassigned`` while the user has no assignment yet;
4. a tumbling 5-minute event-time window count per ``persona|site``, with a grace of 7
   days (the engine's late-event horizon: it counts every event of a replayed day), its
   current count produced to ``OUTPUT_TOPIC`` on every update (``.current()``; key
   ``persona|site``, value ``{"start", "end", "value"}``).

``--mode floor`` only decodes and counts: the quixstreams floor of the same reading.

``--poll-timeout-s`` is quixstreams' ``consumer_poll_timeout`` (default 1.0 s). With
``concat`` it reads through time-alignment buffers, refilled by a ``consume`` of up to
10,000 messages that returns when it has them or the timeout ran out. In the benchmark's
backlog it often waits: with the default the app's CPU time was about half the span's wall
time, with 0.1 s (the tuned figure) over 80 %.

Run by ``quix_peer.py`` with the peer's interpreter, e.g.::

    .xlapulse/bench-peer-venv/bin/python -I tests/benchmarks/quix_peer_app.py \\
        --kafka 127.0.0.1:27092 --expect 27560 --state-dir /tmp/quix-state

It stops by itself once it processed ``--expect`` input records and every telemetry record
it sent to the repartition topic (or after ``IDLE_STOP_S`` without a record), and prints
one line, ``records=<n> seconds=<s> ...``: the input records processed from the moment
5 % of ``--expect`` were to the moment 95 % were, and that span in seconds (monotonic).
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

INPUT_TOPICS = (
    "xlapulse.telemetry.v1",
    "xlapulse.tickets.v1",
    "xlapulse.surveys.v1",
    "xlapulse.directory.v1",
)
#: the event types of the tickets, surveys and directory topics: the rest is telemetry
NON_TELEMETRY_TYPES = frozenset({"ticket", "survey_answer", "directory_assignment"})
OUTPUT_TOPIC = "xlapulse.bench.quix-peer.cell-counts"
WINDOW = timedelta(minutes=5)
GRACE = timedelta(days=7)
UNASSIGNED = "unassigned"
#: stop when no record arrived for this long (seconds): the run is bounded even if a
#: record were lost; the caller's timeout bounds the rest
IDLE_STOP_S = 60.0


class Progress:
    """Input records processed, the 5 % and 95 % marks, and the repartition topic's tail."""

    def __init__(self, expect: int) -> None:
        self.expect = expect
        self.inputs = 0
        #: (monotonic s, process CPU s, inputs) at 5 % and at 95 % of ``expect``
        self.first_mark: tuple[float, float, int] | None = None
        self.last_mark: tuple[float, float, int] | None = None
        self.inputs_done_s = 0.0
        self.rekeyed_sent = 0
        self.rekeyed_seen = 0
        self.late = 0

    def on_processed(self, topic: str, partition: int, offset: int) -> bool:
        """Counts one processed record; True when the run is done."""
        if topic in INPUT_TOPICS:
            self.inputs += 1
            now = time.monotonic()
            if self.first_mark is None and self.inputs >= 0.05 * self.expect:
                self.first_mark = (now, time.process_time(), self.inputs)
            if self.last_mark is None and self.inputs >= 0.95 * self.expect:
                self.last_mark = (now, time.process_time(), self.inputs)
            if self.inputs == self.expect:
                self.inputs_done_s = now
        else:
            self.rekeyed_seen += 1
        return self.inputs >= self.expect and self.rekeyed_seen >= self.rekeyed_sent

    def report(self) -> str:
        if self.first_mark is None or self.last_mark is None:
            return f"incomplete: {self.inputs} of {self.expect} input records processed"
        start_s, start_cpu_s, start_inputs = self.first_mark
        end_s, end_cpu_s, end_inputs = self.last_mark
        tail_s = time.monotonic() - self.inputs_done_s if self.inputs_done_s else -1.0
        return (
            f"records={end_inputs - start_inputs} seconds={end_s - start_s:.3f} "
            f"cpu_seconds={end_cpu_s - start_cpu_s:.3f} inputs={self.inputs} "
            f"rekeyed={self.rekeyed_seen}/{self.rekeyed_sent} late={self.late} "
            f"tail_after_inputs_s={tail_s:.2f}"
        )


def event_time_ms(value: Any, headers: Any, timestamp: float, timestamp_type: Any) -> int:
    """The timestamp extractor: the event's ``event_time`` (ISO 8601, UTC offset)."""
    return int(datetime.fromisoformat(value["event_time"]).timestamp() * 1000)


def follow_user(event: dict, state: Any, progress: Progress) -> dict | None:
    """The per-user step: update the user's state record; for a telemetry event, what
    goes on to the repartition topic (its ``persona|site`` and type), else None."""
    user = state.get("user") or {"persona": None, "site": None, "counts": {}}
    kind = event["event_type"]
    if kind == "directory_assignment":
        user["persona"], user["site"] = event["persona"], event["site"]
    user["counts"][kind] = user["counts"].get(kind, 0) + 1
    user["last_event_time"] = event["event_time"]
    state.set("user", user)
    if kind in NON_TELEMETRY_TYPES:
        return None
    progress.rekeyed_sent += 1
    if user["persona"] is None:
        return {"cell": f"{UNASSIGNED}|{UNASSIGNED}", "event_type": kind}
    return {"cell": f"{user['persona']}|{user['site']}", "event_type": kind}


def build(app: Any, mode: str, progress: Progress) -> None:
    extractor = event_time_ms if mode == "full" else None
    frames = [
        app.dataframe(app.topic(name, timestamp_extractor=extractor)) for name in INPUT_TOPICS
    ]
    sdf = frames[0]
    for frame in frames[1:]:
        sdf = sdf.concat(frame)
    if mode == "floor":
        return

    def count_late(*_: Any) -> bool:
        progress.late += 1
        return False  # no log line per late record

    sdf = sdf.apply(lambda event, state: follow_user(event, state, progress), stateful=True)
    sdf = sdf.filter(lambda rekeyed: rekeyed is not None)
    sdf = sdf.group_by(lambda event: event["cell"], name="persona_site")
    counts = sdf.tumbling_window(WINDOW, grace_ms=GRACE, on_late=count_late).count().current()
    counts.to_topic(app.topic(OUTPUT_TOPIC, key_serializer="str", value_serializer="json"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kafka", required=True, help="bootstrap server, host:port")
    parser.add_argument("--expect", type=int, required=True, help="input records to process")
    parser.add_argument("--state-dir", required=True, help="quixstreams' RocksDB directory")
    parser.add_argument("--mode", choices=("full", "floor"), default="full")
    parser.add_argument(
        "--poll-timeout-s",
        type=float,
        default=1.0,
        help="quixstreams' consumer_poll_timeout (its default: 1.0): how long a fetch for the "
        "time-aligned buffers may block",
    )
    parser.add_argument("--group", default=f"xlapulse-quix-peer-{uuid.uuid4().hex[:8]}")
    args = parser.parse_args()

    from quixstreams import Application  # the peer's virtualenv only (not for --help)

    progress = Progress(args.expect)
    app: Any = None

    def on_processed(topic: str, partition: int, offset: int) -> None:
        if progress.on_processed(topic, partition, offset):
            app.stop()

    app = Application(
        broker_address=args.kafka,
        consumer_group=args.group,
        auto_offset_reset="earliest",
        state_dir=args.state_dir,
        on_message_processed=on_processed,
        consumer_poll_timeout=args.poll_timeout_s,
        loglevel="WARNING",
    )
    build(app, args.mode, progress)
    app.run(timeout=IDLE_STOP_S, collect=False)
    print(progress.report(), flush=True)


if __name__ == "__main__":
    main()
