"""Settings shared by every xlapulse process, from ``XLAPULSE_*`` environment variables.

Each process reads only the fields it needs; all of them have safe local defaults
that match ``deploy/local/services`` (Kafka on 127.0.0.1:9092, InfluxDB on 8086).
Each field's description is what ``xlapulse --help`` lists beside its variable.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class XlapulseSettings(BaseSettings):
    """Connection and tuning settings; environment variables are ``XLAPULSE_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="XLAPULSE_", extra="ignore")

    kafka_bootstrap: str = Field(
        default="127.0.0.1:9092", description="Kafka bootstrap servers, host:port[,host:port]"
    )
    topic_partitions: int = Field(
        default=6, ge=1, le=1000, description="partitions of every input topic (xlapulse topics)"
    )
    topic_replication: int = Field(
        default=1, ge=1, le=5, description="replication factor of new topics"
    )

    influx_url: str = Field(default="http://127.0.0.1:8086", description="InfluxDB base URL")
    influx_database: str = Field(default="xlapulse", description="InfluxDB database (bucket)")
    influx_retention_policy: str = Field(default="autogen", description="InfluxDB retention policy")
    influx_username: str = Field(default="", description="InfluxDB user (empty: none)")
    influx_password: SecretStr = Field(default=SecretStr(""), description="InfluxDB password")

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
    xla_file: str = Field(
        default="", description="XLA file (personas, thresholds, objectives); empty: packaged"
    )
    # Late-event policy: events older than this (event time) are dead-lettered.
    max_event_age_s: int = Field(
        default=7 * 86_400, gt=0, description="older events are dead-lettered as late (s)"
    )
    metrics_host: str = Field(
        default="127.0.0.1", description="address of /metrics and /ready (0.0.0.0 in a pod)"
    )
    metrics_port: int = Field(
        default=9464, ge=0, le=65535, description="port of /metrics and /ready (0: off)"
    )
    sink_batch_size: int = Field(default=500, ge=1, description="InfluxDB write batch (points)")
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
