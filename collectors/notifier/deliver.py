"""Deliver one person's message: by SMTP (``smtplib``) or to a chat webhook (JSON POST).

Reads the person's address and language and the notice's messages; writes one e-mail
or one webhook request per person, so no message reveals who else is affected.
Raises :class:`DeliveryError` when the server refuses or cannot be reached.
"""

from __future__ import annotations

import json
import os
import smtplib
import urllib.request
from email.message import EmailMessage

from xlapulse.collectors.notifier.config import ChatWebhookSettings, SmtpSettings
from xlapulse.collectors.notifier.directory import Person

SUBJECTS = {
    ("we_know", "nl"): "We weten ervan en werken eraan",
    ("we_know", "en"): "We know, and we are on it",
    ("resolved", "nl"): "Het is opgelost",
    ("resolved", "en"): "It is solved",
}


class DeliveryError(RuntimeError):
    pass


#: names the dip a message is about, so mail rules and replies can follow one incident
DIP_HEADER = "X-Xlapulse-Dip"


def send_email(settings: SmtpSettings, person: Person, kind: str, dip_id: str, text: str) -> None:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = person.email
    message["Subject"] = SUBJECTS[(kind, person.language)]
    message[DIP_HEADER] = dip_id
    message.set_content(text)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
            if settings.starttls:
                smtp.starttls()
            if settings.username:
                smtp.login(settings.username, os.environ.get(settings.password_env, ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryError(f"smtp {settings.host}:{settings.port}: {error}") from error


def post_chat(
    settings: ChatWebhookSettings, person: Person, kind: str, dip_id: str, text: str
) -> None:
    """POST one person's message as JSON: to, subject, text and the dip it is about."""
    body = json.dumps(
        {
            "to": person.email,
            "subject": SUBJECTS[(kind, person.language)],
            "text": text,
            "dip_id": dip_id,
        }
    ).encode()
    request = urllib.request.Request(
        str(settings.url),
        data=body,
        headers={"Content-Type": "application/json", DIP_HEADER: dip_id},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.timeout_s) as response:
            response.read()
    except OSError as error:
        raise DeliveryError(f"chat webhook {settings.url}: {error}") from error
