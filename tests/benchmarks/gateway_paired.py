"""Paired A/B of two gateway versions on one core: which one needs less CPU per webhook.

Runs the gateway of a base git revision and of a candidate (a revision, or the working
tree) at the same time, both pinned to one core (``taskset``), each driven by its own Go
load generator (``gateway_loadgen.go``) on the other core, against the real Kafka on
127.0.0.1 (its broker threads moved to the generators' core, as in ``gateway_load.py``).
Both gateways see the same machine at the same moment, so the ratio of their rates
(closed loop: the core is shared, so the cheaper one answers more) or of their CPU time
per acknowledged event (``--rate``: both keep up) is steady where sequential runs are
not: on the 2-core VM of collectors/gateway/README.md, one 10 s round differs from the
next by up to a quarter, while the ratio of a paired round varies by a few per cent at most.

The first-started gateway has a small advantage (about 2 %, measured with the same
version on both sides), so half of the rounds start the base first and half the
candidate; the summary is the geometric mean of the two halves, which cancels it.

Reads: two source trees (``git worktree add`` of each revision into a temporary
folder, removed after). Writes: webhooks to Kafka (unique ticket ids), one JSON line per
round and a summary line to stdout.

    deploy/local/services start kafka        # or KAFKA_PORT etc., as gateway_load.py
    .venv/bin/python tests/benchmarks/gateway_paired.py --base HEAD~1 --rounds 6
    .venv/bin/python tests/benchmarks/gateway_paired.py --base main --candidate my-branch \
        --rate 900 --concurrency 64

Needs the editable install (``pip install -e``, as deploy/dev does): each gateway is
started through a bootstrap that points the editable finder at its own source tree.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from gateway_load import (
    BROKER_PID_FILE,
    DEFAULT_PORT,
    broker_on_core,
    build_loadgen,
    cpu_us_per_event,
    kafka_with_topics,
    loadgen_command,
    start_gateway,
    usage,
    wait_ready,
)

REPO = Path(__file__).resolve().parents[2]
WARMUP_S = 2
# Runs the CLI from the source tree given as first argument (the editable finder's map).
BOOTSTRAP = """
import sys
from pathlib import Path
root = Path(sys.argv.pop(1))
finders = [module for name, module in list(sys.modules.items())
           if name.startswith("__editable___xlapulse") and name.endswith("_finder")]
if not finders:
    sys.exit("xlapulse is not an editable install: cannot run another source tree")
for package, path in finders[0].MAPPING.items():
    finders[0].MAPPING[package] = str(root / Path(path).name)
import xlapulse.collectors
assert Path(xlapulse.collectors.__file__).is_relative_to(root), xlapulse.collectors.__file__
from xlapulse.collectors.cli import main
main()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="git revision (default HEAD)")
    parser.add_argument("--candidate", default="", help="git revision (default: working tree)")
    parser.add_argument("--rounds", type=int, default=6, help="even: half with each first")
    parser.add_argument("--duration-s", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=0, help="per gateway; 0: closed loop")
    parser.add_argument("--gateway-core", type=int, default=0)
    parser.add_argument("--loadgen-core", type=int, default=1)
    args = parser.parse_args()
    bootstrap = kafka_with_topics()
    loadgen = build_loadgen()
    halves = []
    with source_tree(args.base) as base, source_tree(args.candidate) as candidate:
        for first_is_base in (True, False):
            trees = {"base": base, "candidate": candidate}
            order = ["base", "candidate"] if first_is_base else ["candidate", "base"]
            ratios = run_half(order, trees, bootstrap, loadgen, args)
            halves.append(statistics.median(ratios))
    print(json.dumps(summary(halves, rate_mode=args.rate > 0)))


@contextlib.contextmanager
def source_tree(revision: str) -> Iterator[Path]:
    """The working tree for ''; else a temporary detached worktree of ``revision``."""
    if not revision:
        yield REPO
        return
    with tempfile.TemporaryDirectory(prefix="xlapulse-ab-") as folder:
        tree = Path(folder) / "tree"
        git = ["git", "-C", str(REPO), "worktree"]
        subprocess.run([*git, "add", "--detach", str(tree), revision], check=True)
        try:
            yield tree
        finally:
            subprocess.run([*git, "remove", "--force", str(tree)], check=True)


def run_half(
    order: list[str],
    trees: dict[str, Path],
    bootstrap: str,
    loadgen: Path,
    args: argparse.Namespace,
) -> list[float]:
    """Rounds with ``order[0]`` started first; each round's candidate/base ratio."""
    ports = {name: DEFAULT_PORT + index for index, name in enumerate(order)}
    gateways = {
        name: start_gateway(
            bootstrap,
            ports[name],
            args.gateway_core,
            [sys.executable, "-c", BOOTSTRAP, str(trees[name]), "gateway"],
        )
        for name in order
    }
    ratios = []
    try:
        for name in order:
            wait_ready(ports[name])
        with broker_on_core(BROKER_PID_FILE, args.loadgen_core):
            for _ in range(args.rounds // 2):
                result = paired_round(gateways, ports, loadgen, args)
                ratios.append(result["candidate_over_base"])
                print(json.dumps({"started_first": order[0], **result}), flush=True)
    finally:
        for gateway in gateways.values():
            gateway.terminate()
            gateway.wait(timeout=30)
    return ratios


def paired_round(
    gateways: dict[str, subprocess.Popen[bytes]],
    ports: dict[str, int],
    loadgen: Path,
    args: argparse.Namespace,
) -> dict[str, object]:
    """Both generators at once; rate, p99 and CPU per acknowledged event of each gateway."""
    before = {name: usage(gateway.pid, ports[name]) for name, gateway in gateways.items()}
    generators = {name: start_loadgen(loadgen, ports[name], args) for name in gateways}
    outputs = {
        name: json.loads(gen.communicate()[0].strip().splitlines()[-1])
        for name, gen in generators.items()
    }
    result: dict[str, object] = {}
    cpu_us: dict[str, float] = {}
    for name, gateway in gateways.items():
        cpu_us[name] = cpu_us_per_event(before[name], usage(gateway.pid, ports[name]))
        result[name] = {
            "requests_per_s": round(outputs[name]["requests_per_s"], 1),
            "p99_ms": outputs[name]["p99_ms"],
            "cpu_us_per_event": round(cpu_us[name], 1),
            "statuses": outputs[name]["statuses"],
        }
    if args.rate > 0:  # both keep up: compare the CPU each needed
        ratio = cpu_us["candidate"] / cpu_us["base"]
    else:  # one core shared: the cheaper one answers more
        ratio = outputs["candidate"]["requests_per_s"] / outputs["base"]["requests_per_s"]
    result["candidate_over_base"] = round(ratio, 4)
    return result


def start_loadgen(loadgen: Path, port: int, args: argparse.Namespace) -> subprocess.Popen[str]:
    command = [*loadgen_command(loadgen, port, args), "-warmup", f"{WARMUP_S}s"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def summary(halves: list[float], rate_mode: bool) -> dict[str, object]:
    """The geometric mean of the two halves' median ratios (cancels the first-start edge)."""
    ratio = math.sqrt(halves[0] * halves[1])
    measure = "CPU per event" if rate_mode else "webhooks/s with the core shared"
    return {
        "measure": f"candidate / base, {measure}",
        "base_first_median": round(halves[0], 4),
        "candidate_first_median": round(halves[1], 4),
        "candidate_over_base": round(ratio, 4),
    }


if __name__ == "__main__":
    main()
