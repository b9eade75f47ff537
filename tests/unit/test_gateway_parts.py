"""Gateway building blocks: OpenAPI drift, signatures, scrubbing and dead-letter redaction,
dedup LRU, token bucket."""

from __future__ import annotations

import base64
import gc
import hashlib
import hmac
import uuid

import pytest

from tests.unit.helpers import PSEUDONYMIZER
from xlapulse.collectors.gateway.auth import Unauthorized, authenticate, sign_hex, sign_zendesk
from xlapulse.collectors.gateway.dedup import RecentIds
from xlapulse.collectors.gateway.openapi import OPENAPI_PATH, render_openapi_text
from xlapulse.collectors.gateway.ratelimit import TokenBucket
from xlapulse.collectors.gateway.scrub import DeadLetterRedactor, scrub_comment, scrub_text
from xlapulse.collectors.gateway.settings import GatewaySettings


def test_committed_openapi_matches_the_code() -> None:
    assert OPENAPI_PATH.read_text() == render_openapi_text(), (
        "collectors/gateway/openapi.json is stale: run "
        "`xlapulse gateway --export-openapi collectors/gateway/openapi.json`"
    )


def test_zendesk_signature_is_base64_hmac_of_timestamp_and_body() -> None:
    expected = base64.b64encode(
        hmac.new(b"s3cret", b"2026-11-20T10:00:00Z" + b'{"a":1}', hashlib.sha256).digest()
    ).decode()
    assert sign_zendesk("s3cret", "2026-11-20T10:00:00Z", b'{"a":1}') == expected


def test_generic_accepts_a_signature_or_a_bearer_token() -> None:
    payload = b'{"a":1}'
    authenticate(
        "generic", "s3cret", {"X-Xlapulse-Signature": sign_hex("s3cret", payload)}, payload
    )
    authenticate("generic", "s3cret", {"Authorization": "Bearer s3cret"}, payload)
    with pytest.raises(Unauthorized, match="signature mismatch"):
        authenticate("generic", "s3cret", {"X-Xlapulse-Signature": "sha256=00"}, payload)


def test_no_secret_rejects_everything() -> None:
    with pytest.raises(Unauthorized, match="no secret configured"):
        authenticate("topdesk", "", {"Authorization": "Bearer "}, b"{}")


def test_secrets_do_not_show_in_settings_repr() -> None:
    settings = GatewaySettings(gateway_jira_secret="very-secret-value", pseudonym_key="k" * 32)
    assert "very-secret-value" not in repr(settings) and "k" * 32 not in repr(settings)
    assert settings.source_secret("jira") == "very-secret-value"


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("mail me: j.doe+it@corp.example.com", "mail me: [email]"),
        ("bel 06-12345678 of +31 20 123 4567", "bel [phone] of [phone]"),
        (
            "since 2026-11-20 09:14:31, ticket I 2611 042",
            "since 2026-11-20 09:14:31, ticket I 2611 042",
        ),
        ("lost 45 minutes\x00\x07", "lost 45 minutes"),
    ],
)
def test_scrub_text(text: str, scrubbed: str) -> None:
    assert scrub_text(text) == scrubbed


def test_scrub_caps_length() -> None:
    assert len(scrub_text("x" * 5000)) == 1000


@pytest.mark.parametrize(
    ("author", "comment", "scrubbed"),
    [
        ("CORP\\pjanssen", "Slow again. Groeten, PJanssen", "Slow again. Groeten, [person]"),
        (
            "jan.de.vries@corp.example",
            "Jan de Vries here: the VPN dropped in January, call 06-11223344",
            "[person] de [person] here: the VPN dropped in January, call [phone]",
        ),
        (None, "Groeten, Jan de Vries", "Groeten, Jan de Vries"),  # a pseudonym: no words known
    ],
)
def test_scrub_comment_also_removes_the_authors_own_name(
    author: str | None, comment: str, scrubbed: str
) -> None:
    assert scrub_comment(comment, author) == scrubbed


def test_redact_document_pseudonymizes_identity_keys_and_scrubs_text() -> None:
    pseudonyms = PSEUDONYMIZER
    document = {
        "reporter": {"displayName": "Sanne", "emailAddress": "s@example.com", "active": True},
        "summary": "call 0612345678",
        "count": 3,
    }
    redacted = DeadLetterRedactor(document, pseudonyms).redacted()
    assert redacted["reporter"]["displayName"] == pseudonyms.user("Sanne")
    assert redacted["reporter"]["active"] is True
    assert redacted["summary"] == "call [phone]"
    assert redacted["count"] == 3


def test_dead_letter_redactor_finds_the_document_s_people_in_free_text() -> None:
    pseudonyms = PSEUDONYMIZER
    document = {
        "caller": {"dynamicName": "Berg, Anna van den", "timeZone": "Europe/Amsterdam"},
        "category": {"name": "Software"},
        "detail": {"actor_id": "20978392", "submitter_id": 20978392, "device": "LT-AMS-0042"},
        "request": "Anna van den Berg (actor 20978392) says Software crashes; ali@example.org",
        "self": "https://example.atlassian.net/rest/api/2/user?accountId=5b10ac8d&expand=x",
    }
    redactor = DeadLetterRedactor(document, pseudonyms)
    redacted = redactor.redacted()
    assert redacted["request"] == (
        "[person] van den [person] (actor [person]) says Software crashes; [email]"
    )
    assert redacted["self"].endswith("/user?accountId=[person]&expand=x")
    assert redacted["detail"]["actor_id"] == pseudonyms.user("20978392")
    assert redacted["detail"]["submitter_id"] == pseudonyms.user("20978392")
    assert redacted["detail"]["device"] == pseudonyms.device("LT-AMS-0042")
    assert redactor.text("LT-AMS-0042 will not boot") == "[person] will not boot"  # a device too
    assert redactor.text("got 'Ali'") == "got '[person]'"  # an e-mail's local part is a name


def test_dead_letter_redactor_cuts_deep_nesting() -> None:
    deep: list[object] = []
    node = deep
    for _level in range(100):
        node.append([])
        node = node[0]  # type: ignore[assignment]
    redacted = DeadLetterRedactor({"x": deep}, PSEUDONYMIZER).redacted()
    assert "[nested too deep]" in repr(redacted)


def test_recent_ids_evicts_least_recently_used() -> None:
    recent = RecentIds(capacity=2)
    first, second, third = (uuid.uuid4() for _ in range(3))
    recent.add(first)
    recent.add(second)
    assert first in recent  # touch: second is now the oldest
    recent.add(third)
    assert first in recent and third in recent and second not in recent
    assert len(recent) == 2


def test_recent_ids_hold_nothing_the_garbage_collector_walks() -> None:
    # 100,000 tracked UUIDs made each full collection stop the gateway for 40-50 ms
    recent = RecentIds(capacity=1000)
    for _ in range(1000):
        recent.add(uuid.uuid4())
    held = gc.get_referents(recent._ids)
    assert len(held) >= 1000  # the ids (and what else the ordered dict refers to)
    assert not any(gc.is_tracked(item) for item in held)


def test_token_bucket_admits_burst_then_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate_per_s=2.0, burst=2, clock=lambda: now[0])
    assert [bucket.take(), bucket.take()] == [0.0, 0.0]
    assert bucket.take() == 1.0
    now[0] = 0.5
    assert bucket.take() == 0.0
