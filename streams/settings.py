"""The engine worker's settings, from ``XLAPULSE_*`` environment variables.

Besides the shared ones (:class:`~xlapulse.collectors.settings.XlapulseSettings`: Kafka,
topics, /metrics): where the worker writes (InfluxDB 1.x or 2.x), its tables and
batches, the XLA and dip-detection files, its late-event policy and Alertmanager. Read
by ``xlapulse worker`` (``xlapulse worker --help`` lists them); writes nothing.
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from xlapulse.collectors.settings import XlapulseSettings


class EngineSettings(XlapulseSettings):
    """The worker's settings; environment variables are ``XLAPULSE_<FIELD>``."""

    influx_url: str = Field(default="http://127.0.0.1:8086", description="InfluxDB base URL")
    influx_database: str = Field(default="xlapulse", description="InfluxDB database (bucket)")
    influx_retention_policy: str = Field(default="autogen", description="InfluxDB retention policy")
    influx_username: str = Field(default="", description="InfluxDB user (empty: none)")
    influx_password: SecretStr = Field(default=SecretStr(""), description="InfluxDB password")
    # InfluxDB 2.x: an API token with write access to the bucket "<database>/<retention
    # policy>" instead of a user (its /api/v2/write takes no 1.x user); the bucket and its
    # DBRP mapping must exist (the Helm chart's init Job).
    influx_token: SecretStr = Field(
        default=SecretStr(""), description="InfluxDB 2.x API token (replaces user and password)"
    )

    engine_id: str = Field(
        default="xlapulse-engine", description="Faust app id: consumer group, internal topics"
    )
    engine_session_timeout_s: float = Field(
        default=30.0, gt=0, description="Kafka consumer session timeout of a worker (s)"
    )
    engine_data_dir: str = Field(
        default="/tmp/xlapulse-engine", description="a worker's local data folder"
    )
    # Faust table store: memory:// rebuilds tables from their changelogs at start
    # (recovery time measured in README "State"); rocksdb:// would keep them on disk.
    engine_store: str = Field(
        default="memory://", description="table store: memory:// or rocksdb://"
    )
    # The user and device agents handle records in batches of at most this many, waiting
    # at most this long for a batch to fill: a batch's outputs are acknowledged by Kafka
    # before its changed table keys are stored, once each (streams/outbox.py). In a
    # backlog a larger batch stores a user's growing state less often: with 2,000 a worker
    # took 195-244 us of CPU per event against 261-315 with 500 (300 workplaces, pairs
    # side by side, 2026-12-07).
    engine_batch_size: int = Field(
        default=2000, ge=1, description="records per batch of the user and device agents"
    )
    engine_batch_within_s: float = Field(
        default=0.2, gt=0, description="longest wait to fill such a batch (s)"
    )
    xla_file: str = Field(
        default="", description="XLA file (personas, thresholds, objectives); empty: packaged"
    )
    # Late-event policy: events older than this (event time) are dead-lettered.
    max_event_age_s: int = Field(
        default=7 * 86_400, gt=0, description="older events are dead-lettered as late (s)"
    )
    sink_batch_size: int = Field(
        default=2000, ge=1, description="observation records per batch of the cell agent"
    )
    sink_batch_within_s: float = Field(
        default=1.0, gt=0, description="longest wait to fill an InfluxDB batch (s)"
    )
    # Journey dips (streams/dips/).
    dips_file: str = Field(default="", description="dip-detection settings (YAML); empty: defaults")
    alertmanager_url: str = Field(
        default="", description="Alertmanager base URL for dip alerts (empty: no alerts)"
    )
    alertmanager_bearer_token: SecretStr = Field(
        default=SecretStr(""), description="Alertmanager bearer token"
    )
    alertmanager_username: str = Field(default="", description="Alertmanager basic-auth user")
    alertmanager_password: SecretStr = Field(
        default=SecretStr(""), description="Alertmanager basic-auth password"
    )
    dashboard_url: str = Field(
        default="http://127.0.0.1:3000", description="Grafana base URL that dip alerts link to"
    )
