"""The Grafana alerting provisioning file: valid against the SDK's alerting model (the
provisioning API's schema, grafana-foundation-sdk 11.6) and against the documented
file-provisioning format, with conditions that refer to their queries.

``FILE_PROVISIONING_SCHEMA`` is transcribed by hand from Grafana's documentation
("Use configuration files to provision alerting resources", Grafana 11): Grafana
publishes no machine-readable schema for these files.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.alerting import Rule

from xlapulse.dashboards.alerts import (
    FOLDER,
    GROUP_LEVEL_KEYS,
    alerting_document,
    render_alerting,
)
from xlapulse.dashboards.schema import json_differences

_DURATION = {"type": "string", "pattern": r"^\d+[smhd]$"}
_QUERY = {
    "type": "object",
    "required": ["refId", "datasourceUid", "relativeTimeRange", "model"],
    "additionalProperties": False,
    "properties": {
        "refId": {"type": "string"},
        "datasourceUid": {"type": "string"},
        "queryType": {"type": "string"},
        "relativeTimeRange": {
            "type": "object",
            "required": ["from", "to"],
            "properties": {"from": {"type": "integer"}, "to": {"type": "integer"}},
        },
        "model": {"type": "object", "required": ["refId"]},
    },
}
_RULE = {
    "type": "object",
    "required": ["uid", "title", "condition", "data", "for", "noDataState", "execErrState"],
    "additionalProperties": False,
    "properties": {
        "uid": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,40}$"},
        "title": {"type": "string", "minLength": 1},
        "condition": {"type": "string"},
        "data": {"type": "array", "minItems": 1, "items": _QUERY},
        "for": _DURATION,
        "noDataState": {"enum": ["NoData", "Alerting", "OK"]},
        "execErrState": {"enum": ["Error", "Alerting", "OK"]},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "isPaused": {"type": "boolean"},
        "dashboardUid": {"type": "string"},
        "panelId": {"type": "integer"},
        "notification_settings": {"type": "object"},
    },
}
FILE_PROVISIONING_SCHEMA = {
    "type": "object",
    "required": ["apiVersion"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": 1},
        "groups": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["orgId", "name", "folder", "interval", "rules"],
                "additionalProperties": False,
                "properties": {
                    "orgId": {"type": "integer"},
                    "name": {"type": "string"},
                    "folder": {"type": "string"},
                    "interval": _DURATION,
                    "rules": {"type": "array", "items": _RULE},
                },
            },
        },
        "contactPoints": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["orgId", "name", "receivers"],
                "properties": {
                    "orgId": {"type": "integer"},
                    "name": {"type": "string"},
                    "receivers": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["uid", "type", "settings"],
                            "additionalProperties": False,
                            "properties": {
                                "uid": {"type": "string"},
                                "type": {"type": "string"},
                                "settings": {"type": "object"},
                                "disableResolveMessage": {"type": "boolean"},
                            },
                        },
                    },
                },
            },
        },
        "policies": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["orgId", "receiver"],
                "properties": {
                    "orgId": {"type": "integer"},
                    "receiver": {"type": "string"},
                    "group_by": {"type": "array", "items": {"type": "string"}},
                    "group_wait": _DURATION,
                    "group_interval": _DURATION,
                    "repeat_interval": _DURATION,
                },
            },
        },
    },
}
DOCUMENT = alerting_document()
RULES = [rule for group in DOCUMENT["groups"] for rule in group["rules"]]


def test_the_file_matches_the_documented_provisioning_format() -> None:
    jsonschema.validate(yaml.safe_load(render_alerting()), FILE_PROVISIONING_SCHEMA)


def test_the_format_check_rejects_a_misspelt_rule() -> None:
    broken = json.loads(json.dumps(DOCUMENT))
    broken["groups"][0]["rules"][0]["noDataState"] = "Fine"
    with pytest.raises(jsonschema.ValidationError, match="Fine"):
        jsonschema.validate(broken, FILE_PROVISIONING_SCHEMA)


@pytest.mark.parametrize("rule", RULES, ids=[rule["uid"] for rule in RULES])
def test_each_rule_is_valid_against_the_sdk_alerting_model(rule: dict) -> None:
    group = next(g for g in DOCUMENT["groups"] if rule in g["rules"])
    api_shape = {**rule, "folderUID": FOLDER, "ruleGroup": group["name"], "orgID": 1}
    assert set(GROUP_LEVEL_KEYS) <= set(api_shape)
    again = json.loads(JSONEncoder(sort_keys=True).encode(Rule.from_json(api_shape)))
    assert json_differences(api_shape, again, "$") == []


@pytest.mark.parametrize("rule", RULES, ids=[rule["uid"] for rule in RULES])
def test_each_condition_is_a_threshold_on_a_reduction_of_a_query(rule: dict) -> None:
    by_ref = {query["refId"]: query for query in rule["data"]}
    condition = by_ref[rule["condition"]]["model"]
    assert condition["type"] == "threshold"
    reduced = by_ref[condition["expression"]]["model"]
    assert reduced["type"] == "reduce"
    source = by_ref[reduced["expression"]]
    assert source["datasourceUid"] in ("xlapulse-influxdb", "xlapulse-prometheus")
    assert source["relativeTimeRange"]["from"] > 0
    if source["datasourceUid"] == "xlapulse-influxdb":
        assert "$timeFilter" in source["model"]["query"]
        assert source["model"]["rawQuery"] is True


def test_the_contact_point_is_alertmanager_and_every_alert_reaches_it() -> None:
    (contact_point,) = DOCUMENT["contactPoints"]
    (receiver,) = contact_point["receivers"]
    assert receiver["type"] == "prometheus-alertmanager"
    assert receiver["settings"]["url"].startswith("http://")
    (policy,) = DOCUMENT["policies"]
    assert policy["receiver"] == contact_point["name"]
    assert {"persona", "site", "touch_point"} <= set(policy["group_by"])
