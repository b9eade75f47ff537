"""Collector configuration: one TOML file plus ``XLAPULSE_COLLECTOR_*`` environment variables.

Reads: the TOML file given with ``--config`` (tables ``[identity]``, ``[kafka]``,
``[spool]``, ``[privacy]``, ``[sources.<name>]``) and the environment, which wins:
``XLAPULSE_COLLECTOR_<TABLE>__<KEY>``, e.g. ``XLAPULSE_COLLECTOR_KAFKA__SASL_PASSWORD``.
The pseudonymization key may also come from ``XLAPULSE_PSEUDONYM_KEY``, the variable
the rest of xlapulse uses. Writes: nothing. Secrets are ``SecretStr``: never logged.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, create_model, field_validator

from xlapulse.collectors.sources import SOURCES
from xlapulse.collectors.sources.settings import Table, settings_model

KEY_FALLBACK_ENV = "XLAPULSE_PSEUDONYM_KEY"
ENV_PREFIX = "XLAPULSE_COLLECTOR_"
ENV_NESTED_DELIMITER = "__"


class IdentityConfig(Table):
    """Whose device this is. Both names are pseudonymized before anything is sent."""

    user: str = Field(default="", description="User name; empty means the signed-in user.")
    device: str = Field(default="", description="Device name; empty means the host name.")

    def resolved_user(self) -> str:
        return self.user or os.environ.get("USERNAME") or getpass.getuser()

    def resolved_device(self) -> str:
        return self.device or socket.gethostname()


class KafkaConfig(Table):
    """Where events go, and how the producer is tuned."""

    bootstrap_servers: str = Field(default="127.0.0.1:9092", description="host:port[,host:port].")
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="Use SSL or SASL_SSL outside a lab."
    )
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        default="SCRAM-SHA-512", description="SASL mechanism when the protocol is SASL_*."
    )
    sasl_username: str = Field(default="", description="SASL user name.")
    sasl_password: SecretStr = Field(
        default=SecretStr(""), description="SASL password; prefer the environment variable."
    )
    ssl_ca_file: str = Field(default="", description="CA bundle (PEM) that signed the brokers.")
    ssl_cert_file: str = Field(default="", description="Client certificate (PEM) for mutual TLS.")
    ssl_key_file: str = Field(default="", description="Client private key (PEM) for mutual TLS.")
    ssl_check_hostname: bool = Field(default=True, description="Check the broker's host name.")
    compression_type: Literal["zstd", "lz4", "gzip", "none"] = Field(
        default="zstd", description="Batch compression."
    )
    linger_ms: int = Field(default=200, ge=0, description="Wait this long to fill a batch.")
    batch_size_bytes: int = Field(default=64 * 1024, ge=1024, description="Largest batch.")
    request_timeout_ms: int = Field(default=30_000, ge=1000, description="Broker reply limit.")


class SpoolConfig(Table):
    """The disk spool that holds events until Kafka acknowledged them."""

    directory: str = Field(
        default="",
        description="Spool and bookmark folder; empty means the platform default "
        "(/var/lib/xlapulse/collector, %ProgramData%\\xlapulse\\collector).",
    )
    max_bytes: int = Field(
        default=32 * 1024 * 1024, ge=64 * 1024, description="Cap; the oldest events go first."
    )
    fsync: Literal["always", "normal"] = Field(
        default="always",
        description="always: every stored round survives a power cut; "
        "normal: survives a crash, a power cut may lose the last rounds.",
    )
    retry_s: float = Field(default=30.0, gt=0, description="Seconds between two replay attempts.")

    def resolved_directory(self) -> Path:
        if self.directory:
            return Path(self.directory).expanduser()
        if sys.platform == "win32":
            return Path(os.environ.get("PROGRAMDATA", "C:\\ProgramData")) / "xlapulse" / "collector"
        return Path("/var/lib/xlapulse/collector")


class MetricsConfig(Table):
    """The service's counters, for Prometheus through node_exporter's textfile collector."""

    textfile: str = Field(
        default="",
        description="Write the counters here (Prometheus text format) after every round, "
        "e.g. /var/lib/node_exporter/textfile/xlapulse_collector.prom; empty: off.",
    )


class PrivacyConfig(Table):
    """What may leave the device."""

    pseudonym_key: SecretStr = Field(
        default=SecretStr(""),
        description="HMAC key, at least 16 bytes; set XLAPULSE_PSEUDONYM_KEY instead of "
        "writing it here.",
    )
    disabled_events: list[str] = Field(
        default_factory=list, description='Event types never sent, e.g. ["print_job"].'
    )
    disabled_fields: list[str] = Field(
        default_factory=list,
        description='Fields never sent, "<event type>.<field>", e.g. ["vpn_session.vpn_gateway"].',
    )
    contact: str = Field(
        default="",
        max_length=500,
        description="Whom employees ask about this collector, shown by `xlapulse collector "
        'manifest`, e.g. "privacy@example.org or the works council".',
    )
    retention: str = Field(
        default="",
        max_length=500,
        description="How long the organisation keeps what the collector sends, in plain words, "
        'shown by the manifest, e.g. "raw records 7 days, group scores 13 months".',
    )


#: One table per registered source, in the registry's order; a source for another OS is
#: skipped at run time but its table is still validated.
SourcesConfig: type[Table] = create_model(
    "SourcesConfig",
    __base__=Table,
    __doc__="One table per input; a source for another OS is skipped.",
    **{
        name: (settings_model(name), Field(default_factory=settings_model(name)))
        for name in SOURCES
    },
)


class CollectorConfig(Table):
    """The whole collector configuration."""

    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    kafka: KafkaConfig = Field(default_factory=KafkaConfig)
    spool: SpoolConfig = Field(default_factory=SpoolConfig)
    # validate_default: the key fallback below must also run when [privacy] is absent
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig, validate_default=True)
    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)

    @field_validator("privacy")
    @classmethod
    def _key_from_shared_variable(cls, privacy: PrivacyConfig) -> PrivacyConfig:
        if not privacy.pseudonym_key.get_secret_value() and os.environ.get(KEY_FALLBACK_ENV):
            key = SecretStr(os.environ[KEY_FALLBACK_ENV])
            return privacy.model_copy(update={"pseudonym_key": key})
        return privacy


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which key and why."""


