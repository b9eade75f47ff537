"""The notifier loop: notices from ``xlapulse.notices.v1`` to the people they name.

Reads notices (``collectors/contract/outputs.py``) from Kafka, the directory export and
opt-out list, and the ledger; writes one message per person (``deliver.py``) and the
ledger. A person is told at most once per dip that it is open, and told it is solved
only when they were told it was open. Offsets are committed after a notice is fully
handled; when delivery fails the notice is retried with backoff (nothing is skipped),
so a crash can only repeat a delivery the ledger then refuses.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import ValidationError

from xlapulse.collectors.contract.outputs import NOTICES_TOPIC, NoticeEvent
from xlapulse.collectors.notifier.config import NotifierConfig
from xlapulse.collectors.notifier.deliver import DeliveryError, post_chat, send_email
from xlapulse.collectors.notifier.directory import Person, read_directory, read_opt_outs
from xlapulse.collectors.notifier.ledger import Ledger
from xlapulse.collectors.privacy import Pseudonymizer

log = logging.getLogger(__name__)

#: (person, notice kind, dip id, message text)
Deliver = Callable[[Person, str, str, str], None]


def delivery_for(config: NotifierConfig) -> Deliver:
    if config.smtp is not None:
        smtp = config.smtp
        return lambda person, kind, dip_id, text: send_email(smtp, person, kind, dip_id, text)
    chat = config.chat_webhook
    assert chat is not None  # the config allows exactly one channel
    return lambda person, kind, dip_id, text: post_chat(chat, person, kind, dip_id, text)


@dataclass
class Notifier:
    people: dict[str, Person]
    ledger: Ledger
    deliver: Deliver
    counts: Counter[str] = field(default_factory=Counter)

    def handle(self, notice: NoticeEvent) -> None:
        """Tell everyone the notice names who may be told; raises DeliveryError."""
        for pseudonym in notice.recipients:
            person = self.people.get(pseudonym)
            if person is None:
                self.counts["not_reachable"] += 1  # not in the export, or opted out
                continue
            if self.ledger.was_told(notice.dip_id, notice.kind, pseudonym):
                self.counts["already_told"] += 1
                continue
            if notice.kind == "resolved" and not self.ledger.was_told(
                notice.dip_id, "we_know", pseudonym
            ):
                self.counts["resolved_not_told_open"] += 1
                continue
            self.deliver(person, notice.kind, notice.dip_id, notice.messages[person.language])
            self.ledger.record(notice.dip_id, notice.kind, pseudonym)
            self.counts["told"] += 1


def parse_notice(raw: bytes) -> NoticeEvent | None:
    try:
        return NoticeEvent.model_validate_json(raw)
    except ValidationError as error:
        log.error("notices: skipping a record that is not a notice: %s", error)
        return None


def build_notifier(config: NotifierConfig, deliver: Deliver | None = None) -> Notifier:
    key = os.environ.get("XLAPULSE_PSEUDONYM_KEY", "").encode()
    pseudonymizer = Pseudonymizer(key)
    people = read_directory(config.directory_csv, pseudonymizer, read_opt_outs(config.opt_out_file))
    return Notifier(people, Ledger(config.ledger), deliver or delivery_for(config))


def run(config: NotifierConfig, *, once: bool = False, max_backoff_s: float = 60.0) -> Counter[str]:
    """Consume notices until stopped (``once``: until the topic is drained)."""
    from kafka import KafkaConsumer  # the base install has kafka-python

    notifier = build_notifier(config)
    consumer = KafkaConsumer(
        NOTICES_TOPIC,
        bootstrap_servers=config.kafka.bootstrap,
        group_id=config.kafka.group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5_000 if once else float("inf"),
    )
    try:
        for record in consumer:
            notice = parse_notice(record.value)
            backoff = 1.0
            while notice is not None:
                try:
                    notifier.handle(notice)
                    break
                except DeliveryError as error:
                    log.warning("notify: %s; retrying in %.0f s", error, backoff)
                    time.sleep(backoff)
                    backoff = min(backoff * 2, max_backoff_s)
            consumer.commit()
    finally:
        consumer.close()
        notifier.ledger.close()
    return notifier.counts
