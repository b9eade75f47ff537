"""Footprint of ``xlapulse collector run`` on its default schedule: CPU, peak RSS, bytes sent.

Runs the real collector against a running Kafka for a bounded time and samples, once a
second, from /proc/<pid>/stat (utime+stime of the collector and of its waited-for
children such as journalctl) and /proc/<pid>/status (VmHWM = peak RSS), and from
``ss -tinp`` the TCP payload bytes the collector's sockets sent to the Kafka port
(bytes_sent per connection, summed; a reconnect opens a new connection that is
counted too). TCP/IP headers are estimated as 52 bytes per segment sent (segs_out).

Configuration: every default, except the spool folder (a temporary one), the Kafka
address, and three synthetic probe targets (the default has none) answered by a
local HTTP server in this script, so probes run as a real deployment would.
``--https-target`` adds a fourth, https target (on the same plain HTTP server, so it
ends as a tls_error): the probe then loads the system CA store, as it does in a
deployment that probes https apps. At the end the collector's memory is split into
RssAnon (its own) and RssFile (shared libraries, shared with other processes).

    deploy/local/services start kafka            # or KAFKA_PORT=... for another port
    .venv/bin/python tests/benchmarks/collector_footprint.py --bootstrap 127.0.0.1:9092

``--executable PATH`` measures another build of the CLI, such as the self-contained one
(deploy/packages/build_frozen.py), instead of ``python -m xlapulse.collectors.cli``.
``--speedup N`` divides every interval by N to shorten the run; CPU seconds and bytes
are then divided by N again to give figures for the real schedule (an approximation:
per-round costs scale, fixed costs such as Kafka metadata refreshes do not).
Targets (issue 4): <= 0.1 % of one core on average, <= 35 MB peak RSS, <= 2 kbps.
"""

from __future__ import annotations

import argparse
import http.server
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CLI_MODULE = "xlapulse.collectors.cli"
HEADER_BYTES_PER_SEGMENT = 52
DEFAULT_INTERVALS_S = {
    "systemd_boot": 300,
    "journald": 60,
    "cups_error_log": 60,
    "synthetic_probe": 300,
}


