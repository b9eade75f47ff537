"""Issue 17, hostile input at the gateway and the worker: the defects the first fuzz run
found, as regression tests (the collector's are in ``test_hostile_records.py``, the
continuous fuzzing in tests/fuzz, the scrub's speed in tests/benchmarks/hostile_scrub.py).

* A body with a lone surrogate answered 500 and its dead letter was lost: now 400, and
  the body is dead-lettered as size and hash.
* The e-mail pattern was quadratic (a 200 KB word: minutes): now linear; here only its
  results on large and adversarial inputs are checked, under a hang guard.
* The worker's decode raised ValueError or RecursionError on huge integers, deep nesting
  and non-ASCII digits in ``schema_version``: now ContractViolation, with a reason that
  quotes nothing personal.
"""

from __future__ import annotations

import json

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.test_contract import ONE_OF_EACH
from tests.unit.test_gateway_http import MemoryProducer, bearer, client, producer  # noqa: F401
from xlapulse.collectors.contract.codec import ContractViolation, encode_event, parse_event
from xlapulse.collectors.gateway.scrub import EMAIL, scrub_comment, scrub_text

LOGON = json.loads(encode_event(ONE_OF_EACH[1]))
CALL = encode_event(ONE_OF_EACH[4]).decode()
SURVEY = {"user": "jan.jansen@corp.example", "score": 3, "ticket_id": "INC1",
          "answered_at": "2026-11-23T08:00:00Z"}  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/surveys/answers", json.dumps({**SURVEY, "comment": "slow\ud800"})),
        ("/v1/webhooks/servicenow", '{"operation": "insert", "record": {"number": "x\\udfff"}}'),
    ],
)
async def test_a_lone_surrogate_is_a_400_and_dead_lettered(
    client: TestClient,  # noqa: F811
    producer: MemoryProducer,  # noqa: F811
    path: str,
    body: str,
) -> None:
    response = await client.post(path, data=body.encode(), headers=bearer())
    assert response.status == 400
    assert "lone surrogate" in (await response.json())["error"]
    ((topic, value),) = producer.stored
    assert topic == "xlapulse.deadletter.v1"
    dead_letter = json.loads(value)
    assert dead_letter["document"] is None and dead_letter["body_bytes"] == len(body.encode())


ADVERSARIAL_UNITS = ["a", "a.", "a@", "1", "1 ", "a-", "+(", "x@y", "\\", "a\\", ".", "@a."]


@pytest.mark.timeout(120)  # a hang guard, not a speed target: see tests/benchmarks
@settings(max_examples=40, derandomize=True, deadline=None)
@given(
    unit=st.sampled_from(ADVERSARIAL_UNITS),
    size=st.integers(min_value=1_000, max_value=200_000),
    address_at=st.floats(min_value=0, max_value=1),
)
def test_the_scrub_handles_large_adversarial_text(unit: str, size: int, address_at: float):
    """Sizes up to a 200 KB body, built from the repeats that made the old pattern
    quadratic, with an address planted: the address goes, the rest stays."""
    text = unit * (size // len(unit))
    at = int(len(text) * address_at)
    planted = text[:at] + " jan.jansen@corp.example " + text[at:]
    scrubbed = scrub_text(planted, max_chars=10**7)
    assert "jan.jansen" not in scrubbed and "[email]" in scrubbed
    assert EMAIL.search(scrubbed) is None


def test_a_10000_character_comment_is_scrubbed() -> None:
    comment = ("Outlook hangs " * 700)[:9_950] + " mail jan.jansen@corp.example"
    scrubbed = scrub_comment(comment, "CORP\\pjanssen")
    assert "jan.jansen" not in scrubbed and len(scrubbed) <= 1000


VIOLATIONS = [
    (b'{"schema_version": 1' + b"0" * 5000 + b"}", "not UTF-8 JSON: Exceeds the limit"),
    (b"[" * 60_000, "nested too deeply"),
    (json.dumps({**LOGON, "schema_version": "\u0661.3"}).encode(), "schema_version missing"),
    (json.dumps({**LOGON, "schema_version": "\u00b2.3"}).encode(), "schema_version missing"),
    (json.dumps({**LOGON, "app": "\ud800"}).encode(), "Extra inputs are not permitted"),
    (json.dumps({**LOGON, "user_id": "\ud800"}).encode(), "user_id: Input should be a valid"),
    (json.dumps({**LOGON, "logon_duration_ms": float("nan")}).encode(), "NaN is not a JSON"),
    (json.dumps({**LOGON, "event_type": "call_quality", "jitter_ms": 1e999}).encode(), "Infinity"),
    (CALL.replace('"jitter_ms":35.0', '"jitter_ms":1e999').encode(), "a finite number"),
    (json.dumps({**LOGON, "event_type": "jan.jansen@corp.example"}).encode(), "event type a st"),
    (json.dumps({**LOGON, "CORP\\pjanssen": 1}).encode(), "logon.<a key>: Extra inputs"),
    (json.dumps({**LOGON, "schema_version": "CORP\\pjanssen"}).encode(), "a string of 13 char"),
    (b'{"a": "\xff"}', "not UTF-8 JSON: byte 7 is not UTF-8"),
]


@pytest.mark.parametrize(("raw", "reason"), VIOLATIONS)
def test_every_defect_is_a_contract_violation_with_a_safe_reason(raw: bytes, reason: str):
    with pytest.raises(ContractViolation) as raised:
        parse_event(raw)
    assert reason in raised.value.reason
    assert "jan.jansen" not in raised.value.reason and "pjanssen" not in raised.value.reason
    raised.value.reason.encode()  # a Kafka header: no lone surrogate
