"""The pseudonym key, pseudonymizer and collector identity the unit tests share.

Reads and writes nothing. ``PSEUDONYM_KEY`` is the key the tests give the collector
(``XLAPULSE_PSEUDONYM_KEY``); ``PSEUDONYMIZER`` pseudonymizes with it, so a test can
compute the pseudonym a source or the collector must send; ``IDENTITY`` is the user
and machine every source under test collects as.
"""

from __future__ import annotations

from xlapulse.collectors.privacy import Pseudonymizer
from xlapulse.collectors.sources.base import Identity

PSEUDONYM_KEY = "unit-test-key-0123456789"
PSEUDONYMIZER = Pseudonymizer(PSEUDONYM_KEY.encode())
IDENTITY = Identity(PSEUDONYMIZER, PSEUDONYMIZER.user("alice"), PSEUDONYMIZER.device("vm"))