class _Quiet(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"ok" * 512
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def start_probe_server() -> int:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def write_config(
    folder: Path, bootstrap: str, probe_port: int, speedup: float, https_target: bool = False
) -> Path:
    tables = [f'[kafka]\nbootstrap_servers = "{bootstrap}"', f'[spool]\ndirectory = "{folder}"']
    for name, interval_s in DEFAULT_INTERVALS_S.items():
        tables.append(f"[sources.{name}]\ninterval_s = {max(1, round(interval_s / speedup))}")
    urls = [f"http://127.0.0.1:{probe_port}/app-{n}" for n in range(3)]
    if https_target:
        urls.append(f"https://127.0.0.1:{probe_port}/app-tls")
    targets = ", ".join(f'{{ app_name = "app-{n}", url = "{url}" }}' for n, url in enumerate(urls))
    tables[-1] += f"\ntargets = [{targets}]"
    config = folder / "collector.toml"
    config.write_text("\n".join(tables) + "\n")
    return config


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return (utime + stime + cutime + cstime) / CLOCK_TICKS


def proc_status(pid: int, names: tuple[str, ...]) -> dict[str, int]:
    """The numbers on the named lines of /proc/<pid>/status (memory figures in KiB)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return {name: int(re.search(rf"^{name}:\s+(\d+)", status, re.MULTILINE)[1]) for name in names}


def memory_status(pid: int) -> dict[str, int]:
    """VmHWM (peak RSS), RssAnon, RssFile in bytes and Threads, from /proc/<pid>/status."""
    figures = proc_status(pid, ("VmHWM", "RssAnon", "RssFile", "Threads"))
    return {name: n if name == "Threads" else n * 1024 for name, n in figures.items()}


def kafka_socket_counters(pid: int, kafka_port: int) -> dict[str, tuple[int, int]]:
    """local address -> (bytes_sent, segs_out) of the collector's connections to Kafka."""
    output = subprocess.run(
        ["ss", "-tinpH", "dport", f"= :{kafka_port}"], capture_output=True, text=True, check=True
    ).stdout
    counters = {}
    blocks = re.split(r"\n(?=\S)", output)
    for block in blocks:
        if f"pid={pid}," not in block:
            continue
        local = block.split()[3]
        sent = re.search(r"bytes_sent:(\d+)", block)
        segments = re.search(r"segs_out:(\d+)", block)
        counters[local] = (int(sent[1]) if sent else 0, int(segments[1]) if segments else 0)
    return counters


def measure(args: argparse.Namespace) -> None:
    kafka_port = int(args.bootstrap.rsplit(":", 1)[1])
    with tempfile.TemporaryDirectory(prefix="xlapulse-footprint-") as tmp:
        config = write_config(
            Path(tmp), args.bootstrap, start_probe_server(), args.speedup, args.https_target
        )
        env = {**os.environ, "XLAPULSE_PSEUDONYM_KEY": "footprint-benchmark-key-0123"}
        program = [args.executable] if args.executable else [sys.executable, "-m", CLI_MODULE]
        command = [*program, "collector", "run", "--config", str(config)]
        log = Path(tmp) / "collector.log"
        with log.open("wb") as log_file:
            collector = subprocess.Popen(
                command, env=env, stdout=log_file, stderr=subprocess.STDOUT
            )
        sockets: dict[str, tuple[int, int]] = {}
        started = time.monotonic()
        try:
            time.sleep(args.warmup_s)
            cpu_start, window_start = cpu_seconds(collector.pid), time.monotonic()
            while time.monotonic() - window_start < args.duration_s:
                for local, counters in kafka_socket_counters(collector.pid, kafka_port).items():
                    sockets[local] = max(sockets.get(local, (0, 0)), counters)
                cpu_now = cpu_seconds(collector.pid)
                time.sleep(1.0)
            elapsed_s = time.monotonic() - window_start
            memory = memory_status(collector.pid)
        finally:
            collector.terminate()
            exit_code = collector.wait(timeout=60)
    report(
        args, elapsed_s, cpu_now - cpu_start, memory, sockets, exit_code, time.monotonic() - started
    )


def report(args, elapsed_s, cpu_s, memory, sockets, exit_code, wall_s) -> None:
    payload = sum(sent for sent, _ in sockets.values())
    segments = sum(segs for _, segs in sockets.values())
    per_hour = 3600 / elapsed_s / args.speedup
    payload_per_hour = payload * per_hour
    wire_per_hour = (payload + segments * HEADER_BYTES_PER_SEGMENT) * per_hour
    print(
        f"measured window: {elapsed_s:.0f} s after {args.warmup_s:.0f} s warm-up, "
        f"speedup {args.speedup:g}"
    )
    print(
        f"average CPU: {100 * cpu_s / elapsed_s / args.speedup:.3f} % of one core (target <= 0.1 %)"
    )
    print(
        f"peak RSS (VmHWM): {memory['VmHWM'] / 2**20:.1f} MiB = "
        f"{memory['VmHWM'] / 1e6:.1f} MB (target <= 35 MB); at the end "
        f"RssAnon {memory['RssAnon'] / 2**20:.1f} MiB + RssFile {memory['RssFile'] / 2**20:.1f} "
        f"MiB, {memory['Threads']} threads"
    )
    print(
        f"sent to Kafka: {payload_per_hour / 1024:.1f} KiB/h TCP payload, "
        f"{wire_per_hour / 1024:.1f} KiB/h with headers = "
        f"{wire_per_hour * 8 / 3600 / 1000:.3f} kbps "
        f"(target <= 2 kbps); {len(sockets)} connection(s)"
    )
    print(f"collector exit code after SIGTERM: {exit_code}; wall time {wall_s:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092", help="A running Kafka.")
    parser.add_argument("--duration-s", type=float, default=600, help="Measured window.")
    parser.add_argument("--warmup-s", type=float, default=20, help="Start-up excluded from CPU.")
    parser.add_argument("--speedup", type=float, default=1.0, help="Divide intervals by this.")
    parser.add_argument(
        "--https-target", action="store_true", help="Also probe an https URL (loads the CA store)."
    )
    parser.add_argument(
        "--executable",
        help="Measure this xlapulse program instead of the venv's, e.g. the self-contained "
        "build dist/xlapulse-collector/xlapulse-collector (deploy/packages/build_frozen.py).",
    )
    measure(parser.parse_args())


if __name__ == "__main__":
    main()
