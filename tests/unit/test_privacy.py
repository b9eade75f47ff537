"""Pseudonymization at the edge."""

from __future__ import annotations

import pytest

from xlapulse.collectors.contract.events import DEVICE_PSEUDONYM_PATTERN, USER_PSEUDONYM_PATTERN
from xlapulse.collectors.privacy import Pseudonymizer, PseudonymKeyError

KEY = b"k" * 32


def test_pseudonyms_are_stable_and_normalized() -> None:
    pseudonymizer = Pseudonymizer(KEY)
    assert pseudonymizer.user("CORP\\JDoe") == pseudonymizer.user("  corp\\jdoe ")


def test_pseudonyms_depend_on_the_key() -> None:
    assert Pseudonymizer(KEY).user("jdoe") != Pseudonymizer(b"x" * 32).user("jdoe")


def test_user_and_device_namespaces_differ_and_match_the_contract() -> None:
    import re

    pseudonymizer = Pseudonymizer(KEY)
    user, device = pseudonymizer.user("ws042"), pseudonymizer.device("ws042")
    assert user[2:] != device[2:]
    assert re.fullmatch(USER_PSEUDONYM_PATTERN, user)
    assert re.fullmatch(DEVICE_PSEUDONYM_PATTERN, device)
    assert "ws042" not in user + device


def test_a_short_key_is_refused_with_advice() -> None:
    with pytest.raises(PseudonymKeyError, match="XLAPULSE_PSEUDONYM_KEY"):
        Pseudonymizer(b"short")


def test_empty_identity_is_refused() -> None:
    with pytest.raises(ValueError, match="empty user identity"):
        Pseudonymizer(KEY).user("   ")
