"""The engine's peer: a quixstreams application doing comparable work on the same topics.

Issue 16 measures the engine beside a peer, the Python stream processor a user would
otherwise pick. ``quix_peer_app.py`` is that peer, a quixstreams application run as a
subprocess, once per round, with a fresh consumer group (so it reads the input topics
from the start) and a temporary RocksDB state directory (removed afterwards). It reads
the four input topics and writes quixstreams' internal topics (a repartition topic and
changelogs, deleted after the round) and ``xlapulse.bench.quix-peer.cell-counts``.

Its work, per input record: JSON decode; the user's state record (the persona and site of
the latest directory assignment, a count per event type, the latest event time) read and
written in RocksDB; each telemetry event re-keyed by ``persona|site`` through the
repartition topic; a tumbling 5-minute event-time window count per ``persona|site``,
produced to the output topic on every update. Where it differs from the engine: no
contract validation (pydantic), no scoring, no de-duplication, no holding of events that
arrive before the user's assignment (they count as ``unassigned``), one window size
instead of three, output to Kafka on every update instead of InfluxDB points once per
batch. ``--floor`` also measures the same reading with only a count (decode, no state).

Each round runs the peer with quixstreams' defaults and tuned: its consumer_poll_timeout
at 0.1 s instead of 1 s. Reading several topics with ``concat`` goes through its
time-alignment buffers, refilled by a ``consume`` that returns when it has 10,000
messages or the timeout ran out; in the backlog it often waits, and with the default the
peer's CPU time was about half the wall time (``quix_peer_app.py``).

quixstreams is no dependency of the project (it brings confluent-kafka and its own
pins): ``peer_python`` makes a virtualenv of its own once, ``.xlapulse/bench-peer-venv``
in the repository, with ``quixstreams==QUIXSTREAMS_VERSION`` from PyPI.

The rate is the steady state of its input, as the main benchmark measures its worker's
input agent ("input read"): records from the moment 5 % of them were processed to the
moment 95 % were, per wall second (and per CPU second of the peer's process, steadier
on a shared machine). The peer has no downstream stage to fall behind.

    .venv/bin/python -m tests.benchmarks.quix_peer --kafka 127.0.0.1:27092 --rounds 3

The input topics are filled as ``engine_throughput.py`` fills them when they are empty.
Traffic goes only to the given Kafka (127.0.0.1); every wait is bounded.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from tempfile import mkdtemp

from kafka import KafkaAdminClient

from .input_topics import fill_topics_if_empty, records_in_topics, spread

QUIXSTREAMS_VERSION = "3.28.1"
REPO = Path(__file__).resolve().parents[2]
PEER_VENV = REPO / ".xlapulse" / "bench-peer-venv"
#: written once the install succeeded: what the virtualenv holds
PEER_MARKER = PEER_VENV / "xlapulse-peer-requirement.txt"
PEER_APP = Path(__file__).with_name("quix_peer_app.py")
TIMEOUT_S = 1800
#: quixstreams' consumer_poll_timeout: its default, and the tuned value (seconds)
DEFAULT_POLL_S = 1.0
TUNED_POLL_S = 0.1
INSTALL_TIMEOUT_S = 900


def peer_python() -> Path:
    """The peer virtualenv's interpreter, made on first use (then cached)."""
    python = PEER_VENV / "bin" / "python"
    requirement = f"quixstreams=={QUIXSTREAMS_VERSION}"
    if python.exists() and PEER_MARKER.exists() and PEER_MARKER.read_text() == requirement:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(PEER_VENV)], check=True)
    install = [str(python), "-m", "pip", "install", "--quiet", requirement]
    subprocess.run(install, check=True, timeout=INSTALL_TIMEOUT_S)
    PEER_MARKER.write_text(requirement)
    return python


