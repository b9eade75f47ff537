"""Webhook authentication: each source's own signature scheme, or a bearer token.

Reads request headers and the raw body; writes nothing. Every comparison is
constant-time (``hmac.compare_digest``). The secret and the received header values are
never logged or echoed: a failure returns only a short, fixed reason.

Schemes (see README.md):

* ``zendesk``: ``X-Zendesk-Webhook-Signature`` = base64(HMAC-SHA256(secret, timestamp + body))
  with ``X-Zendesk-Webhook-Signature-Timestamp``.
* ``jira``: ``X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, body)>`` (admin webhooks with a
  secret, WebSub style).
* ``helpscout``: ``X-HelpScout-Signature`` = base64(HMAC-SHA1(secret, body)), Help Scout's
  webhook signature (its CSAT ratings; the other CSAT endpoints use their vendor's scheme).
* ``generic``: ``X-Xlapulse-Signature: sha256=<hex HMAC-SHA256(secret, body)>``, or a bearer token.
* ``servicenow``, ``topdesk``, ``survey``: ``Authorization: Bearer <token>`` (the tools send a
  configured header; neither signs outbound requests).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

ZENDESK_SIGNATURE = "X-Zendesk-Webhook-Signature"
ZENDESK_TIMESTAMP = "X-Zendesk-Webhook-Signature-Timestamp"
HUB_SIGNATURE = "X-Hub-Signature"
XLAPULSE_SIGNATURE = "X-Xlapulse-Signature"
HELPSCOUT_SIGNATURE = "X-HelpScout-Signature"


class Unauthorized(Exception):
    """The request is not authenticated; ``reason`` is safe to log and return."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def authenticate(source: str, secret: str, headers: Mapping[str, str], body: bytes) -> None:
    """Raise :class:`Unauthorized` unless the request carries valid credentials."""
    if not secret:
        raise Unauthorized("no secret configured for this source")
    if source == "zendesk":
        _check_zendesk(secret, headers, body)
    elif source == "helpscout":
        _check_helpscout(secret, headers.get(HELPSCOUT_SIGNATURE), body)
    elif source == "jira":
        _check_hex_signature(secret, headers.get(HUB_SIGNATURE), body)
    elif source == "generic" and XLAPULSE_SIGNATURE in headers:
        _check_hex_signature(secret, headers.get(XLAPULSE_SIGNATURE), body)
    else:
        _check_bearer(secret, headers.get("Authorization"))


def sign_hex(secret: str, body: bytes) -> str:
    """``sha256=<hex>`` as Jira and the generic format send it (for clients and tests)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def sign_zendesk(secret: str, timestamp: str, body: bytes) -> str:
    """Zendesk's signature of ``timestamp + body``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def sign_helpscout(secret: str, body: bytes) -> str:
    """Help Scout's signature of ``body``: base64(HMAC-SHA1(secret, body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha1).digest()).decode()


def _check_helpscout(secret: str, header: str | None, body: bytes) -> None:
    if not header:
        raise Unauthorized("missing Help Scout signature header")
    if not hmac.compare_digest(header.strip().encode(), sign_helpscout(secret, body).encode()):
        raise Unauthorized("signature mismatch")


def _check_zendesk(secret: str, headers: Mapping[str, str], body: bytes) -> None:
    signature, timestamp = headers.get(ZENDESK_SIGNATURE), headers.get(ZENDESK_TIMESTAMP)
    if not signature or not timestamp:
        raise Unauthorized("missing Zendesk signature headers")
    if not hmac.compare_digest(signature.encode(), sign_zendesk(secret, timestamp, body).encode()):
        raise Unauthorized("signature mismatch")


def _check_hex_signature(secret: str, header: str | None, body: bytes) -> None:
    if not header:
        raise Unauthorized("missing signature header")
    if not hmac.compare_digest(header.strip().encode(), sign_hex(secret, body).encode()):
        raise Unauthorized("signature mismatch")


def _check_bearer(secret: str, header: str | None) -> None:
    scheme, _, token = (header or "").partition(" ")
    if scheme.casefold() != "bearer" or not token:
        raise Unauthorized("missing bearer token")
    if not hmac.compare_digest(token.strip().encode(), secret.encode()):
        raise Unauthorized("wrong bearer token")
