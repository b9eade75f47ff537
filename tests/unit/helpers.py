"""The pseudonym key, pseudonymizer and collector identity the unit tests share.

Reads and writes nothing. ``PSEUDONYM_KEY`` is the key the tests give the collector
(``XLAPULSE_PSEUDONYM_KEY``); ``PSEUDONYMIZER`` pseudonymizes with it, so a test can
compute the pseudonym a source or the collector must send; ``IDENTITY`` is the user
and machine every source under test collects as; :func:`runtime_settings` gives a source
its settings in the form the collector service hands them over; :func:`fresh_python`
runs a probe in a new interpreter (nothing this test process imported is loaded there).
"""

from __future__ import annotations

import subprocess
import sys
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


def fresh_python(code: str) -> str:
    """stdout of ``code`` run in a fresh interpreter (this test process may have imported
    kafka, pydantic or the contract already); fails on a non-zero exit."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
