"""InfluxDB points for published records (pure, no I/O).

Every measurement declares its tag keys; a record with other tags, or a key
that is both tag and field, is refused (a programming error, not data).
Tags are low-cardinality (persona, site, window, touch point, objective,
versions of the score formula, the journey formula and the XLA file; the component
breakdowns add a VPN gateway, an app and version or a printer): never a user or a
workplace's device id. Nothing is published per person: there is no per-user
measurement, so no query can rank individuals.

k-anonymity (``records.cell_records``): every field is computed from at least
``MIN_USERS_PER_AGGREGATE`` (5) distinct people; a field whose people are fewer
is left out, and a record with no field left is not written. The people each
field rests on are in the last column; ``tests/unit/test_k_anonymity.py``
checks every field of every measurement against it.

Measurements (all tagged ``persona``, ``site``, ``window``, ``formula_version``):

================  =================  ==================================  ======================
measurement       extra tags         fields                              people (each >= 5)
================  =================  ==================================  ======================
experience_score  touch_point        score, apdex, good, tolerating,     users with samples of
                                     frustrating, samples, users,        the touch point
                                     time_lost_ms
experience_score  touch_point=       the same, summed over the           users with samples of
                  overall            published touch points;             those touch points
                                     users_with_issues,
                                     median_user_score
xla_compliance    objective, kind,   value, target, met (0/1), samples,  those of its touch
                  touch_point,       xla_digest (which file was in       point (overall: as
                  xla_version        force)                              overall; happiness:
                                                                         the answerers)
service_desk      -                  silent_sufferers, users_suffering,  users with telemetry
                                     users_frustrated,
                                     telemetry_time_lost_ms
                                     tickets_opened, explained,          users who opened a
                                     without_signal,                     ticket in the window
                                     explained_by_<touch point>,
                                     explained_via_device,
                                     signal_time_lost_ms
                                     self_reported_lost_ms,              users who reported
                                     self_reported_answers               lost time
                                     handled, no_contact, reopened,      users with a handled
                                     mean_first_contact_ms,              ticket (csat part:
                                     mean_reassignments,                 also >= 5 answering
                                     reassigned_twice_ratio,             about tickets)
                                     sla_met_ratio,
                                     service_experience_score,
                                     dex_score, watermelon (0/1)
sentiment         -                  happiness, answers, users           users who answered
                                     csat_ratio                          users who answered
                                                                         about a ticket
journey           journey_formula_   users, mean_score,                  users with a journey
                  version            lowest_five_mean_score,
                                     mean_worst_moment, mean_end,
                                     users_below_issue_score
reliability       touch_point=app,   exposure_hours, failures,           users exposed (active
                  vpn                failures_per_hour, users;           or VPN connected or
                                     vpn: down_hours, down_ratio         down)
reliability       touch_point=print  attempts, failures, failure_ratio,  users who printed
                                     users
phase             touch_point (boot, mean_s, share_of_duration (no        users who reported
                  logon), phase      count)                              the phase
component         touch_point (app,  samples, tolerating, frustrating,   users with a sample
                  vpn, print,        failures, time_lost_s, users;       of the component (or
                  print_server),     vpn, print, print_server:           of those pooled as
                  component          failure_ratio                       "other")
================  =================  ==================================  ======================

``dip`` (``streams/dips/publish.py``) is tagged ``persona``, ``site``, ``touch_point``,
``detector``, ``severity`` and ``state`` (no window: one point per transition, at its
event time) with fields dip_id, affected_people (>= 5), time_lost_s, tickets,
likely_cause, summary.

The timestamp is the window start. Tags + timestamp identify a cell, so a
rewritten cell overwrites its point: replays are idempotent. A point a cell no longer
publishes (a reliability window whose exposure was taken back,
``reliability_record.py``) is deleted: :func:`delete_statement` (InfluxQL, 1.x) and
:func:`delete_predicate` (2.x's delete API) name exactly its series and time.
"""

from __future__ import annotations

from influxdb_client import Point, WritePrecision

from xlapulse.streams.scoring.published import (
    COMPONENT,
    DIP,
    EXPERIENCE_SCORE,
    JOURNEY,
    PHASE,
    RELIABILITY,
    SENTIMENT,
    SERVICE_DESK_MEASUREMENT,
    XLA_COMPLIANCE,
    Record,
)

BASE_TAG_KEYS = frozenset({"persona", "site", "window", "formula_version"})
TAG_KEYS: dict[str, frozenset[str]] = {
    EXPERIENCE_SCORE: BASE_TAG_KEYS | {"touch_point"},
    XLA_COMPLIANCE: BASE_TAG_KEYS | {"objective", "kind", "touch_point", "xla_version"},
    SERVICE_DESK_MEASUREMENT: BASE_TAG_KEYS,
    SENTIMENT: BASE_TAG_KEYS,
    JOURNEY: BASE_TAG_KEYS | {"journey_formula_version"},
    RELIABILITY: BASE_TAG_KEYS | {"touch_point"},
    COMPONENT: BASE_TAG_KEYS | {"touch_point", "component"},
    PHASE: BASE_TAG_KEYS | {"touch_point", "phase"},
    DIP: frozenset({"persona", "site", "touch_point", "detector", "severity", "state"}),
}


class PointSchemaError(ValueError):
    """A record does not fit its measurement's declared tags."""


def _check_tags(record: Record) -> None:
    declared = TAG_KEYS.get(record.measurement)
    if declared is None:
        raise PointSchemaError(f"unknown measurement {record.measurement!r}")
    if set(record.tags) != declared:
        raise PointSchemaError(
            f"{record.measurement}: tags {sorted(record.tags)} != declared {sorted(declared)}"
        )


def record_to_point(record: Record) -> Point:
    """One InfluxDB point for one record; integers stay integers, floats stay floats."""
    _check_tags(record)
    overlap = set(record.tags) & set(record.fields)
    if overlap:
        raise PointSchemaError(f"{record.measurement}: {sorted(overlap)} both tag and field")
    point = Point(record.measurement)
    for key, tag in sorted(record.tags.items()):
        point.tag(key, tag)
    for key, value in sorted(record.fields.items()):
        point.field(key, value)
    return point.time(record.time_ns, WritePrecision.NS)


def _influxql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _predicate_string(value: str) -> str:
    return '"' + value.replace('"', '\\"') + '"'


def delete_statement(record: Record) -> str:
    """InfluxQL (1.x) that deletes the record's point: its series at its time."""
    _check_tags(record)
    conditions = [f'"{key}" = {_influxql_string(tag)}' for key, tag in sorted(record.tags.items())]
    return (
        f'DELETE FROM "{record.measurement}" WHERE {" AND ".join(conditions)} '
        f"AND time = {record.time_ns}"
    )


def delete_predicate(record: Record) -> str:
    """The /api/v2/delete predicate (InfluxDB 2.x) of the record's series."""
    _check_tags(record)
    conditions = [f'_measurement="{record.measurement}"'] + [
        f"{key}={_predicate_string(tag)}" for key, tag in sorted(record.tags.items())
    ]
    return " AND ".join(conditions)
