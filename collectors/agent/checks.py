"""The checks behind ``xlapulse collector check``; each returns None or a one-line problem.

Reads: the configuration, the spool folder, each enabled source (one read without a
bookmark, nothing stored), and the Kafka cluster's metadata for the telemetry topic
(which proves TCP, TLS and SASL all work). Writes: nothing but the spool database file.
"""

from __future__ import annotations

import logging

from kafka.errors import KafkaError, KafkaTimeoutError

from xlapulse.collectors.agent.config import CollectorConfig
from xlapulse.collectors.agent.daemon import identity_from, source_from
from xlapulse.collectors.agent.handoff import identity_document, kafka_document, sources_document
from xlapulse.collectors.agent.spool import Spool
from xlapulse.collectors.contract.topics import TELEMETRY_TOPIC
from xlapulse.collectors.delivery.kafka_producer import EventProducer, ProducerSettings


def check_spool(config: CollectorConfig) -> str | None:
    try:
        Spool(config.spool.resolved_directory(), config.spool.max_bytes, config.spool.fsync).close()
    except OSError as error:
        return f"cannot use the spool folder {config.spool.resolved_directory()}: {error}"
    return None


def check_sources(config: CollectorConfig) -> dict[str, tuple[str | None, list[str]]]:
    """Per source: its failure (or None) and its warnings: prerequisites that make it
    miss events (a source's ``prerequisite_warnings()``, e.g. cupsd's LogLevel) and the
    lines of the test read it could not map."""
    document = {"sources": sources_document(config)}
    results: dict[str, tuple[str | None, list[str]]] = {}
    identity = identity_from(identity_document(config))
    for name in document["sources"]:
        warnings: list[str] = []
        try:
            source = source_from(document, name, identity)
            warnings += source.prerequisite_warnings()
            collected = source.collect(None)
        except Exception as error:  # report every source, whatever breaks
            results[name] = (f"FAILED: {error}", warnings)
            continue
        if collected.unparsed.total:
            warnings.append(f"lines not mapped: {collected.unparsed.summary()}")
        results[name] = (None, warnings)
    return results


#: How long ``check`` waits for a first broker: enough for a slow link's TLS and SASL
#: handshakes, short enough that a wrong address is reported at once (the producer's own
#: 30 s default is for the daemon, which spools meanwhile).
CHECK_BOOTSTRAP_TIMEOUT_MS = 10_000

# most specific first: a refused SASL login also ends in a "KafkaSSLTransport ... socket
# disconnected" line, which must not hide it
CAUSE_WORDS = ("Authentication", "Sasl", "certificate", "SSL", "ECONNREFUSED")


class _LastKafkaError(logging.Handler):
    """Keeps kafka-python's warning and error lines; the one naming TLS, SASL or refusal is
    the cause. Warnings count: a refused SASL login is logged as a warning ("Bootstrap
    connection to ... failed: SaslAuthenticationFailedError ..."), and the error lines of
    the TLS disconnect that follows it may be all there is at ERROR."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        if record.levelno >= logging.ERROR:
            self.errors.append(record.getMessage())

    @property
    def message(self) -> str:
        for word in CAUSE_WORDS:
            causes = [m for m in self.messages if word in m]
            if causes:
                return causes[0]
        return (self.errors or self.messages or [""])[0]


def check_kafka(config: CollectorConfig) -> str | None:
    last_error = _LastKafkaError()
    kafka_log = logging.getLogger("kafka")
    saved = kafka_log.level, kafka_log.propagate
    kafka_log.setLevel(logging.WARNING)
    kafka_log.propagate = False  # captured for the one-line verdict, not printed
    kafka_log.addHandler(last_error)
    try:
        settings = ProducerSettings(
            **kafka_document(config), bootstrap_timeout_ms=CHECK_BOOTSTRAP_TIMEOUT_MS
        )
        return _connect_and_fetch_metadata(settings, last_error)
    finally:
        kafka_log.removeHandler(last_error)
        kafka_log.setLevel(saved[0])
        kafka_log.propagate = saved[1]


def _connect_and_fetch_metadata(
    settings: ProducerSettings, last_error: _LastKafkaError
) -> str | None:
    try:
        producer = EventProducer(settings)
    except KafkaTimeoutError:
        cause = f"; last client error: {last_error.message}" if last_error.message else ""
        return (
            f"FAILED: no broker answered at {settings.bootstrap_servers} with "
            f"{settings.security_protocol} within {settings.bootstrap_timeout_ms / 1000:.0f} s "
            f"(is it running, is the port right, does the "
            f"listener expect this protocol?){cause}{_sasl_hint(settings, last_error.message)}"
        )
    except (KafkaError, OSError) as error:
        return f"FAILED: {type(error).__name__}: {error}"
    try:
        producer.partitions_for(TELEMETRY_TOPIC)
    except KafkaError as error:
        return f"FAILED: connected, but metadata was refused: {type(error).__name__}: {error}"
    finally:
        producer.close(5.0)
    return None


def _sasl_hint(settings: ProducerSettings, cause: str) -> str:
    """A broker that refuses a SASL login may close the connection before the client reads
    its answer (seen with Kafka 4.1 and kafka-python 3.0.12): then only a disconnect is
    logged, and the likeliest reason must be said. Only then: a refused connection or no
    cause at all says nothing about the login."""
    if not settings.security_protocol.startswith("SASL_") or "disconnected" not in cause:
        return ""
    return "; with SASL, a wrong user name or password also ends in a disconnect like this"
