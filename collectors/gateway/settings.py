"""Gateway settings from ``XLAPULSE_*`` environment variables (on top of the shared ones).

Per-source secrets are ``SecretStr``: they never show in a repr, a log line or an error.
A source without a secret rejects every request (fail closed).
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from xlapulse.collectors.settings import XlapulseSettings


class GatewaySettings(XlapulseSettings):
    """Settings of ``xlapulse gateway``; environment variables are ``XLAPULSE_<FIELD>``."""

    pseudonym_key: SecretStr = Field(
        default=SecretStr(""), description="HMAC key for pseudonyms, >= 16 bytes (required)"
    )

    gateway_host: str = Field(default="127.0.0.1", description="listen address (0.0.0.0 in a pod)")
    gateway_port: int = Field(default=8470, ge=0, le=65535, description="listen port")

    # Authentication, one secret per source (see README.md, "Authentication").
    gateway_servicenow_token: SecretStr = Field(
        SecretStr(""), description="ServiceNow bearer token"
    )
    gateway_topdesk_token: SecretStr = Field(SecretStr(""), description="TOPdesk bearer token")
    gateway_jira_secret: SecretStr = Field(SecretStr(""), description="Jira webhook HMAC secret")
    gateway_zendesk_secret: SecretStr = Field(SecretStr(""), description="Zendesk HMAC secret")
    gateway_generic_secret: SecretStr = Field(SecretStr(""), description="generic HMAC secret")
    gateway_survey_token: SecretStr = Field(SecretStr(""), description="survey bearer token")
    gateway_helpscout_secret: SecretStr = Field(
        SecretStr(""), description="Help Scout CSAT webhook signing secret"
    )

    # Limits.
    gateway_max_body_bytes: int = Field(
        default=256 * 1024, ge=1024, le=16 * 1024 * 1024, description="largest request body"
    )
    gateway_rate_per_source_per_s: float = Field(
        default=1000.0, gt=0, description="requests/s per source before 429"
    )
    gateway_rate_burst: int = Field(default=2000, ge=1, description="burst above that rate")

    # Delivery.
    gateway_ack_timeout_s: float = Field(
        default=5.0, gt=0, description="wait for Kafka's acknowledgement before 503 (s)"
    )
    gateway_retry_after_s: int = Field(default=10, ge=1, description="Retry-After of a 503 (s)")
    gateway_dedup_capacity: int = Field(
        default=100_000, ge=1, description="recent webhook ids kept to drop repeats"
    )
    gateway_kafka_linger_ms: int = Field(default=5, ge=0, description="producer linger (ms)")

    # Survey invitations emitted when a ticket is resolved.
    gateway_resolution_survey: str = Field(
        default="ticket_resolved",
        min_length=1,
        max_length=200,
        description="survey named in invitations on resolution",
    )

    def source_secret(self, source: str) -> str:
        """The secret or token of ``source`` in clear text ('' when not configured)."""
        field = {
            "servicenow": self.gateway_servicenow_token,
            "topdesk": self.gateway_topdesk_token,
            "jira": self.gateway_jira_secret,
            "zendesk": self.gateway_zendesk_secret,
            "generic": self.gateway_generic_secret,
            "survey": self.gateway_survey_token,
            "helpscout": self.gateway_helpscout_secret,
        }[source]
        return field.get_secret_value()