def environment_overrides(environ: Mapping[str, str]) -> dict:
    """``XLAPULSE_COLLECTOR_<TABLE>__<KEY>`` variables as nested tables (names case-insensitive).

    The same rules as pydantic-settings' nested environment source, which this replaces
    because importing pydantic-settings (with asyncio and argparse) cost the daemon about
    2.5 MiB of its 35 MB budget: a list or table value is JSON (``'["print_job"]'``),
    a scalar stays text and pydantic converts it; a variable that names no table
    (``XLAPULSE_COLLECTOR_CONFIG``, the ``--config`` default) is not configuration; an
    unknown key inside a table reaches validation and is rejected like one in the file.
    """
    overrides: dict = {}
    for name, value in environ.items():
        if not name.upper().startswith(ENV_PREFIX):
            continue
        path = name[len(ENV_PREFIX) :].lower().split(ENV_NESTED_DELIMITER)
        if path[0] not in CollectorConfig.model_fields:
            continue
        model: type[BaseModel] | None = CollectorConfig
        table = overrides
        for key in path[:-1]:
            model = _table_model(model, key)
            table = table.setdefault(key, {})
        leaf = model.model_fields.get(path[-1]) if model else None
        is_scalar = leaf is None or isinstance(leaf.default, (str, int, float, SecretStr))
        table[path[-1]] = value if is_scalar else _json_or_text(value)
    return overrides


def _table_model(model: type[BaseModel] | None, key: str) -> type[BaseModel] | None:
    field = model.model_fields.get(key) if model else None
    annotation = field.annotation if field else None
    is_table = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return annotation if is_table else None


def _json_or_text(value: str) -> object:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value  # validation then names the key and says what type it wants


def _deep_merge(base: dict, overrides: dict) -> dict:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(path: Path | None) -> CollectorConfig:
    """The configuration from ``path`` (optional) and the environment, which wins."""
    if path is not None and not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        document = tomllib.loads(path.read_text()) if path is not None else {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None
    try:
        return CollectorConfig.model_validate(
            _deep_merge(document, environment_overrides(os.environ))
        )
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in detail['loc'])}: {detail['msg']}"
            for detail in error.errors(include_url=False)
        )
        raise ConfigError(f"invalid configuration: {problems}") from None