def peer_run(
    bootstrap: str, expect: int, mode: str = "full", poll_timeout_s: float = DEFAULT_POLL_S
) -> dict[str, float]:
    """One run of the peer app in a fresh consumer group: its result line as numbers
    (``records``, ``seconds``, ``cpu_seconds`` of the 5 %..95 % span, and more)."""
    group = f"xlapulse-quix-peer-{uuid.uuid4().hex[:8]}"
    state_dir = mkdtemp(prefix="xlapulse-quix-peer-")
    command = [str(peer_python()), "-I", str(PEER_APP), "--kafka", bootstrap]
    command += ["--expect", str(expect), "--mode", mode, "--group", group]
    command += ["--state-dir", state_dir, "--poll-timeout-s", str(poll_timeout_s)]
    try:
        # on timeout, subprocess.run kills the app and raises TimeoutExpired
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=state_dir
        )
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)
        _delete_internal_topics(bootstrap, group)
    lines = [line for line in done.stdout.splitlines() if line.startswith("records=")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"quix peer ({mode}) exited {done.returncode} without a result:\n"
            f"{done.stdout[-1000:]}\n{done.stderr[-3000:]}"
        )
    fields = dict(pair.split("=", 1) for pair in lines[-1].split())
    return {name: float(value.split("/")[0]) for name, value in fields.items()}


def peer_rate(
    bootstrap: str, expect: int, mode: str = "full", poll_timeout_s: float = DEFAULT_POLL_S
) -> float:
    """The peer's steady-state input events/s (wall clock) over ``expect`` records
    (``poll_timeout_s=TUNED_POLL_S``: the peer tuned, see the module's docstring)."""
    result = peer_run(bootstrap, expect, mode, poll_timeout_s)
    return result["records"] / result["seconds"]


def _delete_internal_topics(bootstrap: str, group: str) -> None:
    """quixstreams' repartition and changelog topics of one run (their names hold the
    consumer group), so that rounds do not pile them up in the benchmark's Kafka."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        internal = [name for name in admin.list_topics() if group in name]
        if internal:
            admin.delete_topics(internal, timeout_ms=30_000)
    finally:
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kafka", required=True, help="bootstrap server, host:port")
    parser.add_argument(
        "--expect", type=int, help="input records to process (default: all in the topics)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--endpoints", type=int, default=300, help="to fill empty topics")
    parser.add_argument("--days", type=int, default=1, help="to fill empty topics")
    parser.add_argument(
        "--floor", action="store_true", help="also measure the app reading with only a count"
    )
    args = parser.parse_args()

    fill_topics_if_empty(args.kafka, args.endpoints, args.days)
    expect = args.expect or records_in_topics(args.kafka)
    print(
        f"{expect:,} records in the input topics; quixstreams {QUIXSTREAMS_VERSION} in {PEER_VENV}"
    )
    contenders = {
        "quix peer, defaults": ("full", DEFAULT_POLL_S),
        f"quix peer, poll timeout {TUNED_POLL_S} s": ("full", TUNED_POLL_S),
    }
    if args.floor:
        contenders["quix floor (decode + count), defaults"] = ("floor", DEFAULT_POLL_S)
        contenders[f"quix floor, poll timeout {TUNED_POLL_S} s"] = ("floor", TUNED_POLL_S)
    per_wall_s: dict[str, list[float]] = {name: [] for name in contenders}
    per_cpu_s: dict[str, list[float]] = {name: [] for name in contenders}
    for round_number in range(1, args.rounds + 1):
        for name, (mode, poll_timeout_s) in contenders.items():
            result = peer_run(args.kafka, expect, mode, poll_timeout_s)
            per_wall_s[name].append(result["records"] / result["seconds"])
            per_cpu_s[name].append(result["records"] / result["cpu_seconds"])
            print(
                f"round {round_number}, {name}: {per_wall_s[name][-1]:,.0f} events/s, "
                f"{per_cpu_s[name][-1]:,.0f} per CPU second (late {result['late']:.0f}, "
                f"tail after the inputs {result['tail_after_inputs_s']:.2f} s)",
                flush=True,
            )
    print(f"\n{args.rounds} rounds, steady state (5 % -> 95 %), min / median / max:")
    for name in contenders:
        print(
            f"{name}: {spread(per_wall_s[name])} events/s; {spread(per_cpu_s[name])} per CPU second"
        )


if __name__ == "__main__":
    main()
