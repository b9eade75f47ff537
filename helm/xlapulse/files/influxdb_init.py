"""Prepare InfluxDB for the xlapulse engine: the Helm chart's init Job runs this file.

Reads the environment: ``INFLUX_URL``, ``INFLUX_VERSION`` (1 or 2), ``INFLUX_DATABASE``,
``INFLUX_RETENTION_POLICY``, ``INFLUX_RETENTION`` (an InfluxQL duration such as ``400d``,
or ``INF``), ``INFLUX_ORG`` (2.x), credentials ``INFLUX_USERNAME``/``INFLUX_PASSWORD``
(1.x) or ``INFLUX_TOKEN`` (2.x). Writes, idempotently:

* 1.x: the database, and the retention policy with that duration as the default;
* 2.x: the bucket ``<database>/<retention policy>`` (the name the engine writes to)
  with that retention, and the DBRP mapping that lets InfluxQL (Grafana's data source)
  read it as ``<database>.<retention policy>``.

Standard library only, so it runs in the xlapulse image. Exits 1 with the server's
answer on any error; prints one line per action.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

DURATION = re.compile(r"(\d+)(ns|u|µ|ms|s|m|h|d|w)")
UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


class InitError(Exception):
    """A setting or an answer of the server that stops the init."""


def duration_s(text: str) -> int:
    """Seconds of an InfluxQL duration (``400d``, ``1w2d``); 0 for ``INF``."""
    if text.upper() == "INF":
        return 0
    parts = DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise InitError(f"INFLUX_RETENTION: {text!r} is not an InfluxQL duration (e.g. 400d, INF)")
    if any(unit not in UNIT_S for _, unit in parts):
        raise InitError(f"INFLUX_RETENTION: {text!r} is below one second")
    return sum(int(number) * UNIT_S[unit] for number, unit in parts)


@dataclass(frozen=True)
class Settings:
    url: str
    version: int
    database: str
    retention_policy: str
    retention: str
    org: str
    username: str
    password: str
    token: str

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Settings:
        version = env.get("INFLUX_VERSION", "1")
        if version not in ("1", "2"):
            raise InitError(f"INFLUX_VERSION must be 1 or 2, not {version!r}")
        settings = cls(
            url=env.get("INFLUX_URL", "http://127.0.0.1:8086").rstrip("/"),
            version=int(version),
            database=env.get("INFLUX_DATABASE", "xlapulse"),
            retention_policy=env.get("INFLUX_RETENTION_POLICY", "autogen"),
            retention=env.get("INFLUX_RETENTION", "INF"),
            org=env.get("INFLUX_ORG", ""),
            username=env.get("INFLUX_USERNAME", ""),
            password=env.get("INFLUX_PASSWORD", ""),
            token=env.get("INFLUX_TOKEN", ""),
        )
        duration_s(settings.retention)
        if settings.version == 2 and not (settings.org and settings.token):
            raise InitError("InfluxDB 2.x needs INFLUX_ORG and INFLUX_TOKEN")
        return settings


def request(
    method: str, url: str, headers: dict[str, str], body: dict[str, Any] | None = None
) -> Any:
    """One HTTP call; the decoded JSON answer (None when empty)."""
    data = json.dumps(body).encode() if body is not None else None
    call = urllib.request.Request(url, data=data, method=method, headers=headers)
    if data is not None:
        call.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(call, timeout=30) as answer:
            payload = answer.read()
    except urllib.error.HTTPError as error:
        raise InitError(f"{method} {url}: {error.code} {error.read()[:500]!r}") from error
    except OSError as error:
        raise InitError(f"{method} {url}: {error}") from error
    return json.loads(payload) if payload else None


def quote_ident(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def influxql(settings: Settings, query: str) -> list[dict[str, Any]]:
    """Run one InfluxQL statement on 1.x; its series (errors raise)."""
    params = {"q": query}
    if settings.username:
        params.update(u=settings.username, p=settings.password)
    answer = request("POST", f"{settings.url}/query?{urllib.parse.urlencode(params)}", {})
    result = answer["results"][0]
    if "error" in result:
        raise InitError(f"{query.split(' ON ')[0]}: {result['error']}")
    return result.get("series", [])


def init_v1(settings: Settings) -> None:
    database, policy = quote_ident(settings.database), quote_ident(settings.retention_policy)
    influxql(settings, f"CREATE DATABASE {database}")
    print(f"database {settings.database}: present")
    series = influxql(settings, f"SHOW RETENTION POLICIES ON {database}")
    names = [row[0] for row in series[0]["values"]] if series else []
    verb = "ALTER" if settings.retention_policy in names else "CREATE"
    replication = "" if verb == "ALTER" else " REPLICATION 1"
    influxql(
        settings,
        f"{verb} RETENTION POLICY {policy} ON {database} "
        f"DURATION {settings.retention}{replication} DEFAULT",
    )
    print(f"retention policy {settings.retention_policy}: {settings.retention}, default")


def init_v2(settings: Settings) -> None:
    headers = {"Authorization": f"Token {settings.token}"}
    api = f"{settings.url}/api/v2"
    orgs = request("GET", f"{api}/orgs?{urllib.parse.urlencode({'org': settings.org})}", headers)
    if not orgs.get("orgs"):
        raise InitError(f"organisation {settings.org!r} not found")
    org_id = orgs["orgs"][0]["id"]
    bucket_name = f"{settings.database}/{settings.retention_policy}"
    seconds = duration_s(settings.retention)
    rules = [{"type": "expire", "everySeconds": seconds}] if seconds else []
    query = urllib.parse.urlencode({"orgID": org_id, "name": bucket_name})
    buckets = request("GET", f"{api}/buckets?{query}", headers).get("buckets", [])
    if buckets:
        bucket_id = buckets[0]["id"]
        request("PATCH", f"{api}/buckets/{bucket_id}", headers, {"retentionRules": rules})
    else:
        body = {"orgID": org_id, "name": bucket_name, "retentionRules": rules}
        bucket_id = request("POST", f"{api}/buckets", headers, body)["id"]
    print(f"bucket {bucket_name}: {settings.retention}")
    query = urllib.parse.urlencode(
        {"orgID": org_id, "db": settings.database, "rp": settings.retention_policy}
    )
    mappings = request("GET", f"{api}/dbrps?{query}", headers).get("content", [])
    if not any(mapping.get("bucketID") == bucket_id for mapping in mappings):
        body = {
            "orgID": org_id,
            "bucketID": bucket_id,
            "database": settings.database,
            "retention_policy": settings.retention_policy,
            "default": True,
        }
        request("POST", f"{api}/dbrps", headers, body)
    print(f"dbrp {settings.database}/{settings.retention_policy} -> bucket {bucket_id}")


def main() -> int:
    try:
        settings = Settings.from_env(dict(os.environ))
        (init_v1 if settings.version == 1 else init_v2)(settings)
    except InitError as error:
        print(f"influxdb init: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
