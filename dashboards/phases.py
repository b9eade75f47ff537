"""The phase panels of the boot and logon dashboards: which part of a slow start-up or
sign-in grew (group policy, profile, shell; main path, post-boot, the antivirus scan at
start-up).

Reads ``phase`` (``streams/scoring/phases.py``) with InfluxQL: hourly cells of one persona
at one site, a phase only when five or more people reported it. Writes two time series
per touch point: the mean seconds of each phase, and each phase's share of the timed
total (the antivirus share of boot time, the group policy share of logon time).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries

from xlapulse.dashboards.common import HOURLY, INFLUXDB, PERSONA_SITE, steps
from xlapulse.dashboards.influxql import InfluxQL
from xlapulse.dashboards.panels import timeseries

PHASE_TOUCH_POINTS = ("boot", "logon")
WHAT = {
    "boot": "main path, post-boot, profile processing, Explorer start, antivirus scan",
    "logon": "group policy, profile load, shell start",
}


def _query(touch_point: str, field: str) -> str:
    return (
        f'SELECT mean("{field}") FROM "phase" WHERE "touch_point" = \'{touch_point}\' '
        f"AND {HOURLY} AND {PERSONA_SITE} AND $timeFilter "
        'GROUP BY time($__interval), "phase" fill(none)'
    )


def phase_panels(touch_point: str) -> list[Timeseries]:
    return [
        timeseries(
            "Phases: mean seconds",
            f"The mean duration of each phase ({WHAT[touch_point]}) over the samples that "
            "report it; groups where 5 or more people reported the phase.",
            [InfluxQL(_query(touch_point, "mean_s"), INFLUXDB).alias("$tag_phase")],
            "s",
            steps((None, "text")),
            (12, 8),
        ),
        timeseries(
            "Phases: share of the time",
            "Each phase's total over the total duration of all timed samples: the share "
            + (
                "of boot time spent in the antivirus scan at start-up."
                if touch_point == "boot"
                else "of logon time spent in group policy."
            ),
            [InfluxQL(_query(touch_point, "share_of_duration"), INFLUXDB).alias("$tag_phase")],
            "percentunit",
            steps((None, "text")),
            (12, 8),
        ),
    ]
