"""The ``[sources.cisco_secure_client]`` table, validated by ``xlapulse collector run``.

Reads and writes nothing; the collector service never imports it (see
``collectors/sources/settings.py``)."""

from __future__ import annotations

from pydantic import Field

from xlapulse.collectors.sources.settings import Table


class CiscoSecureClientSettings(Table):
    """Cisco Secure Client (AnyConnect) messages in the system log file (Linux)."""

    enabled: bool = Field(
        default=False, description="Read Cisco Secure Client's messages (where it is used)."
    )
    interval_s: int = Field(default=60, ge=1, description="Seconds between two reads.")
    path: str = Field(
        default="/var/log/syslog",
        description="The syslog file vpnagentd and vpnui write to (/var/log/messages on RHEL).",
    )
