"""Prometheus metrics of the gateway, served on its own ``/metrics``.

Writes: ``xlapulse_gateway_requests_total{source,outcome}``,
``xlapulse_gateway_request_duration_seconds{source}`` (histogram),
``xlapulse_gateway_kafka_send_errors_total{topic}``,
``xlapulse_gateway_events_total{topic}`` (events acknowledged by Kafka).
One registry per app, so tests can run several gateways in one process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

LATENCY_BUCKETS_S = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class GatewayMetrics:
    """The gateway's metric families in their own registry."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "xlapulse_gateway_requests",
            "HTTP requests by source and outcome.",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "xlapulse_gateway_request_duration_seconds",
            "Time from request start to response, including the Kafka acknowledgement.",
            ["source"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.kafka_send_errors = Counter(
            "xlapulse_gateway_kafka_send_errors",
            "Events Kafka did not acknowledge (error or timeout).",
            ["topic"],
            registry=self.registry,
        )
        self.events = Counter(
            "xlapulse_gateway_events",
            "Events acknowledged by Kafka.",
            ["topic"],
            registry=self.registry,
        )
        self._request_counters: dict[tuple[str, str], Any] = {}
        self._latency_by_source: dict[str, Any] = {}
        self._events_by_topic: dict[str, Any] = {}

    def observe_request(self, source: str, outcome: str, duration_s: float) -> None:
        """Count one answered request and record its duration (label children cached)."""
        counter = self._request_counters.get((source, outcome))
        if counter is None:
            counter = self.requests.labels(source, outcome)
            self._request_counters[(source, outcome)] = counter
        latency = self._latency_by_source.get(source)
        if latency is None:
            latency = self._latency_by_source[source] = self.latency.labels(source)
        counter.inc()
        latency.observe(duration_s)

    def count_event(self, topic: str) -> None:
        """Count one event Kafka acknowledged on ``topic``."""
        counter = self._events_by_topic.get(topic)
        if counter is None:
            counter = self._events_by_topic[topic] = self.events.labels(topic)
        counter.inc()
