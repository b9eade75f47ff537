"""The pseudonym key, pseudonymizer and collector identity the unit tests share.

Reads and writes nothing. ``PSEUDONYM_KEY`` is the key the tests give the collector
(``XLAPULSE_PSEUDONYM_KEY``); ``PSEUDONYMIZER`` pseudonymizes with it, so a test can
compute the pseudonym a source or the collector must send; ``IDENTITY`` is the user
and machine every source under test collects as; :func:`runtime_settings` gives a source
its settings in the form the collector service hands them over.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from xlapulse.collectors.privacy import Pseudonymizer
from xlapulse.collectors.sources import settings_view
from xlapulse.collectors.sources.base import Identity

PSEUDONYM_KEY = "unit-test-key-0123456789"
PSEUDONYMIZER = Pseudonymizer(PSEUDONYM_KEY.encode())
IDENTITY = Identity(PSEUDONYMIZER, PSEUDONYMIZER.user("alice"), PSEUDONYMIZER.device("vm"))


def runtime_settings(settings: BaseModel) -> Any:
    """``settings`` as the service's sources get them: validated, dumped to JSON form and
    read back as plain attributes (``settings_view``), not the pydantic model, so a source
    that relied on something only the model has fails its unit tests too."""
    return settings_view(settings.model_dump(mode="json"))
