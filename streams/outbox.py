"""Outputs first, state second: what closes the engine's at-least-once window.

An agent handles a batch of records, sends what they produce (observations, device
signals and explanations, invitations, dead letters) through an :class:`Outbox`, waits
until Kafka acknowledged every one of them (``await outbox.delivered()``), and only
then writes the table keys the batch changed. Faust commits the batch's offsets after
that. A worker killed at any moment therefore leaves one of two situations:

* a key's changelog record is missing: the records of the batch are redelivered and
  handled again from the previous state, and produce the same outputs again, which
  their consumers count once (cells and device states de-duplicate by event id);
* the changelog record reached Kafka: then every output the batch produced had
  reached Kafka before it, so the redelivered records, now recognised as duplicates,
  have nothing left to send.

Without the ordering a changelog record could reach Kafka before an observation of
the same event, and a crash between the two lost that observation for good (issue 17).
Reads nothing; writes to the topics it is given through Faust's producer.
"""

from __future__ import annotations

import asyncio
from typing import Any

import faust


class Outbox:
    """Sends of one batch, and a wait for all of them to be acknowledged."""

    def __init__(self) -> None:
        self._pending: list[asyncio.Future[Any]] = []

    async def send(
        self,
        topic: faust.TopicT,
        key: bytes | None,
        value: bytes,
        headers: dict[str, bytes] | None = None,
    ) -> None:
        """Hand a record to the producer now (``force``: never deferred to a commit)."""
        future = await topic.send(key=key, value=value, headers=headers, force=True)
        self._pending.append(asyncio.ensure_future(future))

    async def delivered(self) -> int:
        """Wait until Kafka acknowledged every record sent so far; how many there were.

        A failed send raises here, before the caller stores any state, so the agent
        crashes (the worker exits loudly) and the batch is redelivered in full.
        """
        pending, self._pending = self._pending, []
        if pending:
            await asyncio.gather(*pending)
        return len(pending)
