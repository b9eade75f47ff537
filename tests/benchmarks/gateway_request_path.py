"""CPU cost of the gateway's own request path, without HTTP and without Kafka.

Runs 20,000 generic-format webhook bodies (the load generator's shape, one user in
5,000 repeating) through what the gateway does between reading a body and handing the
events to kafka-python: JSON parsing, the generic adapter, contract ticket events with
pseudonymized identities, and their Kafka value, key and headers. Prints the best of five
passes in microseconds per request. Reads and writes nothing else.

    .venv/bin/python tests/benchmarks/gateway_request_path.py

Use it to compare two versions of the adapters and contract code on a noisy machine: it
measures only this code, not aiohttp or kafka-python, which take most of a webhook's
CPU (``gateway_load.py`` measures the whole).
"""

from __future__ import annotations

import argparse
import json
import time

from xlapulse.collectors.contract.codec import encode_event
from xlapulse.collectors.contract.topics import headers_for, key_for, topic_for
from xlapulse.collectors.gateway.adapters import ADAPTERS
from xlapulse.collectors.gateway.adapters.lifecycle import vendor_ticket_events
from xlapulse.collectors.gateway.app import _parse_json
from xlapulse.collectors.privacy import Pseudonymizer

REQUESTS = 20_000
PASSES = 5


def body(number: int) -> bytes:
    document = {
        "source_system": "bench",
        "ticket_id": f"B-1-{number}",
        "action": "created",
        "occurred_at": "2026-11-20T10:00:00+01:00",
        "user": f"user{number % 5000}@bench.example",
        "channel": "portal",
        "category": "benchmark",
        "priority": 3,
    }
    return json.dumps(document).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--passes", type=int, default=PASSES)
    args = parser.parse_args()
    pseudonyms = Pseudonymizer(b"benchmark-pseudonym-key-0123456789")
    adapter = ADAPTERS["generic"]
    bodies = [body(number) for number in range(args.requests)]
    best_us = float("inf")
    for _ in range(args.passes):
        started = time.perf_counter()
        for raw in bodies:
            document = _parse_json(raw)
            events = vendor_ticket_events("generic", adapter.map_payload, document, pseudonyms)
            for event in events:
                encode_event(event), topic_for(event), key_for(event), headers_for(event)
        best_us = min(best_us, (time.perf_counter() - started) / args.requests * 1e6)
    print(f"gateway request path: {best_us:.1f} µs per request (best of {args.passes} passes)")


if __name__ == "__main__":
    main()
