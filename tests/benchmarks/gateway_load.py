"""Load benchmark of the gateway on loopback: sustained webhooks/s and p99 latency.

Runs ``xlapulse gateway`` pinned to one core (``taskset -c 0``) against the real Kafka on
127.0.0.1, and the Go load generator (``gateway_loadgen.go``, built here with ``go build``)
pinned to the other core. Every request is a generic-format webhook with a unique ticket
id and a valid HMAC signature, so each one is a real Kafka write (acks=all) before its 200.
Prints the generator's result, the gateway's own count of acknowledged events, its CPU time
per acknowledged event and the machine's load average (the 2 cores are shared).

    deploy/local/services start kafka        # or set KAFKA_PORT etc. as for the tests
    .venv/bin/python tests/benchmarks/gateway_load.py --duration-s 20 --concurrency 32

Target (issue 5): >= 2,000 webhooks/s on one core with p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from xlapulse.collectors.delivery.topics_admin import ensure_topics

HERE = Path(__file__).resolve().parent
SECRET = "benchmark-generic-secret"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration-s", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--port", type=int, default=18470)
    parser.add_argument("--gateway-core", default="0")
    parser.add_argument("--loadgen-core", default="1")
    args = parser.parse_args()
    bootstrap = os.environ.get(
        "XLAPULSE_KAFKA_BOOTSTRAP", f"127.0.0.1:{os.environ.get('KAFKA_PORT', '9092')}"
    )
    ensure_topics(bootstrap, int(os.environ.get("XLAPULSE_TOPIC_PARTITIONS", "6")))
    loadgen = build_loadgen()
    gateway = start_gateway(bootstrap, args.port, args.gateway_core)
    try:
        wait_ready(args.port)
        cpu_before_s, events_before = cpu_seconds(gateway.pid), scrape_events(args.port)
        result = run_loadgen(loadgen, args)
        cpu_after_s, acknowledged = cpu_seconds(gateway.pid), scrape_events(args.port)
    finally:
        gateway.terminate()
        gateway.wait(timeout=30)
    result["gateway_events_acknowledged_total"] = acknowledged
    result["gateway_cpu_us_per_event"] = round(
        1e6 * (cpu_after_s - cpu_before_s) / max(1.0, acknowledged - events_before), 1
    )
    result["load_average_1m"] = os.getloadavg()[0]
    result["kafka"] = bootstrap
    print(json.dumps(result, indent=2))


def build_loadgen() -> Path:
    if not shutil.which("go"):
        sys.exit("the load generator needs Go (go build)")
    target = Path(tempfile.gettempdir()) / "xlapulse_gateway_loadgen"
    subprocess.run(["go", "build", "-o", str(target), str(HERE / "gateway_loadgen.go")], check=True)
    return target


def start_gateway(bootstrap: str, port: int, core: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "XLAPULSE_KAFKA_BOOTSTRAP": bootstrap,
        "XLAPULSE_PSEUDONYM_KEY": "benchmark-pseudonym-key-0123456789",
        "XLAPULSE_GATEWAY_PORT": str(port),
        "XLAPULSE_GATEWAY_GENERIC_SECRET": SECRET,
        "XLAPULSE_GATEWAY_RATE_PER_SOURCE_PER_S": "1000000",
        "XLAPULSE_GATEWAY_RATE_BURST": "1000000",
    }
    command = [sys.executable, "-m", "xlapulse.collectors.cli", "gateway"]
    return subprocess.Popen(["taskset", "-c", core, *command], env=env)


def wait_ready(port: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit("gateway did not become ready")


def run_loadgen(loadgen: Path, args: argparse.Namespace) -> dict[str, object]:
    command = [
        "taskset", "-c", args.loadgen_core, str(loadgen),
        "-url", f"http://127.0.0.1:{args.port}/v1/webhooks/generic",
        "-secret", SECRET,
        "-c", str(args.concurrency),
        "-d", f"{args.duration_s}s",
    ]  # fmt: skip
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` and its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scrape_events(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        page = response.read().decode()
    return sum(
        float(match)
        for match in re.findall(r"^xlapulse_gateway_events_total\{.*\} (\S+)$", page, re.M)
    )


if __name__ == "__main__":
    main()
