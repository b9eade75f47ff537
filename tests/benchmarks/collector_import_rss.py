"""RSS per import of the collector service process (``python -m ...agent.runtime``).

Imports the runtime's modules step by step, in the order ``runtime.serve`` and
``daemon.py`` load them, in a fresh interpreter, and reads VmRSS from
/proc/<pid>/status after each step: how much each import adds to the service's memory
(the figures in collectors/agent/README.md, "Where the rest goes"). The measuring is done
by this script, outside the measured process, which only imports and waits for the next
step on stdin, so it loads nothing the service would not.

The order: the interpreter with ``site``; ``runtime.py`` and its logging set-up; the
``lean_imports`` steps the runtime applies before kafka is imported (zstd configured, as by
default); then ``daemon.py``'s imports in its order (the privacy decisions, the spool,
kafka-python's producer, the contract's ``wire.py``, the producer wrapper and shipper, the
pseudonymizer, the sources' registry), with the heavy standard-library and kafka-python
parts split out just before the module that first loads them, so each gets its own row;
last the source modules a default configuration runs on Linux. A step's figure is what it
loads that the steps above did not: a module shared with a later step counts once, here.
What the service adds at run time (connection, threads, buffers) is not in it: that is
the difference to the peak RSS of ``collector_footprint.py``.

    .venv/bin/python tests/benchmarks/collector_import_rss.py --runs 3
    .venv/bin/python tests/benchmarks/collector_import_rss.py --runs 3 --load-crc32c

``--load-crc32c`` undoes ``lean_imports.skip_c_crc32c`` (kafka-python then loads the
crc32c package, when installed, as the gateway extra does), to show what the skip saves.

Each run is a new interpreter; the table gives the median of the runs and their spread
(min-max), in KiB and MiB (1 MiB = 1024 KiB). Linux only (/proc).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

from collector_footprint import proc_status

STEPS = (
    (
        "runtime.py (json, logging, signal) + service logging set-up",
        "from xlapulse.collectors.agent import runtime\nruntime.configure_service_logging(False)",
    ),
    (
        "lean_imports.apply (kafka __init__ deferred; lz4, crc32c marked absent)",
        'runtime.lean_imports.apply("zstd")',
    ),
    (
        "dataclasses + agent/privacy_decisions.py",
        "import xlapulse.collectors.agent.privacy_decisions",
    ),
    ("sqlite3 (+ datetime)", "import sqlite3"),
    ("agent/spool.py", "import xlapulse.collectors.agent.spool"),
    ("hashlib + hmac (OpenSSL's libcrypto; kafka's SASL)", "import hashlib, hmac"),
    (
        "kafka protocol base + the producer's requests",
        "import kafka.protocol.metadata, kafka.protocol.producer",
    ),
    (
        "kafka.protocol.broker_version_data (old-broker checks)",
        "import kafka.protocol.broker_version_data",
    ),
    ("ssl (libssl; kafka's transport, even for PLAINTEXT)", "import ssl"),
    (
        "rest of kafka-python's producer (+ zstandard)",
        "import kafka.errors, kafka.producer, kafka.producer.future",
    ),
    ("contract/wire.py + topics.py", "import xlapulse.collectors.contract.topics"),
    (
        "delivery/kafka_producer.py + agent/shipper.py",
        "import xlapulse.collectors.agent.shipper",
    ),
    ("privacy.py (pseudonymizer)", "import xlapulse.collectors.privacy"),
    ("subprocess", "import subprocess"),
    ("sources/__init__.py + base.py", "from xlapulse.collectors.sources import SOURCES"),
    ("agent/daemon.py", "import xlapulse.collectors.agent.daemon"),
    ("source systemd_boot", 'SOURCES["systemd_boot"].source'),
    ("source journald (+ cups_jobs.py)", 'SOURCES["journald"].source'),
    ("source cups_error_log", 'SOURCES["cups_error_log"].source'),
    ("http.client (+ email)", "import http.client"),
    ("source synthetic_probe", 'SOURCES["synthetic_probe"].source'),
)
BASELINE = "Python 3 interpreter with site (absolute)"

# the measured process: before the first step and after each, one line out, then it waits
CHILD = """
import sys
def step_done():
    print(flush=True)
    sys.stdin.readline()
step_done()
"""


# --load-crc32c: undo lean_imports.skip_c_crc32c right after the step that applies it
UNDO_CRC32C_SKIP = 'sys.modules.pop("crc32c")\n'


def child_code(load_crc32c: bool = False) -> str:
    steps = [code + "\n" for _, code in STEPS]
    if load_crc32c:
        steps[1] += UNDO_CRC32C_SKIP
    return CHILD + "".join(f"{code}step_done()\n" for code in steps)


def one_run(load_crc32c: bool) -> list[int]:
    """VmRSS (KiB) of a fresh runtime-like interpreter before the first step and after each."""
    # as handoff.exec_runtime starts the runtime: one glibc malloc arena
    environment = {**os.environ, "MALLOC_ARENA_MAX": "1"}
    child = subprocess.Popen(
        [sys.executable, "-c", child_code(load_crc32c)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
    )
    rss_kib = []
    for _ in range(len(STEPS) + 1):
        if child.stdout.readline() != "\n":
            child.kill()
            raise SystemExit(f"the measured interpreter stopped (exit code {child.wait()})")
        rss_kib.append(proc_status(child.pid, ("VmRSS",))["VmRSS"])
        child.stdin.write("\n")
        child.stdin.flush()
    child.stdin.close()
    child.wait(timeout=30)
    return rss_kib


def spread(values: list[int]) -> str:
    return f"{min(values):,}-{max(values):,}"


def report(runs: list[list[int]]) -> None:
    rows = [(BASELINE, [run[0] for run in runs])]
    for index, (label, _) in enumerate(STEPS, start=1):
        rows.append((label, [run[index] - run[index - 1] for run in runs]))
    print(f"| step | KiB (median of {len(runs)}) | MiB | spread, KiB | VmRSS after, MiB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for index, (label, figures) in enumerate(rows):
        kib = statistics.median(figures)
        after = statistics.median(run[index] for run in runs)
        print(
            f"| {label} | {kib:,.0f} | {kib / 1024:.1f} | {spread(figures)} | {after / 1024:.1f} |"
        )
    imports = [run[-1] - run[0] for run in runs]
    totals = [run[-1] for run in runs]
    print(
        f"| **imports in all** | {statistics.median(imports):,.0f} | "
        f"{statistics.median(imports) / 1024:.1f} | {spread(imports)} | |"
    )
    print(
        f"| **VmRSS at the end** | {statistics.median(totals):,.0f} | "
        f"{statistics.median(totals) / 1024:.1f} | {spread(totals)} | |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="Fresh interpreters to measure.")
    parser.add_argument(
        "--load-crc32c",
        action="store_true",
        help="Let kafka-python load the crc32c package, as without lean_imports.skip_c_crc32c.",
    )
    args = parser.parse_args()
    report([one_run(args.load_crc32c) for _ in range(args.runs)])


if __name__ == "__main__":
    main()
