"""Remove personal data from free text and from payloads bound for the dead-letter topic.

Reads strings and parsed JSON documents; writes scrubbed copies. Nothing here logs.

* Free text (survey comments): e-mail addresses become ``[email]``; phone numbers (9+
  digits, or 7+ after a ``+``, with the usual separators; dates are kept) become
  ``[phone]``; control characters go; the text is capped at :data:`COMMENT_MAX_CHARS`.
* Dead-letter documents: values under identity keys (``email``, ``caller``, ``reporter``,
  ``author``, ``name`` ...) become pseudonyms with the gateway's HMAC key, and every other
  string is scrubbed like free text; the structure stays, so the reason can be debugged.
"""

from __future__ import annotations

import re
from typing import Any

from xlapulse.collectors.privacy import Pseudonymizer

COMMENT_MAX_CHARS = 1000
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d ()./-]{5,}\d(?![\w])")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
IDENTITY_KEYS = frozenset(
    {
        "accountid",
        "author",
        "caller",
        "caller_id",
        "caller_id.email",
        "caller_id.user_name",
        "displayname",
        "dynamicname",
        "email",
        "emailaddress",
        "name",
        "opened_by",
        "phonenumber",
        "mobilenumber",
        "reporter",
        "requester",
        "requester_id",
        "user",
        "user_name",
    }
)


def scrub_text(text: str, max_chars: int = COMMENT_MAX_CHARS) -> str:
    """Free text without e-mail addresses, phone numbers and control characters, capped."""
    text = CONTROL.sub("", text)
    text = EMAIL.sub("[email]", text)
    text = PHONE.sub(_phone_or_keep, text)
    return text[:max_chars].strip()


def _phone_or_keep(match: re.Match[str]) -> str:
    """Nine digits or more, or seven with a ``+`` prefix; dates are kept."""
    candidate = match.group(0)
    digits = sum(char.isdigit() for char in candidate)
    if DATE.match(candidate):
        return candidate
    if digits >= 9 or (candidate.startswith("+") and digits >= 7):
        return "[phone]"
    return candidate


def redact_document(document: Any, pseudonymizer: Pseudonymizer) -> Any:
    """A copy of a parsed JSON document that is safe to store (see the module docstring)."""
    if isinstance(document, dict):
        return {key: _redact_value(key, value, pseudonymizer) for key, value in document.items()}
    if isinstance(document, list):
        return [redact_document(item, pseudonymizer) for item in document]
    if isinstance(document, str):
        return scrub_text(document, max_chars=2000)
    return document


def _redact_value(key: str, value: Any, pseudonymizer: Pseudonymizer) -> Any:
    if key.casefold() in IDENTITY_KEYS:
        return _pseudonymize_all(value, pseudonymizer)
    return redact_document(value, pseudonymizer)


def _pseudonymize_all(value: Any, pseudonymizer: Pseudonymizer) -> Any:
    if isinstance(value, dict):
        return {key: _pseudonymize_all(item, pseudonymizer) for key, item in value.items()}
    if isinstance(value, list):
        return [_pseudonymize_all(item, pseudonymizer) for item in value]
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
        return pseudonymizer.user(str(value))
    return value
