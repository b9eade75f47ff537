"""From the validated configuration to the collector runtime: a plain JSON document.

Reads: a :class:`CollectorConfig` that pydantic validated and its checked privacy
switches (``xlapulse collector run`` and ``once`` load both with clear errors and exit
code 78). Writes: the runtime
document, everything the service process needs and nothing it must validate again:

* ``identity``: the pseudonymization key and the resolved user and device names;
* ``kafka``: the producer's settings (:class:`ProducerSettings` fields);
* ``spool``: folder, size cap, fsync policy, replay interval;
* ``privacy``: the privacy switches' decisions (:class:`PrivacyDecisions`);
* ``sources``: per source enabled on this OS, its interval and its validated settings.

:func:`exec_runtime` hands it to ``python -m xlapulse.collectors.agent.runtime`` by
``exec``: same process id (signals from systemd or a test reach the service), a fresh
address space without pydantic and click (peak RSS starts again from the interpreter).
The document holds secrets, so it travels in an anonymous in-memory file (memfd) whose
descriptor the runtime inherits: never in argv, the environment or a named file. Where
there is no memfd (Windows, macOS) the runtime runs in this process instead.
"""

from __future__ import annotations

import json
import os
import sys
from typing import NoReturn

from xlapulse.collectors.agent.config import CollectorConfig
from xlapulse.collectors.agent.privacy_decisions import PrivacyDecisions
from xlapulse.collectors.sources import SOURCES

RUNTIME_MODULE = "xlapulse.collectors.agent.runtime"


def enabled_sources(config: CollectorConfig, platform: str = sys.platform) -> dict[str, int]:
    """Name -> interval_s of the sources that are switched on and run on this OS."""
    enabled = {}
    for name, spec in SOURCES.items():
        settings = getattr(config.sources, name)
        if settings.enabled and platform in spec.platforms:
            enabled[name] = settings.interval_s
    return enabled


def identity_document(config: CollectorConfig) -> dict:
    return {
        "pseudonym_key": config.privacy.pseudonym_key.get_secret_value(),
        "user": config.identity.resolved_user(),
        "device": config.identity.resolved_device(),
    }


def kafka_document(config: CollectorConfig) -> dict:
    """Keyword arguments of :class:`ProducerSettings`."""
    kafka = config.kafka
    return {
        "bootstrap_servers": kafka.bootstrap_servers,
        "linger_ms": kafka.linger_ms,
        "batch_size_bytes": kafka.batch_size_bytes,
        "compression_type": None if kafka.compression_type == "none" else kafka.compression_type,
        "request_timeout_ms": kafka.request_timeout_ms,
        "client_id": "xlapulse-collector",
        "security_protocol": kafka.security_protocol,
        "sasl_mechanism": kafka.sasl_mechanism,
        "sasl_username": kafka.sasl_username or None,
        "sasl_password": kafka.sasl_password.get_secret_value(),
        "ssl_cafile": kafka.ssl_ca_file or None,
        "ssl_certfile": kafka.ssl_cert_file or None,
        "ssl_keyfile": kafka.ssl_key_file or None,
        "ssl_check_hostname": kafka.ssl_check_hostname,
    }


def spool_document(config: CollectorConfig) -> dict:
    spool = config.spool
    return {
        "directory": str(spool.resolved_directory()),
        "max_bytes": spool.max_bytes,
        "fsync": spool.fsync,
        "retry_s": spool.retry_s,
    }


def sources_document(config: CollectorConfig, platform: str = sys.platform) -> dict:
    return {
        name: {
            "interval_s": interval_s,
            "settings": getattr(config.sources, name).model_dump(mode="json"),
        }
        for name, interval_s in enabled_sources(config, platform).items()
    }


def runtime_document(
    config: CollectorConfig, privacy: PrivacyDecisions, platform: str = sys.platform
) -> dict:
    """Everything the collector runtime needs, as JSON-ready data (secrets included)."""
    return {
        "identity": identity_document(config),
        "kafka": kafka_document(config),
        "spool": spool_document(config),
        "privacy": privacy.to_document(),
        "sources": sources_document(config, platform),
        "metrics": {"textfile": config.metrics.textfile},
    }


def exec_runtime(document: dict, verbose: bool) -> NoReturn:
    """Replace this process with the lean runtime, or run it here where exec cannot help."""
    if not hasattr(os, "memfd_create"):
        from xlapulse.collectors.agent.runtime import serve

        sys.exit(serve(document, verbose))
    descriptor = document_descriptor(document)
    argv = [sys.executable, "-m", RUNTIME_MODULE, "--config-fd", str(descriptor)]
    # one malloc arena for the service's threads (each would keep ~0.4 MiB of its own);
    # the variable is read by glibc at start-up, so it must be set before exec
    environment = {"MALLOC_ARENA_MAX": "1", **os.environ}
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [*argv, *(["--verbose"] if verbose else [])], environment)


def document_descriptor(document: dict) -> int:
    """An inheritable memfd holding ``document`` as JSON, positioned at its start."""
    descriptor = os.memfd_create("xlapulse-collector-config", 0)  # inheritable: no CLOEXEC
    view = memoryview(json.dumps(document).encode())
    while view:
        view = view[os.write(descriptor, view) :]
    os.lseek(descriptor, 0, os.SEEK_SET)
    return descriptor
