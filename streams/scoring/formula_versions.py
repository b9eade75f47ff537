"""The score formula's versions: what changed between them, as data.

Reads and writes nothing. The engine runs :data:`CURRENT_FORMULA`; ``xlapulse
backtest`` replays history under an earlier one beside it, so a change of the
formula is seen before it is deployed. ``streams/scoring/README.md`` ("Formula
3.0") documents each rule and its source.

* **2.2**: a sample scores by its Apdex band (good 100, tolerating 50, frustrating
  0); a silent sufferer is a person with a frustrating sample and no ticket;
  a ticket is explained by whichever touch point lost its user the most time.
* **3.0**: a tolerating sample scores by its time lost over the threshold
  (100 at the threshold, falling linearly to 0 where frustrating begins); a
  silent sufferer has a frustrating sample *or* at least
  ``SIGNIFICANT_TOLERATING_LOST_MS`` lost in tolerating samples in the window,
  and no ticket; a ticket is explained only by a touch point that fits its
  category (``ticket_categories.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Lost time in tolerating samples that makes a window's experience significant for a
#: person (formula 3.0): twice Nielsen's 10 s limit for keeping attention on a task.
SIGNIFICANT_TOLERATING_LOST_MS = 20_000


@dataclass(frozen=True)
class Formula:
    """One version of the scoring rules that differ between versions."""

    version: str
    #: A tolerating sample scores by its time lost, not a flat 50.
    graded_tolerating: bool
    #: Tolerating lost time that makes a person a (silent) sufferer; None: only a
    #: frustrating sample does.
    significant_tolerating_lost_ms: int | None
    #: Ticket correlation admits only touch points that fit the ticket's category.
    category_aware: bool


FORMULA_2_2 = Formula(
    "2.2", graded_tolerating=False, significant_tolerating_lost_ms=None, category_aware=False
)
FORMULA_3_0 = Formula(
    "3.0",
    graded_tolerating=True,
    significant_tolerating_lost_ms=SIGNIFICANT_TOLERATING_LOST_MS,
    category_aware=True,
)
CURRENT_FORMULA = FORMULA_3_0
FORMULAS = {formula.version: formula for formula in (FORMULA_2_2, FORMULA_3_0)}
