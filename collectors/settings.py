"""Settings shared by every xlapulse process, from ``XLAPULSE_*`` environment variables.

Each process reads only the fields it needs; all of them have safe local defaults
that match ``deploy/local/services`` (Kafka on 127.0.0.1:9092, InfluxDB on 8086).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class XlapulseSettings(BaseSettings):
    """Connection and tuning settings; environment variables are ``XLAPULSE_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="XLAPULSE_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_partitions: int = Field(default=6, ge=1, le=1000)
    topic_replication: int = Field(default=1, ge=1, le=5)
    # How the worker, the gateway and `xlapulse topics` reach Kafka: the collector's names
    # and choices (collectors/agent/config.py [kafka]). SSL and SASL_SSL check the brokers'
    # certificate against the CA file (empty: the system's CAs).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str = ""
    kafka_sasl_password: SecretStr = SecretStr("")
    kafka_ssl_ca_file: str = ""

    influx_url: str = "http://127.0.0.1:8086"
    influx_database: str = "xlapulse"
    influx_retention_policy: str = "autogen"
    # InfluxDB 1.x with authentication: a user and its password (sent as the v2-compatible
    # token "username:password"). InfluxDB 2.x: an API token with write access to the
    # bucket "<database>/<retention policy>" instead (its /api/v2/write takes no 1.x
    # user); the bucket and its DBRP mapping must exist (the Helm chart's init Job).
    influx_username: str = ""
    influx_password: SecretStr = SecretStr("")
    influx_token: SecretStr = SecretStr("")

    engine_id: str = "xlapulse-engine"
    engine_session_timeout_s: float = Field(default=30.0, gt=0)
    engine_data_dir: str = "/tmp/xlapulse-engine"
    # Faust table store: memory:// rebuilds tables from their changelogs at start
    # (recovery time measured in README "State"); rocksdb:// would keep them on disk.
    engine_store: str = "memory://"
    # The user and device agents handle records in batches of at most this many, waiting
    # at most this long for a batch to fill: a batch's outputs are acknowledged by Kafka
    # before its changed table keys are stored, once each (streams/outbox.py).
    engine_batch_size: int = Field(default=500, ge=1)
    engine_batch_within_s: float = Field(default=0.2, gt=0)
    # XLA file (personas, thresholds, weights, objectives); empty = the packaged default.
    xla_file: str = ""
    # Late-event policy: events older than this (event time) are dead-lettered.
    max_event_age_s: int = Field(default=7 * 86_400, gt=0)
    metrics_host: str = "127.0.0.1"  # 0.0.0.0 in a pod, so Prometheus can scrape it
    metrics_port: int = Field(default=9464, ge=0, le=65535)
    sink_batch_size: int = Field(default=500, ge=1)
    sink_batch_within_s: float = Field(default=1.0, gt=0)
    # Journey dips (streams/dips/): detector settings file (YAML; empty: the defaults),
    # Alertmanager's base URL (empty: no alerts are posted) and its credentials, and the
    # Grafana base URL the alerts link to.
    dips_file: str = ""
    alertmanager_url: str = ""
    alertmanager_bearer_token: SecretStr = SecretStr("")
    alertmanager_username: str = ""
    alertmanager_password: SecretStr = SecretStr("")
    dashboard_url: str = "http://127.0.0.1:3000"

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
