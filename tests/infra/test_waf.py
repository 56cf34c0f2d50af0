"""The web ACL at the edge (Security Hub ELB.16, WAF.10-12): managed rule groups, a rate limit,
logging without credentials. Where it is attached: test_cdn.py."""

from __future__ import annotations

from tests.infra.mock_cloud import Snapshot


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
