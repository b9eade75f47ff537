"""The CSAT endpoints: vendors' own satisfaction answers become survey_answer events.

Samples in tests/data/itsm/csat (PROVENANCE.md there). The answers are pseudonymized as
the same vendor's tickets are (so they join), their comments scrubbed, their scales
mapped to 0-10; wrong-typed payloads are 400 with a redacted dead letter; each endpoint
authenticates with its vendor's ticket-webhook secret (Help Scout with its own).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from tests.unit.test_gateway_adapters import wrong_value_crashes
from tests.unit.test_gateway_http import (
    KEY,
    SECRET,
    TOKEN,
    MemoryProducer,
    authenticated,
    settings,
)
from xlapulse.collectors.contract.codec import parse_event
from xlapulse.collectors.gateway.adapters import ADAPTERS, CSAT_ADAPTERS
from xlapulse.collectors.gateway.adapters.csat import scaled, survey_answer_events
from xlapulse.collectors.gateway.adapters.lifecycle import (
    IgnoredEvent,
    PayloadError,
    ticket_events,
)
from xlapulse.collectors.gateway.app import build_app
from xlapulse.collectors.gateway.auth import sign_helpscout
from xlapulse.collectors.gateway.server import create_gateway
from xlapulse.collectors.privacy import Pseudonymizer

ITSM = Path(__file__).resolve().parents[1] / "data" / "itsm"
CSAT = ITSM / "csat"
PSEUDONYMS = Pseudonymizer(KEY.encode())
SAMPLES = {
    "zendesk-csat": "zendesk_satisfaction_rating.json",
    "jira-csat": "jsm_feedback.json",
    "servicenow-survey": "servicenow_survey_answer.json",
    "helpscout-csat": "helpscout_rating.json",
}
HELPSCOUT_SECRET = "helpscout-secret-for-tests"


def sample(source: str) -> dict[str, Any]:
    return json.loads((CSAT / SAMPLES[source]).read_text())


def answer_of(source: str, document: dict[str, Any] | None = None):
    (event,) = survey_answer_events(CSAT_ADAPTERS[source], document or sample(source), PSEUDONYMS)
    return event


def ticket_user(source: str, name: str) -> str:
    """The pseudonym the vendor's ticket adapter gives the same requester."""
    document = json.loads((ITSM / name).read_text())
    (first, *_) = ticket_events(*ADAPTERS[source].map_payload(document), PSEUDONYMS)
    return first.user_id


def test_zendesk_good_rating_is_10_and_joins_the_requesters_tickets():
    event = answer_of("zendesk-csat")
    assert (event.score, event.ticket_id, event.comment) == (10, "35436", "Great support!")
    assert event.event_time.isoformat() == "2011-05-05T10:38:52+00:00"
    assert event.user_id == PSEUDONYMS.user("zendesk:20978392")  # as zendesk.py names him


def test_jsm_four_stars_are_8_the_reporter_joins_and_the_phone_number_is_scrubbed():
    event = answer_of("jira-csat")
    assert (event.score, event.ticket_id) == (8, "ITSD-231")
    assert event.user_id == ticket_user("jira", "jira_issue_updated_resolved.json")
    assert "12345678" not in (event.comment or "") and "[phone]" in (event.comment or "")


def test_servicenow_scale_answer_2_of_1_to_5_is_3_for_the_callers_incident():
    event = answer_of("servicenow-survey")
    assert (event.score, event.ticket_id) == (3, "INC0010042")
    assert event.user_id == ticket_user("servicenow", "servicenow_update_reassigned_resolved.json")
    assert event.event_time.isoformat() == "2026-11-19T08:31:04+00:00"


def test_helpscout_great_is_10_named_by_the_customers_first_address():
    event = answer_of("helpscout-csat")
    assert (event.score, event.ticket_id, event.comment) == (10, "1560011", "he was really helpful")
    assert event.user_id == PSEUDONYMS.user("john.doe@gmail.com")
    assert event.event_time.isoformat() == "2015-04-14T20:18:33+00:00"


def test_the_same_answer_delivered_twice_has_one_event_id():
    assert answer_of("helpscout-csat").event_id == answer_of("helpscout-csat").event_id


@pytest.mark.parametrize(
    ("low", "high", "values", "scores"),
    [
        (1, 5, (1, 2, 3, 4, 5), (0, 3, 5, 8, 10)),
        (0, 10, (0, 7, 10), (0, 7, 10)),
        (1, 7, (1, 4, 7), (0, 5, 10)),
    ],
)
def test_scales_map_linearly_onto_0_to_10(low, high, values, scores):
    assert tuple(scaled(value, low, high, "x") for value in values) == scores


