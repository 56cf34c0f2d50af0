"""The web ACL at the edge (Security Hub ELB.16, WAF.10-12): managed rule groups, a rate limit,
logging without credentials, and real requests through its rules: the API's bodies pass, the
dashboard keeps the managed rules' protection. Where it is attached: test_cdn.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cloudmetrics_infra.waf import API_PATHS, COMMON_RULE_SET, OUTSIDE_THE_API_RULE

from cloudmetrics.app import create_app
from cloudmetrics.smoke.checks import round_trip_batch
from tests.infra.mock_cloud import Snapshot
from tests.infra.waf_evaluation import BODY_SIZE_LIMIT, Request, evaluate
from tests.protocols.remote_messages import write_request
from tests.support.settings import make_settings

COMMON = COMMON_RULE_SET


def test_managed_rule_groups_and_a_rate_limit(stack: Snapshot) -> None:
    rules = stack.one("aws:wafv2/webAcl:WebAcl").inputs["rules"]
    managed = {
        rule["statement"]["managedRuleGroupStatement"]["name"]
        for rule in rules
        if "managedRuleGroupStatement" in rule["statement"]
    }
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= managed
    (rate,) = [rule for rule in rules if "rateBasedStatement" in rule["statement"]]
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rateBasedStatement"]["aggregateKeyType"] == "IP"
    assert len({rule["priority"] for rule in rules}) == len(rules)


def test_requests_are_logged_without_credentials(stack: Snapshot) -> None:
    logging = stack.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration").inputs
    group = stack.named("waf-logs")
    assert group.inputs["name"].startswith("aws-waf-logs-")
    assert logging["logDestinationConfigs"] == [group.state["arn"]]
    redacted = {field["singleHeader"]["name"] for field in logging["redactedFields"]}
    assert {"authorization", "cookie"} <= redacted


# What real clients send, run through the web ACL as declared (waf_evaluation.py models AWS's
# managed groups). A JSON batch at the service's own limit (INGEST_MAX_BODY_BYTES, 5 MiB).
def _json_batch(size: int) -> bytes:
    point = {"name": "http.requests", "timestamp": "2026-01-01T00:00:00Z", "value": 1.0}
    one = json.dumps(point).encode()
    return b'{"points": [' + b",".join([one] * (size // (len(one) + 1))) + b"]}"


INGEST_LIMIT = 5 * 1024 * 1024
API_REQUESTS = {
    "a 5 MiB JSON batch": Request("POST", "/v1/metrics", _json_batch(INGEST_LIMIT)),
    "a smoke batch": Request(
        "POST",
        "/v1/metrics",
        json.dumps(
            {"points": round_trip_batch("smoke.x", 1.0, datetime(2026, 1, 1, tzinfo=UTC))}
        ).encode(),
    ),
    "a remote write of 500 series": Request(
        "POST",
        "/api/v1/write",
        write_request(
            [({"__name__": "up", "instance": f"host-{n}"}, [(0, 1.0)]) for n in range(500)]
        ),
    ),
    # Label values are data: markup in one is stored, and escaped wherever it is shown.
    "a label value that looks like markup": Request(
        "POST", "/v1/metrics", b'{"points": [{"name": "m", "tags": {"t": "<script>"}}]}'
    ),
    "an OTLP export": Request("POST", "/otlp/v1/metrics", b"\x0a" * 20_000),
    "an Influx v2 write": Request("POST", "/api/v2/write", b"cpu value=1 0\n" * 2000),
    "an Influx v1 write": Request("POST", "/write", b"cpu value=1 0\n" * 2000),
    "a long PromQL selector": Request(
        "GET", "/api/v1/series", query="match[]=" + "up{job=~'a|b'}," * 200
    ),
}
DASHBOARD_REQUESTS = {
    "an oversized sign-in": Request("POST", "/sign-in", b"email=a&password=" + b"x" * 9000),
    "markup posted to the keys page": Request("POST", "/keys", b"name=<script>alert(1)</script>"),
    "a path traversal in a query": Request("GET", "/metrics", query="page=../../etc/passwd"),
    "an oversized body to the projects API": Request("POST", "/api/projects", b"x" * 9000),
    "a path that only starts like the API's": Request("POST", "/writer", b"x" * 9000),
}


@pytest.mark.parametrize("name", API_REQUESTS)
def test_the_api_passes(name: str, stacks: dict[str, Snapshot]) -> None:
    request = API_REQUESTS[name]
    for snapshot in stacks.values():
        outcome = evaluate(snapshot.one("aws:wafv2/webAcl:WebAcl").inputs["rules"], request)
        assert outcome.verdict == "ALLOW", (snapshot.environment, outcome)


def test_a_batch_at_the_ingest_limit_is_what_the_managed_rules_block() -> None:
    """The counter-test: without the overrides the same request would be refused at the edge."""
    bare: list[dict[str, Any]] = [
        {
            "name": "AWSManagedRulesCommonRuleSet",
            "priority": 1,
            "overrideAction": {"none": {}},
            "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": COMMON}},
        }
    ]
    outcome = evaluate(bare, API_REQUESTS["a 5 MiB JSON batch"])
    assert outcome.verdict == "BLOCK"
    assert outcome.terminating_rule == f"{COMMON}:SizeRestrictions_BODY"
    assert len(API_REQUESTS["a smoke batch"].body) > BODY_SIZE_LIMIT


@pytest.mark.parametrize("name", DASHBOARD_REQUESTS)
def test_the_dashboard_stays_protected(name: str, stack: Snapshot) -> None:
    outcome = evaluate(
        stack.one("aws:wafv2/webAcl:WebAcl").inputs["rules"], DASHBOARD_REQUESTS[name]
    )
    assert outcome.verdict == "BLOCK", outcome
    assert outcome.terminating_rule == OUTSIDE_THE_API_RULE


def test_a_request_without_a_user_agent_is_still_blocked_everywhere(stack: Snapshot) -> None:
    request = Request("POST", "/v1/metrics", b"{}", headers={"host": "api.example.net"})
    outcome = evaluate(stack.one("aws:wafv2/webAcl:WebAcl").inputs["rules"], request)
    assert outcome.terminating_rule == f"{COMMON}:NoUserAgent_HEADER"


def test_the_api_paths_are_the_services_routes() -> None:
    """Each exempted path is one the service serves: no exemption outlives its route."""
    app = create_app(make_settings("postgresql://127.0.0.1/unused", "redis://127.0.0.1/0"))
    routes = {route.path for route in app.routes}
    for constraint, path in API_PATHS:
        if constraint == "EXACTLY":
            assert path in routes, path
        else:
            assert any(route.startswith(path) for route in routes), path
