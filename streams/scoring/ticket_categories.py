"""Which touch points can explain a ticket of a given category (formula 3.0).

Reads and writes nothing. A VPN ticket is explained by VPN trouble, not by a slow
app that happened to lose the user more time in the hours before it; a password
reset is explained by nothing. Service desks name categories freely (ServiceNow
"Network", TOPdesk "Printing", the simulator ``call_quality``), so a category is
matched by its words: it is lower-cased and split on anything that is not a letter
or digit, and each word, and each pair of adjacent words written together ("sign
in" -> ``signin``), is looked up in :data:`WORD_TOUCH_POINTS` and
:data:`REQUEST_WORDS`.

* Words of :data:`WORD_TOUCH_POINTS` found: the union of their touch points fits.
* Else words of :data:`REQUEST_WORDS` found (a password reset, an access or
  hardware request, a how-to question): no touch point fits; the ticket has no signal.
* Else the category is unknown: every touch point fits, as in formula 2.2; add its
  words here to judge it.

Start and logon go together (people do not tell a slow boot from a slow sign-in);
synthetic probes fit the network and applications, whose trouble they time.
"""

from __future__ import annotations

import re
from itertools import pairwise

from xlapulse.streams.scoring.personas import TELEMETRY_TOUCH_POINTS

_START = ("boot", "logon")
_NETWORK = ("vpn", "call", "probe")
WORD_TOUCH_POINTS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("boot", "startup", "start", "logon", "login", "signin", "gpo", "profile"), _START
    ),
    **dict.fromkeys(("vpn", "remote", "anyconnect", "globalprotect"), ("vpn", "probe")),
    **dict.fromkeys(("network", "wifi", "wlan", "connectivity", "connection"), _NETWORK),
    **dict.fromkeys(
        ("application", "applications", "app", "apps", "software", "crash", "freeze"),
        ("app", "probe"),
    ),
    **dict.fromkeys(
        ("call", "calls", "callquality", "audio", "video", "voice", "telephony", "meeting"),
        ("call",),
    ),
    **dict.fromkeys(("print", "printing", "printer", "printers"), ("print",)),
}
REQUEST_WORDS = frozenset(
    {
        "password",
        "access",
        "account",
        "request",
        "hardware",
        "howto",
        "question",
        "inquiry",
        "onboarding",
    }
)
_NOT_A_LETTER_OR_DIGIT = re.compile(r"[^a-z0-9]+")


def _words(category: str) -> list[str]:
    words = [word for word in _NOT_A_LETTER_OR_DIGIT.split(category.lower()) if word]
    return words + [first + second for first, second in pairwise(words)]


def fitting_touch_points(category: str) -> tuple[str, ...] | None:
    """The touch points whose trouble can explain a ticket of ``category``, in the
    dashboards' order; () for a request nothing explains; None for an unknown category
    (any touch point fits)."""
    words = _words(category)
    fits = {point for word in words for point in WORD_TOUCH_POINTS.get(word, ())}
    if fits:
        return tuple(point for point in TELEMETRY_TOUCH_POINTS if point in fits)
    if REQUEST_WORDS.intersection(words):
        return ()
    return None
