"""Proactive notices: "we know, we are on it" to the people a dip affects, and "it is
solved" when it closes (the seeds' advice: tell people before they have to call).

Reads a :class:`~xlapulse.streams.dips.tracker.Dip` transition and who was told of it
already; returns a :class:`~xlapulse.collectors.contract.outputs.NoticeEvent` or None.
Nobody is told twice that a dip is open: an update tells only the people it newly
affected, and the closing notice goes to everyone who was told it was open.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from xlapulse.collectors.contract.outputs import NoticeEvent
from xlapulse.streams.dips.buckets import ALL_SITES
from xlapulse.streams.dips.dip import Dip

#: how each touch point is called in a message, per language
TOUCH_POINT_WORDS = {
    "nl": {
        "boot": "het opstarten van computers",
        "logon": "het aanmelden",
        "vpn": "VPN",
        "app": "applicaties",
        "call": "bellen en vergaderen",
        "print": "printen",
        "probe": "bedrijfsapplicaties",
        "service_desk": "de servicedesk",
    },
    "en": {
        "boot": "computer start-up",
        "logon": "signing in",
        "vpn": "VPN",
        "app": "applications",
        "call": "calls and meetings",
        "print": "printing",
        "probe": "business applications",
        "service_desk": "the service desk",
    },
}
MESSAGES = {
    "we_know": {
        "nl": "We weten dat {what} {where} hapert; we werken eraan.",
        "en": "We know that {what} {where} is not working well; we are on it.",
    },
    "resolved": {
        "nl": "Het is opgelost: {what} {where} werkt weer.",
        "en": "It is solved: {what} {where} works again.",
    },
}
#: where the dip is: one site, or all sites (``all_sites.py``)
WHERE = {
    "nl": ("op locatie {site}", "op alle locaties"),
    "en": ("at {site}", "at all sites"),
}


def messages(kind: str, touch_point: str, site: str) -> dict[str, str]:
    """The message of a notice in Dutch and English."""
    return {
        language: template.format(
            what=TOUCH_POINT_WORDS[language][touch_point],
            where=WHERE[language][site == ALL_SITES].format(site=site),
        )
        for language, template in MESSAGES[kind].items()
    }


def notice_for(dip: Dip, already_told: set[str]) -> NoticeEvent | None:
    """The notice a transition sends, if anyone is to be told; updates ``already_told``."""
    if dip.state == "closed":
        recipients, kind = sorted(already_told), "resolved"
    else:
        recipients, kind = sorted(dip.affected_users - already_told), "we_know"
        already_told.update(recipients)
    if not recipients:
        return None
    seed = f"{dip.dip_id}|{kind}|{dip.event_time_ms}"
    digest = hashlib.sha256(seed.encode()).hexdigest()
    # validated into the contract's literals (kind, touch point, languages)
    return NoticeEvent.model_validate(
        dict(
            event_id=uuid.UUID(digest[:32]),
            event_time=datetime.fromtimestamp(dip.event_time_ms / 1000, UTC),
            notice_id=f"notice_{digest[32:52]}",
            dip_id=dip.dip_id,
            kind=kind,
            persona=dip.scope.persona,
            site=dip.scope.site,
            touch_point=dip.scope.touch_point,
            recipients=recipients,
            messages=messages(kind, dip.scope.touch_point, dip.scope.site),
        )
    )
