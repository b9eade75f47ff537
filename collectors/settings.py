"""Settings shared by every xlapulse process, from ``XLAPULSE_*`` environment variables.

Each process reads only the fields it needs; all of them have safe local defaults
that match ``deploy/local/services`` (Kafka on 127.0.0.1:9092, InfluxDB on 8086).
Each field's description is what ``xlapulse --help`` lists beside its variable.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
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

    # How the worker, the gateway and `xlapulse topics` reach Kafka: the collector's names
    # and choices (collectors/agent/config.py [kafka]). SSL and SASL_SSL check the brokers'
    # certificate against the CA file (empty: the system's CAs).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="Kafka security protocol"
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        default="SCRAM-SHA-512", description="Kafka SASL mechanism"
    )
    kafka_sasl_username: str = Field(default="", description="Kafka SASL user")
    kafka_sasl_password: SecretStr = Field(default=SecretStr(""), description="Kafka SASL password")
    kafka_ssl_ca_file: str = Field(
        default="", description="CA file for the brokers' certificates (empty: the system's)"
    )

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
    # before its changed table keys are stored, once each (streams/outbox.py).
    engine_batch_size: int = Field(
        default=500, ge=1, description="records per batch of the user and device agents"
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

    @model_validator(mode="after")
    def _kafka_security_complete(self) -> XlapulseSettings:
        """Refuse at start-up what could only fail later: SASL without a user or password,
        a CA file that cannot be read."""
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_username and self.kafka_sasl_password.get_secret_value()
        ):
            raise ValueError(
                f"XLAPULSE_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "XLAPULSE_KAFKA_SASL_USERNAME and XLAPULSE_KAFKA_SASL_PASSWORD"
            )
        if self.kafka_ssl_ca_file:
            try:
                with open(self.kafka_ssl_ca_file, "rb"):
                    pass
            except OSError as error:
                raise ValueError(
                    f"XLAPULSE_KAFKA_SSL_CA_FILE: cannot read {self.kafka_ssl_ca_file}: "
                    f"{error.strerror}"
                ) from None
        return self
