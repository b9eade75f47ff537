"""Pseudonymization at the edge: identities never leave a device in clear text.

A user name or device name is replaced by a keyed HMAC-SHA256 (truncated to
128 bits) before an event is built. The key comes from configuration
(``XLAPULSE_PSEUDONYM_KEY``), never from code; without it, the same name maps to
an unrelated pseudonym, so a pseudonym cannot be reversed by hashing a list of
known names. The collectors and the gateway use the same key, so a user's
telemetry and tickets still join in the engine.
"""

from __future__ import annotations

import hmac

MIN_KEY_BYTES = 16


class PseudonymKeyError(ValueError):
    """The pseudonymization key is missing or too short."""


class Pseudonymizer:
    """Maps identities to stable pseudonyms with one secret key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise PseudonymKeyError(
                f"the pseudonymization key must be at least {MIN_KEY_BYTES} bytes "
                f"(got {len(key)}); set XLAPULSE_PSEUDONYM_KEY to a long random secret"
            )
        self._key = key

    def user(self, identity: str) -> str:
        """Pseudonym for a user account, e.g. ``CORP\\jdoe`` or ``jdoe@corp.example``."""
        return "u_" + self._digest("user", identity)

    def device(self, hostname: str) -> str:
        """Pseudonym for a device name."""
        return "d_" + self._digest("device", hostname)

    def _digest(self, domain: str, identity: str) -> str:
        normalized = identity.strip().casefold()
        if not normalized:
            raise ValueError(f"cannot pseudonymize an empty {domain} identity")
        message = f"{domain}:{normalized}".encode()
        # hmac.digest: the one-shot HMAC in C, the same value as hmac.new(...).digest()
        return hmac.digest(self._key, message, "sha256").hex()[:32]
