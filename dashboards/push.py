"""Push the generated dashboards to a running Grafana over its HTTP API (grafana-api).

Writes, idempotently: the folder ``xlapulse``, the InfluxDB data source
``xlapulse-influxdb`` (only when asked with an InfluxDB URL; otherwise it must exist)
and every dashboard (overwriting the previous version of the same uid). Reads
``/api/health`` first: a Grafana older than the schema the JSON targets is refused.
Every failure is a :class:`PushError` with one clear sentence.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass, field

from grafana_api.grafana_api import (
    GrafanaClientError,
    GrafanaException,
    GrafanaUnauthorizedError,
)
from grafana_api.grafana_face import GrafanaFace
from requests import RequestException

from xlapulse.dashboards.alerts import FOLDER, INFLUXDB_UID
from xlapulse.dashboards.common import GRAFANA_VERSION
from xlapulse.dashboards.main import render_dashboards

MINIMUM_VERSION = tuple(int(part) for part in GRAFANA_VERSION.split("."))


class PushError(Exception):
    """Pushing stopped; the message says why and what to do."""


@dataclass
class PushReport:
    """What a push changed: created objects and the dashboards written."""

    grafana_version: str
    created: list[str] = field(default_factory=list)
    dashboards: list[str] = field(default_factory=list)


def connect(url: str, token: str, timeout_s: float = 10.0) -> GrafanaFace:
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise PushError(f"--url must look like http://grafana.example:3000, not {url!r}")
    prefix = parsed.path.strip("/")
    return GrafanaFace(
        auth=token,
        host=parsed.hostname,
        port=parsed.port,
        url_path_prefix=f"{prefix}/" if prefix else "",
        protocol=parsed.scheme,
        timeout=timeout_s,
    )


def push(
    grafana: GrafanaFace, influx_url: str | None = None, database: str = "xlapulse"
) -> PushReport:
    """Create the folder (and data source) when missing and write every dashboard."""
    try:
        report = PushReport(_check_version(grafana))
        _ensure_folder(grafana, report)
        _ensure_datasource(grafana, report, influx_url, database)
        for file_name, text in sorted(render_dashboards().items()):
            grafana.dashboard.update_dashboard(
                {
                    "dashboard": json.loads(text),
                    "folderUid": FOLDER,
                    "overwrite": True,
                    "message": "xlapulse dashboards push",
                }
            )
            report.dashboards.append(file_name.removesuffix(".json"))
    except GrafanaUnauthorizedError as error:
        raise PushError(
            "Grafana refused the token (401): pass a valid service-account token"
        ) from error
    except GrafanaClientError as error:
        if error.status_code == 403:
            raise PushError(
                "the token may not write dashboards or data sources (403): give its service "
                "account the Editor role, or Admin to create the data source"
            ) from error
        raise PushError(f"Grafana rejected a request: {error.message}") from error
    except (GrafanaException, RequestException) as error:
        raise PushError(f"cannot talk to Grafana: {error}") from error
    return report


def _check_version(grafana: GrafanaFace) -> str:
    version = str(grafana.api.GET("/health").get("version", ""))
    found = re.match(r"(\d+)\.(\d+)", version)
    if found is None:
        raise PushError(f"Grafana's /api/health reports no version ({version!r})")
    if tuple(int(part) for part in found.groups()) < MINIMUM_VERSION:
        raise PushError(
            f"Grafana {version} is older than {GRAFANA_VERSION}, whose dashboard schema the "
            "generated JSON uses: upgrade Grafana"
        )
    return version


def _ensure_folder(grafana: GrafanaFace, report: PushReport) -> None:
    try:
        grafana.folder.get_folder(FOLDER)
    except GrafanaClientError as error:
        if error.status_code != 404:
            raise
        grafana.folder.create_folder(FOLDER, uid=FOLDER)
        report.created.append(f"folder {FOLDER}")


def _ensure_datasource(
    grafana: GrafanaFace, report: PushReport, influx_url: str | None, database: str
) -> None:
    try:
        found = grafana.api.GET(f"/datasources/uid/{INFLUXDB_UID}")
    except GrafanaClientError as error:
        if error.status_code != 404:
            raise
        found = None
    if influx_url is None:
        if found is None:
            raise PushError(
                f"Grafana has no data source with uid {INFLUXDB_UID!r}: pass --influx-url to "
                "create it, or provision deploy/grafana/provisioning/datasources/xlapulse.yaml"
            )
        return
    settings = {
        "name": INFLUXDB_UID,
        "uid": INFLUXDB_UID,
        "type": "influxdb",
        "access": "proxy",
        "url": influx_url,
        "jsonData": {"dbName": database, "httpMode": "POST"},
    }
    if found is None:
        grafana.datasource.create_datasource(settings)
        report.created.append(f"data source {INFLUXDB_UID}")
    else:
        grafana.api.PUT(f"/datasources/uid/{INFLUXDB_UID}", json={**found, **settings})