def test_answers_off_the_scale_or_not_given_are_rejected_or_ignored():
    with pytest.raises(PayloadError, match=r"not on the scale 1\.\.5"):
        scaled(6, 1, 5, "feedback.rating")
    offered = sample("zendesk-csat")
    offered["satisfaction_rating"]["score"] = "offered"
    with pytest.raises(IgnoredEvent, match="not answered yet"):
        answer_of("zendesk-csat", offered)
    free_text = sample("servicenow-survey")
    free_text["metric"]["datatype"] = {"display_value": "String", "value": "string"}
    with pytest.raises(IgnoredEvent, match="no score"):
        answer_of("servicenow-survey", free_text)
    awful = sample("helpscout-csat")
    awful["rating"] = "Awful"
    with pytest.raises(PayloadError, match="not Great, Okay or Bad"):
        answer_of("helpscout-csat", awful)


@pytest.mark.parametrize("source", sorted(SAMPLES))
def test_every_wrong_typed_value_is_a_payload_error(source: str) -> None:
    """Each value of the sample, replaced in turn by each wrong-typed value, maps or is
    rejected (PayloadError, a contract ValidationError, IgnoredEvent): never a crash."""
    crashes = wrong_value_crashes(
        sample(source),
        lambda document: survey_answer_events(CSAT_ADAPTERS[source], document, PSEUDONYMS),
    )
    assert not crashes, "\n".join(crashes[:20])


# --- over HTTP: the vendor's authentication, survey topic, dead letters -----------------


@pytest.fixture
async def client() -> AsyncIterator[tuple[TestClient, MemoryProducer]]:
    producer = MemoryProducer()
    gateway = create_gateway(
        settings(gateway_helpscout_secret=HELPSCOUT_SECRET),
        producer,  # type: ignore[arg-type]
    )
    client = TestClient(TestServer(build_app(gateway)))
    await client.start_server()
    yield client, producer
    await client.close()


def headers_for(source: str, payload: bytes) -> dict[str, str]:
    if source == "helpscout-csat":
        return {
            "Content-Type": "application/json",
            "X-HelpScout-Signature": sign_helpscout(HELPSCOUT_SECRET, payload),
        }
    return authenticated(CSAT_ADAPTERS[source].auth_source, payload)


async def post_signed(http: TestClient, source: str, payload: bytes) -> ClientResponse:
    """``payload`` posted to ``source``'s CSAT endpoint with its vendor's authentication."""
    return await http.post(f"/v1/csat/{source}", data=payload, headers=headers_for(source, payload))


@pytest.mark.parametrize("source", sorted(SAMPLES))
async def test_each_endpoint_stores_a_survey_answer_after_its_vendors_authentication(
    client, source: str
) -> None:
    http, producer = client
    payload = (CSAT / SAMPLES[source]).read_bytes()
    response = await post_signed(http, source, payload)
    assert response.status == 200, await response.text()
    ((topic, value),) = producer.stored
    assert topic == "xlapulse.surveys.v1"
    assert parse_event(value).event_type == "survey_answer"
    forged = headers_for(source, payload + b" ")  # signed over another body
    if "Authorization" in forged:  # ServiceNow's bearer token does not sign the body
        forged["Authorization"] = "Bearer not-the-token"
    assert (await http.post(f"/v1/csat/{source}", data=payload, headers=forged)).status == 401


async def test_a_ticket_webhook_secret_does_not_open_help_scout(client) -> None:
    http, _ = client
    payload = (CSAT / SAMPLES["helpscout-csat"]).read_bytes()
    wrong = {
        "Content-Type": "application/json",
        "X-HelpScout-Signature": sign_helpscout(SECRET, payload),
    }
    assert (await http.post("/v1/csat/helpscout-csat", data=payload, headers=wrong)).status == 401
    bearer = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    assert (await http.post("/v1/csat/helpscout-csat", data=payload, headers=bearer)).status == 401


async def test_a_malformed_answer_is_400_and_a_redacted_dead_letter(client) -> None:
    http, producer = client
    document = sample("jira-csat")
    document["feedback"]["rating"] = "four"
    response = await post_signed(http, "jira-csat", json.dumps(document).encode())
    assert response.status == 400
    assert "feedback.rating must be a whole number" in (await response.json())["error"]
    ((topic, value),) = producer.stored
    assert topic == "xlapulse.deadletter.v1"
    assert json.loads(value)["source"] == "jira-csat"
    assert b"sanne.devries" not in value and b"12345678" not in value


async def test_a_rating_not_answered_yet_is_ignored_not_stored(client) -> None:
    http, producer = client
    document = sample("zendesk-csat")
    document["satisfaction_rating"]["score"] = "unoffered"
    response = await post_signed(http, "zendesk-csat", json.dumps(document).encode())
    assert response.status == 200
    assert "not answered yet" in (await response.json())["ignored"]
    assert producer.stored == []
