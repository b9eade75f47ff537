"""``xlapulse collector manifest``: what this collector sends, in plain language.

Reads: the effective configuration (which sources run on this OS, how often, which
applications the probes test, whom to ask, how long data is kept) and its checked
privacy switches (which events and fields are switched off). Writes: text for an
employee or a works council, in English or Dutch (wording in ``manifest_text.py``); no
secret and no identity appears in it. It promises only what is configured: a probe
source without applications to test is listed as sending nothing.
"""

from __future__ import annotations

import sys
import textwrap
from urllib.parse import urlsplit

from xlapulse.collectors.agent.config import CollectorConfig
from xlapulse.collectors.agent.handoff import enabled_sources
from xlapulse.collectors.agent.manifest_text import ENGLISH, WORDING, Wording
from xlapulse.collectors.agent.privacy_decisions import PrivacyDecisions
from xlapulse.collectors.agent.privacy_filter import TELEMETRY_MODELS
from xlapulse.collectors.sources import SOURCES

#: The English purpose of each event type and sentence per field (``manifest_text.py``).
EVENT_PURPOSE = ENGLISH.purposes
FIELD_WORDS = ENGLISH.fields
#: Fields every record carries, named once for all records instead of per field.
ENVELOPE_FIELDS = ("schema_version", "event_type")


def render_manifest(
    config: CollectorConfig,
    privacy: PrivacyDecisions,
    platform: str = sys.platform,
    language: str = "en",
) -> str:
    words = WORDING[language]
    intervals = enabled_sources(config, platform)
    sending = {name: interval for name, interval in intervals.items() if _sends(config, name)}
    lines = [
        words.title,
        "=" * len(words.title),
        "",
        *words.intro,
        "",
        _organisation_line(words.contact, words.no_contact, "contact", config.privacy.contact),
        _organisation_line(
            words.retention, words.no_retention, "retention", config.privacy.retention
        ),
        "",
        words.destination.format(
            servers=config.kafka.bootstrap_servers, transport=_transport(config, words)
        ),
        words.spool.format(megabytes=config.spool.max_bytes // (1024 * 1024)),
        "",
        words.read_heading,
    ]
    if not intervals:
        lines.append(f"  {words.nothing_read}")
    for name, interval_s in intervals.items():
        text = f"- {words.sources[name]}: {_source_detail(config, name, interval_s, words)}"
        lines.extend(_wrap(text, "  ", "    "))
    lines += ["", words.records_heading, f"  {words.records_also}"]
    for event_type in _event_types(sending):
        if not privacy.is_sent(event_type):
            lines.append(f"  [{event_type}] {words.never_sent}")
            continue
        lines.append(f"  [{event_type}] {words.purposes[event_type]}:")
        lines.extend(_field_lines(event_type, privacy, words))
    lines += ["", words.switched_heading]
    switched = config.privacy.disabled_events + config.privacy.disabled_fields
    lines.append("  " + (", ".join(switched) if switched else words.nothing))
    return "\n".join(lines) + "\n"


def _organisation_line(filled: str, missing: str, key: str, value: str) -> str:
    return filled.format(**{key: value.strip()}) if value.strip() else missing


def _sends(config: CollectorConfig, name: str) -> bool:
    """Whether a switched-on source can send anything: a probe needs applications to test."""
    return name != "synthetic_probe" or bool(config.sources.synthetic_probe.targets)


def _source_detail(config: CollectorConfig, name: str, interval_s: int, words: Wording) -> str:
    if not _sends(config, name):
        return words.probe_without_targets
    every = _every(interval_s, words)
    if name != "synthetic_probe":
        return every
    targets = ", ".join(
        f"{target.app_name} ({urlsplit(str(target.url)).hostname})"
        for target in config.sources.synthetic_probe.targets
    )
    return f"{every}, {words.probe_targets.format(targets=targets)}"


def _event_types(intervals: dict[str, int]) -> list[str]:
    found: list[str] = []
    for name in intervals:
        for event_type in SOURCES[name].source.event_types:
            if event_type not in found:
                found.append(event_type)
    return found


def _field_lines(event_type: str, privacy: PrivacyDecisions, words: Wording = ENGLISH) -> list[str]:
    lines = []
    for name in TELEMETRY_MODELS[event_type].model_fields:
        if name in ENVELOPE_FIELDS:
            continue
        state = "" if privacy.is_sent(event_type, name) else f"  {words.field_off}"
        text = f"{name}: {field_words(event_type, name, words)}{state}"
        lines.extend(_wrap(text, " " * 6, " " * 8))
    return lines


def field_words(event_type: str, name: str, words: Wording = ENGLISH) -> str:
    """The sentence for a field of an event type; a field added to the contract without
    wording still shows, by its name (and a unit test fails)."""
    return (
        words.fields.get(f"{event_type}.{name}") or words.fields.get(name) or name.replace("_", " ")
    )


def _every(seconds: int, words: Wording) -> str:
    if seconds % 60 == 0 and seconds >= 120:
        return words.every_minutes.format(count=seconds // 60)
    return words.every_seconds.format(count=seconds)


def _transport(config: CollectorConfig, words: Wording) -> str:
    return words.encrypted if "SSL" in config.kafka.security_protocol else words.not_encrypted


def _wrap(text: str, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text, 100, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False
    )
