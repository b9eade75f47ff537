"""The notifier's configuration file (YAML), validated completely before anything runs.

Reads the file named by ``xlapulse notify --config``; every mistake is reported as
``file:line:column: where: what`` (``collectors/yamlfile.py``). Writes nothing.

    kafka:
      bootstrap: 127.0.0.1:9092
      group_id: xlapulse-notifier
    directory_csv: /srv/hr/directory.csv   # columns: identity,email,language (nl|en)
    opt_out_file: /srv/xlapulse/opt-out.txt  # one identity or e-mail address per line
    ledger: /var/lib/xlapulse/notifier.sqlite # who was told what; survives restarts
    smtp:                                     # deliver by e-mail, or ...
      host: smtp.corp.example
      port: 587
      starttls: true
      sender: it-status@corp.example
      username: it-status
      password_env: XLAPULSE_SMTP_PASSWORD
    chat_webhook:                              # ... to a chat webhook (one message per person)
      url: https://chat.corp.example/hooks/abc

The pseudonymization key is ``XLAPULSE_PSEUDONYM_KEY``, the same as the collectors'.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from xlapulse.collectors.yamlfile import load_yaml_model


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KafkaSettings(Strict):
    bootstrap: str = "127.0.0.1:9092"
    group_id: Annotated[str, Field(min_length=1)] = "xlapulse-notifier"


class SmtpSettings(Strict):
    host: Annotated[str, Field(min_length=1)]
    port: Annotated[int, Field(ge=1, le=65535)] = 25
    starttls: bool = False
    sender: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]
    username: str = ""
    #: the name of the environment variable holding the password (never the password)
    password_env: str = ""
    timeout_s: Annotated[float, Field(gt=0)] = 10.0


class ChatWebhookSettings(Strict):
    url: HttpUrl
    timeout_s: Annotated[float, Field(gt=0)] = 10.0


class NotifierConfig(Strict):
    kafka: KafkaSettings = KafkaSettings()
    directory_csv: Path
    opt_out_file: Path | None = None
    ledger: Path
    smtp: SmtpSettings | None = None
    chat_webhook: ChatWebhookSettings | None = None

    @model_validator(mode="after")
    def _one_channel(self) -> NotifierConfig:
        if (self.smtp is None) == (self.chat_webhook is None):
            raise ValueError("configure exactly one of smtp and chat_webhook")
        return self


def load_notifier_config(path: Path | str) -> NotifierConfig:
    return load_yaml_model(path, NotifierConfig)
