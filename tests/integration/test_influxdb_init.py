"""The Helm chart's InfluxDB init script against the real InfluxDB 1.8: database and
retention policy created, rerun idempotent, a changed duration applied, errors clear.

Runs helm/xlapulse/files/influxdb_init.py as the Job does (a subprocess with its
environment); writes one database of its own, dropped at the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Services

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[2] / "helm" / "xlapulse" / "files" / "influxdb_init.py"


def run_init(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip


def influxql(services: Services, query: str) -> list[dict[str, Any]]:
    """One InfluxQL statement by POST; its series."""
    params = urllib.parse.urlencode({"q": query})
    request = urllib.request.Request(f"{services.influx_url}/query?{params}", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        result = json.loads(response.read())["results"][0]
    assert "error" not in result, result
    return result.get("series", [])


def policies(services: Services, database: str) -> dict[str, tuple[str, bool]]:
    (series,) = influxql(services, f'SHOW RETENTION POLICIES ON "{database}"')
    rows = [dict(zip(series["columns"], values, strict=True)) for values in series["values"]]
    return {row["name"]: (row["duration"], row["default"]) for row in rows}


@pytest.mark.parametrize("policy", ["autogen", "scores"])
def test_init_1x_creates_and_updates_the_retention_policy(services: Services, policy: str) -> None:
    database = f"xlapulse_init_{uuid.uuid4().hex[:8]}"
    env = {
        "INFLUX_URL": services.influx_url,
        "INFLUX_VERSION": "1",
        "INFLUX_DATABASE": database,
        "INFLUX_RETENTION_POLICY": policy,
        "INFLUX_RETENTION": "400d",
    }
    try:
        first = run_init(env)
        assert first.returncode == 0, first.stderr
        assert policies(services, database)[policy] == ("9600h0m0s", True)
        again = run_init({**env, "INFLUX_RETENTION": "30d"})
        assert again.returncode == 0, again.stderr
        assert policies(services, database)[policy] == ("720h0m0s", True)
    finally:
        influxql(services, f'DROP DATABASE "{database}"')


def test_init_1x_reports_a_refused_statement(services: Services) -> None:
    result = run_init(
        {"INFLUX_URL": services.influx_url, "INFLUX_DATABASE": "x", "INFLUX_RETENTION": "1s"}
    )
    assert result.returncode == 1
    assert "influxdb init:" in result.stderr and "retention policy duration" in result.stderr
