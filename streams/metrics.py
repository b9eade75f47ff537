"""Prometheus metrics of the engine itself (prometheus-client), scraped from each worker.

Names follow Prometheus conventions: ``xlapulse_`` prefix, base units, ``_total``.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS = Counter(
    "xlapulse_events_processed_total",
    "Input records processed, by topic and outcome "
    "(ok, held, duplicate, late, future, ignored, dead_letter).",
    ["topic", "outcome"],
)
UNASSIGNED = Counter(
    "xlapulse_events_unassigned_total",
    "Events scored as persona 'unassigned': their user's directory assignment had not "
    "arrived when the hold ended (at most 50 events or 10 minutes).",
)
DEAD_LETTERS = Counter(
    "xlapulse_dead_letters_total",
    "Records sent to the dead-letter topic, by source topic.",
    ["topic"],
)
PROCESSING_SECONDS = Histogram(
    "xlapulse_processing_seconds",
    "Time to process one input record, by topic.",
    ["topic"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
SINK_POINTS = Counter("xlapulse_sink_points_total", "Points written to InfluxDB.")
SINK_ERRORS = Counter("xlapulse_sink_errors_total", "Failed InfluxDB write attempts (retried).")
SINK_REJECTED = Counter(
    "xlapulse_sink_rejected_points_total",
    "Points InfluxDB refused (400, 413, 422): set aside to the dead-letter topic, not retried.",
)
SINK_DELETED = Counter(
    "xlapulse_sink_deleted_points_total",
    "Points deleted from InfluxDB: reliability windows that no longer have five exposed "
    "people once late closes took back exposure credited ahead (reliability_record.py).",
)
CONSUMER_LAG = Gauge(
    "xlapulse_consumer_lag_records",
    "Records between the last processed offset and the high-water mark, by topic and "
    "partition; of the agents reading a topic, the one furthest behind.",
    ["topic", "partition"],
)
STATE_KEYS = Gauge("xlapulse_state_keys", "Keys in a state table on this worker.", ["table"])
STATE_KEYS_EXPIRED = Counter(
    "xlapulse_state_keys_expired_total", "State keys deleted by expiry (TTL).", ["table"]
)
ASSIGNED_PARTITIONS = Gauge(
    "xlapulse_assigned_partitions",
    "Input topic partitions assigned to this worker by the consumer group (0 until it has joined).",
)
AGENT_CRASHES = Counter(
    "xlapulse_agent_crashes_total",
    "Agents that raised; each crash stops the worker with exit code 1 (streams/engine_app.py).",
    ["agent"],
)
WORKER_READY = Gauge(
    "xlapulse_worker_ready",
    "1 while the worker processes its partitions (tables recovered, no rebalance, no crash, "
    "not stopping), else 0; /ready answers 200 exactly when it is 1.",
)
SINK_LAST_WRITE = Gauge(
    "xlapulse_sink_last_write_timestamp_seconds",
    "Unix time of the last batch of points InfluxDB accepted; time() minus it is the age of "
    "the newest point written, so a stall shows even when nothing crashes.",
)
