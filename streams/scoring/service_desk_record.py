"""The ``service_desk`` record of a cell: telemetry seen by the desk (silent sufferers,
time lost), tickets opened and what explains them, self-reported lost time, handling,
and the watermelon flag; each group of fields only for 5 people or more.

Read by ``records.cell_records``; reads a cell, writes nothing.
"""

from __future__ import annotations

from xlapulse.streams.scoring.cells import FRUSTRATING, TIME_LOST_MS, Cell
from xlapulse.streams.scoring.formula_versions import Formula
from xlapulse.streams.scoring.formulas import (
    sentiment_score_from_happiness,
    service_experience_score,
    servicenow_dex_score,
)
from xlapulse.streams.scoring.personas import SERVICE_DESK, TELEMETRY_TOUCH_POINTS
from xlapulse.streams.scoring.published import (
    ISSUE_SCORE,
    MIN_TICKETS_FOR_SLA,
    MIN_USERS_PER_AGGREGATE,
    SERVICE_DESK_MEASUREMENT,
    SLA_GREEN_RATIO,
    Record,
    apdex_score,
    users_with,
)


def _telemetry_fields(
    cell: Cell, point_scores: dict[str, float], formula: Formula
) -> dict[str, float | int | str]:
    """Silent sufferers among the people with telemetry in the cell (five or more), and
    the time lost in the published touch points. A person suffers with a frustrating
    sample, or (formula 3.0) enough time lost in tolerating ones. One pass over the
    people: this ran for every person of every changed cell of every batch."""
    significant_ms = formula.significant_tolerating_lost_ms
    with_telemetry = 0
    frustrated: set[str] = set()
    suffering: set[str] = set()
    for user, per_point in cell.user_touch_points.items():
        seen, was_frustrated = False, False
        lost_ms: float = 0
        for point, counts in per_point.items():
            if point == SERVICE_DESK:
                continue
            seen = True
            lost_ms += counts[TIME_LOST_MS]
            was_frustrated = was_frustrated or bool(counts[FRUSTRATING])
        if not seen:
            continue
        with_telemetry += 1
        if was_frustrated:
            frustrated.add(user)
            suffering.add(user)
        elif significant_ms is not None and lost_ms >= significant_ms:
            suffering.add(user)
    if with_telemetry < MIN_USERS_PER_AGGREGATE:
        return {}
    return {
        "silent_sufferers": len(suffering - set(cell.ticket_users)),
        "users_suffering": len(suffering),
        "users_frustrated": len(frustrated),
        "telemetry_time_lost_ms": sum(
            cell.touch_points[point][TIME_LOST_MS]
            for point in point_scores
            if point != SERVICE_DESK
        ),
    }


def _opened_fields(cell: Cell) -> dict[str, float | int | str]:
    """Tickets opened and what explains them, for five or more people who opened one."""
    if len(cell.opened_users) < MIN_USERS_PER_AGGREGATE:
        return {}
    explained = sum(cell.explained_by.values())
    return {
        "tickets_opened": cell.tickets_opened,
        "explained": explained,
        "explained_via_device": cell.explained_via_device,
        "without_signal": cell.tickets_opened - explained,
        "signal_time_lost_ms": cell.signal_time_lost_ms,
        # Every telemetry touch point, 0 included: InfluxDB keeps a field that a rewritten
        # point leaves out, so a ticket moved to another explanation must zero its old one.
        **{
            f"explained_by_{point}": cell.explained_by.get(point, 0)
            for point in sorted(set(TELEMETRY_TOUCH_POINTS) | set(cell.explained_by))
        },
    }


def _self_reported_fields(cell: Cell) -> dict[str, float | int | str]:
    """Self-reported lost time, for five or more people who reported it."""
    if len(cell.self_reported_users) < MIN_USERS_PER_AGGREGATE:
        return {}
    return {
        "self_reported_lost_ms": cell.self_reported_lost_ms,
        "self_reported_answers": cell.self_reported_answers,
    }


def _handled_fields(
    cell: Cell, overall: float | None, happiness_value: float | None
) -> dict[str, float | int | str]:
    """How the desk handled the tickets of five or more people, and the watermelon check."""
    if len(users_with(cell, SERVICE_DESK)) < MIN_USERS_PER_AGGREGATE:
        return {}
    handled = sum(cell.handled)
    sla_met_ratio = cell.sla_met / cell.sla_known if cell.sla_known else None
    fields: dict[str, float | int | str] = {
        "handled": handled,
        "no_contact": cell.no_contact,
        "reopened": cell.reopened,
        "mean_reassignments": round(cell.reassignments / handled, 3),
        "reassigned_twice_ratio": round(cell.reassigned_twice / handled, 5),
    }
    if cell.first_contact_count:
        fields["mean_first_contact_ms"] = cell.first_contact_ms_total // cell.first_contact_count
    if sla_met_ratio is not None:
        fields["sla_met_ratio"] = round(sla_met_ratio, 5)
    csat_ratio = (
        cell.csat_satisfied / cell.csat_answers
        if cell.csat_answers and len(cell.ticket_survey_users) >= MIN_USERS_PER_AGGREGATE
        else None
    )
    service = service_experience_score(
        csat_ratio=csat_ratio,
        resolved_in_target_ratio=cell.resolved_in_target / handled,
        first_assignee_ratio=cell.first_assignee / handled,
        sla_met_ratio=sla_met_ratio,
        reopen_ratio=cell.reopened / handled,
    )
    fields["service_experience_score"] = round(service, 3)
    if overall is not None and happiness_value is not None:
        fields["dex_score"] = round(
            servicenow_dex_score(overall, sentiment_score_from_happiness(happiness_value), service),
            3,
        )
    sla_green = (
        sla_met_ratio is not None
        and cell.sla_known >= MIN_TICKETS_FOR_SLA
        and sla_met_ratio >= SLA_GREEN_RATIO
    )
    experience_red = (
        (overall is not None and overall < ISSUE_SCORE)
        or apdex_score(cell.handled) < ISSUE_SCORE
        or (happiness_value is not None and happiness_value < 0)
    )
    fields["watermelon"] = int(sla_green and experience_red)
    return fields


def service_desk_record(
    cell: Cell,
    tags: dict[str, str],
    time_ns: int,
    point_scores: dict[str, float],
    overall: float | None,
    happiness_value: float | None,
    formula: Formula,
) -> Record | None:
    """The service-desk figures whose people number five or more; None if no group does."""
    fields = {
        **_telemetry_fields(cell, point_scores, formula),
        **_opened_fields(cell),
        **_self_reported_fields(cell),
        **_handled_fields(cell, overall, happiness_value),
    }
    return Record(SERVICE_DESK_MEASUREMENT, dict(tags), fields, time_ns) if fields else None
