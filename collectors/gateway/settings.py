"""Gateway settings from ``XLAPULSE_*`` environment variables (on top of the shared ones).

Per-source secrets are ``SecretStr``: they never show in a repr, a log line or an error.
A source without a secret rejects every request (fail closed).
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from xlapulse.collectors.settings import XlapulseSettings


class GatewaySettings(XlapulseSettings):
    """Settings of ``xlapulse gateway``; environment variables are ``XLAPULSE_<FIELD>``."""

    pseudonym_key: SecretStr = SecretStr("")

    gateway_host: str = "127.0.0.1"  # 0.0.0.0 in a pod
    gateway_port: int = Field(default=8470, ge=0, le=65535)

    # Authentication, one secret per source (see README.md, "Authentication").
    gateway_servicenow_token: SecretStr = SecretStr("")
    gateway_topdesk_token: SecretStr = SecretStr("")
    gateway_jira_secret: SecretStr = SecretStr("")
    gateway_zendesk_secret: SecretStr = SecretStr("")
    gateway_generic_secret: SecretStr = SecretStr("")
    gateway_survey_token: SecretStr = SecretStr("")
    gateway_helpscout_secret: SecretStr = SecretStr("")  # its CSAT ratings webhook

    # Limits.
    gateway_max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)
    gateway_rate_per_source_per_s: float = Field(default=1000.0, gt=0)
    gateway_rate_burst: int = Field(default=2000, ge=1)

    # Delivery.
    gateway_ack_timeout_s: float = Field(default=5.0, gt=0)
    gateway_retry_after_s: int = Field(default=10, ge=1)
    gateway_dedup_capacity: int = Field(default=100_000, ge=1)
    gateway_kafka_linger_ms: int = Field(default=5, ge=0)

    # Survey invitations emitted when a ticket is resolved.
    gateway_resolution_survey: str = Field(default="ticket_resolved", min_length=1, max_length=200)

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
