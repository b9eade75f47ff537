"""Remove personal data from free text and from payloads bound for the dead-letter topic.

Reads strings and parsed JSON documents; writes scrubbed copies. Nothing here logs.

* Free text (survey comments): e-mail addresses become ``[email]``, Windows account
  names (``CORP\\pjanssen``) ``[person]``; phone numbers (9+
  digits, or 7+ after a ``+``, with the usual separators; dates are kept) become
  ``[phone]``; control characters go; the text is capped at :data:`COMMENT_MAX_CHARS`.
  The words of the answering user's identity become ``[person]`` (:func:`scrub_comment`).
* Dead-letter documents (:class:`DeadLetterRedactor`): values under identity keys
  (``email``, ``caller``, ``reporter``, ``author``, ``assignee``, ``name``, Zendesk's
  ``actor_id`` ...) and the ``from``/``to`` of a Jira changelog item about a person become
  pseudonyms with the gateway's HMAC key, device names device pseudonyms. Every other
  string is scrubbed like free text, and also loses the personal values found elsewhere in
  the same document (ids, e-mail addresses, device names, and the words of person names
  and of e-mail local parts: ``Hi [person]`` when the reporter is Sanne de Vries; all of
  them become ``[person]``) and user ids in URLs
  (``?accountId=``); keys are scrubbed the same way. The dead-letter reason goes through
  the same text scrub, as it may quote the payload. The structure stays, so the reason
  can be debugged; parts nested deeper than :data:`MAX_DEPTH` are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from xlapulse.collectors.privacy import Pseudonymizer

COMMENT_MAX_CHARS = 1000
DOCUMENT_TEXT_MAX_CHARS = 2000
MAX_DEPTH = 32
MIN_KNOWN_CHARS = 3  # shorter values and name parts are not looked for in free text
# group 1: the local part; it starts only where a run of its characters starts, so the
# scan is linear (without the look-behind every position of a long word is a start that
# runs to the word's end: quadratic, minutes for a 200 KB body)
EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]+)@[\w-]+(?:\.[\w-]+)+")
# DOMAIN\user: a word with a backslash, the whole word (also DOMAIN\\user as a repr or
# JSON escape writes it, or glued to a replaced e-mail address); linear, as EMAIL
ACCOUNT = re.compile(r"(?<![\w.$\[\]\\-])[\w.$\[\]-]*\\[\w.$\[\]\\-]*")
PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d ()./-]{5,}\d(?![\w])")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
USER_URL_PARAMETER = re.compile(r"(?i)([?&](?:accountid|username|userkey|user|email)=)[^&#\s]*")
NAME_PART = re.compile(r"[^\W\d_]{3,}")
NOT_A_NAME = re.compile(r"[\d/:@]")  # ids, time zones, URLs, e-mail addresses
NAME_PARTICLES = frozenset({"van", "der", "den", "ten", "ter", "von", "del", "dos", "das"})
PERSON_PLACEHOLDER = "[person]"
# Objects that are a person (every value inside is personal), by vendor: Jira, TOPdesk,
# Zendesk, ServiceNow.
PERSON_KEYS = frozenset(
    {
        "actor",
        "assigned_to",
        "assignee",
        "author",
        "caller",
        "caller_id",
        "closed_by",
        "creator",
        "modifier",
        "opened_by",
        "operator",
        "reporter",
        "requester",
        "resolved_by",
        "submitter",
        "updateauthor",
        "user",
    }
)
IDENTITY_KEYS = PERSON_KEYS | frozenset(
    {
        "accountid",
        "actor_id",
        "assignee_id",
        "author_id",
        "caller_id.email",
        "caller_id.user_name",
        "collaborator_ids",
        "displayname",
        "dynamicname",
        "email",
        "email_cc_ids",
        "emailaddress",
        "follower_ids",
        "mobilenumber",
        "name",
        "phonenumber",
        "requester_id",
        "submitter_id",
        "sys_created_by",
        "sys_updated_by",
        "tmpfromaccountid",
        "tmptoaccountid",
        "user_name",
    }
)
DEVICE_KEYS = frozenset({"device", "device_name", "hostname"})
# A Jira changelog item whose ``field`` is one of these has a person in from/to.
PERSON_CHANGE_FIELDS = frozenset({"assignee", "reporter", "creator", "request participants"})
CHANGE_VALUE_KEYS = frozenset({"from", "to", "fromstring", "tostring"})
# Personal values under these keys are names: their words are looked for in free text too.
NAME_KEYS = PERSON_KEYS | frozenset(
    {
        "display_value",
        "displayname",
        "dynamicname",
        "firstname",
        "fromstring",
        "fullname",
        "lastname",
        "name",
        "surname",
        "tostring",
        "user_name",
    }
)
# In a person's object, values under these keys identify the person (not ``timeZone``,
# ``accountType``, ``active``): they are looked for in free text, as are device names.
PERSON_VALUE_KEYS = IDENTITY_KEYS | NAME_KEYS | CHANGE_VALUE_KEYS | frozenset({"id", "value"})
KNOWN_VALUE_KEYS = PERSON_VALUE_KEYS | DEVICE_KEYS


def scrub_text(text: str, max_chars: int = COMMENT_MAX_CHARS) -> str:
    """Free text without e-mail addresses, account names, phone numbers and control
    characters, capped."""
    text = CONTROL.sub("", text)
    text = EMAIL.sub("[email]", text)
    text = ACCOUNT.sub(PERSON_PLACEHOLDER, text)
    text = PHONE.sub(_phone_or_keep, text)
    return text[:max_chars].strip()


def scrub_comment(comment: str, author: str | None) -> str:
    """A survey comment scrubbed as free text, and without the words of its author's
    identity (``CORP\\pjanssen``, ``jan.jansen@corp.example``): people sign their comments.
    ``author`` is None when the answer came with a pseudonym (from an invitation)."""
    known = _known_pattern({"user": author}) if author else None
    text = scrub_text(comment)
    return known.sub(PERSON_PLACEHOLDER, text) if known else text


def _phone_or_keep(match: re.Match[str]) -> str:
    """Nine digits or more, or seven with a ``+`` prefix; dates are kept."""
    candidate = match.group(0)
    digits = sum(char.isdigit() for char in candidate)
    if DATE.match(candidate):
        return candidate
    if digits >= 9 or (candidate.startswith("+") and digits >= 7):
        return "[phone]"
    return candidate


class DeadLetterRedactor:
    """Redacts one dead-letter document, and texts about it such as the rejection reason."""

    def __init__(self, document: Any, pseudonymizer: Pseudonymizer) -> None:
        self._pseudonymizer = pseudonymizer
        self._document = document
        self._known = _known_pattern(document)

    def redacted(self) -> Any:
        """A copy of the document that is safe to store (see the module docstring)."""
        return self._node(self._document, 0)

    def text(self, text: str, max_chars: int = DOCUMENT_TEXT_MAX_CHARS) -> str:
        """Free text without e-mail addresses, phone numbers, user URLs and the document's
        personal values."""
        text = USER_URL_PARAMETER.sub(r"\1" + PERSON_PLACEHOLDER, scrub_text(text, max_chars))
        return self._known.sub(PERSON_PLACEHOLDER, text) if self._known else text

    def _node(self, document: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            return "[nested too deep]"
        if isinstance(document, dict):
            person_change = _is_person_change(document)
            return {  # keys are scrubbed like free text too: a sender may put anything there
                self.text(key): self._value(key, value, person_change, depth)
                for key, value in document.items()
            }
        if isinstance(document, list):
            return [self._node(item, depth + 1) for item in document]
        if isinstance(document, str):
            return self.text(document)
        if isinstance(document, int) and not -(2**63) <= document < 2**64:
            return "[integer beyond 64 bits]"
        return document

    def _value(self, key: str, value: Any, person_change: bool, depth: int) -> Any:
        folded = key.casefold()
        if folded in DEVICE_KEYS:
            return self._pseudonymize_all(value, self._pseudonymizer.device, depth + 1)
        if folded in IDENTITY_KEYS or (person_change and folded in CHANGE_VALUE_KEYS):
            return self._pseudonymize_all(value, self._pseudonymizer.user, depth + 1)
        return self._node(value, depth + 1)

    def _pseudonymize_all(self, value: Any, pseudonym: Callable[[str], str], depth: int) -> Any:
        if depth > MAX_DEPTH:
            return "[nested too deep]"
        if isinstance(value, dict):
            return {
                self.text(key): self._pseudonymize_all(item, pseudonym, depth + 1)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self._pseudonymize_all(item, pseudonym, depth + 1) for item in value]
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return pseudonym(str(value))
        return value


def _is_person_change(item: dict[str, Any]) -> bool:
    field = item.get("field")
    return isinstance(field, str) and field.casefold() in PERSON_CHANGE_FIELDS


def _known_pattern(document: Any) -> re.Pattern[str] | None:
    """One pattern matching the document's personal values and name parts as whole words."""
    found: list[str] = []
    for key, text, personal in _strings(document, "", personal=False, depth=0):
        if personal and key in KNOWN_VALUE_KEYS and "://" not in text:
            if len(text) >= MIN_KNOWN_CHARS:
                found.append(text)
            if key in NAME_KEYS and not NOT_A_NAME.search(text):
                found += _name_parts(text)
        for match in EMAIL.finditer(text):
            found += _name_parts(match.group(1))
    if not found:
        return None
    known = {value.casefold(): value for value in found}.values()  # the match ignores case
    alternatives = "|".join(re.escape(value) for value in sorted(known, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _strings(node: Any, key: str, personal: bool, depth: int) -> Iterator[tuple[str, str, bool]]:
    """Every string and integer of ``node`` as ``(its key, text, personal)``: personal when
    it sits under an identity key (other than a bare ``name``) or a device key, in a
    person's object or in the from/to of a person change."""
    if depth > MAX_DEPTH:
        return
    if isinstance(node, dict):
        person_change = _is_person_change(node)
        for child_key, value in node.items():
            folded = child_key.casefold()
            inside = (
                personal
                or (folded in IDENTITY_KEYS and folded != "name")
                or folded in DEVICE_KEYS
                or (person_change and folded in CHANGE_VALUE_KEYS)
            )
            yield from _strings(value, folded, inside, depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item, key, personal, depth + 1)
    elif isinstance(node, str | int) and not isinstance(node, bool) and str(node).strip():
        yield key, str(node).strip(), personal


def _name_parts(text: str) -> list[str]:
    return [part for part in NAME_PART.findall(text) if part.casefold() not in NAME_PARTICLES]
