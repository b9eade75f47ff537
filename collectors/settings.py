"""Settings shared by every xlapulse server process, from ``XLAPULSE_*`` environment
variables: how to reach Kafka, the topics' partitions, and where /metrics is served.

The engine worker's own settings (InfluxDB, tables, batches, XLA and dip files,
Alertmanager) are ``streams/settings.py``'s, the gateway's ``gateway/settings.py``'s.
All have safe local defaults that match ``deploy/local/services`` (Kafka on
127.0.0.1:9092). Each field's description is what ``--help`` lists beside its variable.
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

    metrics_host: str = Field(
        default="127.0.0.1", description="address of /metrics and /ready (0.0.0.0 in a pod)"
    )
    metrics_port: int = Field(
        default=9464, ge=0, le=65535, description="port of /metrics and /ready (0: off)"
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
