"""The collector manifest an employee or a works council reads (issue 13, item 5): every
field explained in plain words in English and Dutch, only what is configured promised,
whom to ask and how long data is kept."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from xlapulse.collectors.agent.config import load_config
from xlapulse.collectors.agent.manifest import ENVELOPE_FIELDS, field_words, render_manifest
from xlapulse.collectors.agent.manifest_text import DUTCH, ENGLISH, WORDING
from xlapulse.collectors.agent.privacy_filter import TELEMETRY_MODELS, decide_config_privacy
from xlapulse.collectors.cli import main
from xlapulse.collectors.sources import SOURCES

KEY = "manifest-test-key-0123456789"
PROBE_TARGETS = '[{"app_name": "Outlook", "url": "https://outlook.office.com/owa/"}]'


def _manifest(monkeypatch, language: str = "en", **environment: str) -> str:
    monkeypatch.setenv("XLAPULSE_PSEUDONYM_KEY", KEY)
    for name, value in environment.items():
        monkeypatch.setenv(f"XLAPULSE_COLLECTOR_{name}", value)
    config = load_config(None)
    text = render_manifest(config, decide_config_privacy(config.privacy), "linux", language)
    return " ".join(text.split())


@pytest.mark.parametrize("language", sorted(WORDING))
def test_every_field_source_and_event_type_is_explained_in_plain_words(language) -> None:
    words = WORDING[language]
    assert set(words.purposes) == set(TELEMETRY_MODELS)
    assert set(words.sources) == set(SOURCES)
    for event_type, model in TELEMETRY_MODELS.items():
        for name in model.model_fields:
            if name in ENVELOPE_FIELDS:
                continue
            explained = field_words(event_type, name, words)
            plain_name = name.replace("_", " ")
            assert explained.removesuffix(" (milliseconds)") != plain_name, (event_type, name)
            assert explained != plain_name and len(explained.split()) >= 4, (event_type, name)


def test_both_languages_explain_the_same_fields() -> None:
    assert set(ENGLISH.fields) == set(DUTCH.fields)
    assert not set(ENGLISH.fields.values()) & set(DUTCH.fields.values())


def test_probes_are_promised_only_when_applications_are_configured(monkeypatch) -> None:
    idle = _manifest(monkeypatch)
    assert (
        "timed test requests to work applications (they carry no user data): switched on, "
        "but no application is configured, so nothing is sent" in idle
    )
    assert "[synthetic_probe]" not in idle and "every 5 minutes, to:" not in idle
    probing = _manifest(monkeypatch, SOURCES__SYNTHETIC_PROBE__TARGETS=PROBE_TARGETS)
    assert "every 5 minutes, to: Outlook (outlook.office.com)" in probing
    assert "[synthetic_probe] how fast the work applications answered a test request" in probing
    assert "target_host: the server address tested" in probing


def test_contact_and_retention_are_shown_or_said_to_be_missing(monkeypatch) -> None:
    missing = _manifest(monkeypatch)
    assert "Questions: your organisation has not named a contact" in missing
    assert "How long it is kept: not stated in this collector's configuration yet" in missing
    given = _manifest(
        monkeypatch,
        PRIVACY__CONTACT="privacy@example.org, or the works council",
        PRIVACY__RETENTION="raw records 7 days, group scores 13 months",
    )
    assert "Questions: privacy@example.org, or the works council" in given
    assert "How long it is kept: raw records 7 days, group scores 13 months" in given


def test_the_dutch_manifest_has_no_english_sentence(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XLAPULSE_PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("XLAPULSE_COLLECTOR_SOURCES__SYNTHETIC_PROBE__TARGETS", PROBE_TARGETS)
    result = CliRunner().invoke(main, ["collector", "manifest", "--language", "nl"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert text.startswith("Wat de xlapulse-collector op deze computer verstuurt")
    assert "Vragen: uw organisatie heeft" in text and "elke 5 minuten, naar: Outlook" in text
    assert "boot_duration_ms: hoe lang het opstarten duurde" in text
    english = [ENGLISH.title, *ENGLISH.purposes.values(), *ENGLISH.fields.values()]
    assert [sentence for sentence in english if sentence in text] == []
