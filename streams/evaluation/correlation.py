"""Ticket correlation against the truth: precision and recall, per kind of ticket.

Reads: the scenario's truth (each ticket's cause touch point, ``truth.py``) and the
engine's final explanation of each ticket (``ScenarioRun.explanations``: the touch
point, or None for "without a signal"). Writes: nothing.

* an explanation is **correct** when it names the ticket's cause touch point;
* **precision** = correct / explained; **recall** = correct / tickets with a cause;
* a ticket without a cause (password reset, access, hardware, how-to) is correctly
  left **without a signal**; explaining it is a false explanation;
* a ticket the engine never counted (``unseen``) is counted as unexplained.

Groups: incident tickets (a ticket wave, or everyday tickets about an incident's
trouble), background tickets (everything else) and all of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from xlapulse.collectors.simulator.truth import ScenarioTruth, TicketTruth


@dataclass(frozen=True)
class CorrelationScore:
    group: str
    tickets: int
    with_cause: int
    explained: int
    correct: int
    without_cause_left_alone: int
    unseen: int
    #: (cause or "none", explained by): the wrong explanations, most frequent first
    confusions: tuple[tuple[tuple[str, str], int], ...]

    @property
    def precision(self) -> float | None:
        return self.correct / self.explained if self.explained else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.with_cause if self.with_cause else None


def correlation_scores(
    truth: ScenarioTruth, explanations: Mapping[str, str | None]
) -> list[CorrelationScore]:
    """Scores for incident tickets, background tickets and all tickets."""
    groups = {
        "incident tickets": [t for t in truth.tickets if t.incident is not None],
        "background tickets": [t for t in truth.tickets if t.incident is None],
        "all tickets": list(truth.tickets),
    }
    return [_score(name, tickets, explanations) for name, tickets in groups.items()]


def _score(
    group: str, tickets: list[TicketTruth], explanations: Mapping[str, str | None]
) -> CorrelationScore:
    explained = correct = left_alone = unseen = 0
    confusions: Counter[tuple[str, str]] = Counter()
    for ticket in tickets:
        unseen += ticket.ticket_id not in explanations
        by = explanations.get(ticket.ticket_id)
        if by is None:
            left_alone += ticket.cause_touch_point is None
            continue
        explained += 1
        if by == ticket.cause_touch_point:
            correct += 1
        else:
            confusions[(ticket.cause_touch_point or "none", by)] += 1
    return CorrelationScore(
        group=group,
        tickets=len(tickets),
        with_cause=sum(t.cause_touch_point is not None for t in tickets),
        explained=explained,
        correct=correct,
        without_cause_left_alone=left_alone,
        unseen=unseen,
        confusions=tuple(confusions.most_common()),
    )
