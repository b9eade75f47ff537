"""InfluxDB points for published records (pure, no I/O).

Every measurement declares its tag keys; a record with other tags, or a key
that is both tag and field, is refused (a programming error, not data).
Tags are low-cardinality (persona, site, window, touch point, objective,
versions of the score formula, the journey formula and the XLA file): never a
user or device id. The per-user record carries its
pseudonym as a *field*, which InfluxDB does not index.

Measurements (all tagged ``persona``, ``site``, ``window``, ``formula_version``):

==================  ==========================  ========================================
measurement         extra tags                  fields
==================  ==========================  ========================================
experience_score    touch_point (or overall)    score, apdex, good, tolerating,
                                                frustrating, samples, users, time_lost_ms
                                                (+ users_with_issues, median_user_score
                                                for overall)
xla_compliance      objective, kind,            value, target, met (0/1), samples,
                    touch_point, xla_version    xla_digest (which file was in force)
service_desk        -                           tickets_opened, explained, without_signal,
                                                explained_by_<touch point>,
                                                explained_via_device,
                                                silent_sufferers, users_frustrated,
                                                telemetry_time_lost_ms, signal_time_lost_ms,
                                                self_reported_lost_ms, self_reported_answers,
                                                handled, no_contact, reopened,
                                                mean_first_contact_ms, mean_reassignments,
                                                reassigned_twice_ratio, sla_met_ratio,
                                                service_experience_score, dex_score,
                                                watermelon (0/1)
sentiment           -                           happiness, answers, users, csat_ratio
journey             journey_formula_version     users, mean_score, worst_score,
                                                mean_worst_moment, mean_end,
                                                users_below_issue_score
user_score          -                           user_id (pseudonym), score, samples
==================  ==========================  ========================================

``dip`` (``streams/dips/publish.py``) is tagged ``persona``, ``site``, ``touch_point``,
``detector``, ``severity`` and ``state`` (no window: one point per transition, at its
event time) with fields dip_id, affected_people (>= 5), time_lost_s, tickets,
likely_cause, summary.

The timestamp is the window start (``user_score``: plus a per-user offset
inside the window). Tags + timestamp identify a cell, so a rewritten cell
overwrites its point: replays are idempotent.
"""

from __future__ import annotations

from influxdb_client import Point, WritePrecision

from xlapulse.streams.scoring.cells import Record

BASE_TAG_KEYS = frozenset({"persona", "site", "window", "formula_version"})
TAG_KEYS: dict[str, frozenset[str]] = {
    "experience_score": BASE_TAG_KEYS | {"touch_point"},
    "xla_compliance": BASE_TAG_KEYS | {"objective", "kind", "touch_point", "xla_version"},
    "service_desk": BASE_TAG_KEYS,
    "sentiment": BASE_TAG_KEYS,
    "journey": BASE_TAG_KEYS | {"journey_formula_version"},
    "user_score": BASE_TAG_KEYS,
    "dip": frozenset({"persona", "site", "touch_point", "detector", "severity", "state"}),
}


class PointSchemaError(ValueError):
    """A record does not fit its measurement's declared tags."""


def record_to_point(record: Record) -> Point:
    """One InfluxDB point for one record; integers stay integers, floats stay floats."""
    declared = TAG_KEYS.get(record.measurement)
    if declared is None:
        raise PointSchemaError(f"unknown measurement {record.measurement!r}")
    if set(record.tags) != declared:
        raise PointSchemaError(
            f"{record.measurement}: tags {sorted(record.tags)} != declared {sorted(declared)}"
        )
    overlap = set(record.tags) & set(record.fields)
    if overlap:
        raise PointSchemaError(f"{record.measurement}: {sorted(overlap)} both tag and field")
    point = Point(record.measurement)
    for key, value in sorted(record.tags.items()):
        point.tag(key, value)
    for key, value in sorted(record.fields.items()):
        point.field(key, value)
    return point.time(record.time_ns, WritePrecision.NS)
