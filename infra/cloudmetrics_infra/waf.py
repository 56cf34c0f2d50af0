"""The web application firewall in front of the public entrance (Security Hub ELB.16).

A WAFv2 web ACL with AWS's managed rule groups (common exploits, known bad inputs, IP
reputation) and a per-address rate limit, logging every request it blocks or counts to
CloudWatch Logs.

The common rule set's body and query-string rules would refuse valid API requests: its
SizeRestrictions_BODY blocks any body over 8 KB (a fixed limit), while the API takes batches up
to 5 MiB (about 100 points are already 8 KB), and its cross-site scripting, file inclusion and
SSRF patterns match label values and PromQL selectors that are data, not markup. Those rules
only count (and label) inside the group; the rule after it blocks what they labelled on every
path but the API's, so the dashboard and sign-in keep the full protection. The API paths are
guarded by the service itself: its body limit (INGEST_MAX_BODY_BYTES), strict schemas that
reject anything but metrics, and escaping wherever the dashboard shows a label.

It is its own component and protects whatever it is attached to (today the CloudFront
distribution, scope CLOUDFRONT, in us-east-1; a REGIONAL one takes an ALB's `resource_arn`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from cloudmetrics_infra.settings import StackSettings

COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
MANAGED_RULE_GROUPS = (
    COMMON_RULE_SET,
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)
# Requests per client address in any 5-minute window before WAF blocks it: far above the API's
# own per-minute limit (RATE_LIMIT_PER_MINUTE, counted in Redis), so this only stops floods the
# service should never see.
RATE_LIMIT_PER_5_MINUTES = 10_000
# The common rule set's rules that inspect a body or a query string, and the label each adds
# to a request it matches (AWS's documented names: awswaf:managed:aws:core-rule-set:<label>).
BODY_AND_QUERY_RULES = {
    "SizeRestrictions_BODY": "SizeRestrictions_Body",
    "CrossSiteScripting_BODY": "CrossSiteScripting_Body",
    "GenericLFI_BODY": "GenericLFI_Body",
    "GenericRFI_BODY": "GenericRFI_Body",
    "EC2MetaDataSSRF_BODY": "EC2MetaDataSSRF_Body",
    "SizeRestrictions_QUERYSTRING": "SizeRestrictions_QueryString",
    "CrossSiteScripting_QUERYARGUMENTS": "CrossSiteScripting_QueryArguments",
    "GenericLFI_QUERYARGUMENTS": "GenericLFI_QueryArguments",
    "GenericRFI_QUERYARGUMENTS": "GenericRFI_QueryArguments",
    "EC2MetaDataSSRF_QUERYARGUMENTS": "EC2MetaDataSSRF_QueryArguments",
    "RestrictedExtensions_QUERYARGUMENTS": "RestrictedExtensions_QueryArguments",
}
LABEL_NAMESPACE = "awswaf:managed:aws:core-rule-set:"
# The API's paths (service/cloudmetrics: metrics/, protocols/): the JSON API under /v1/, and the
# ingest protocols' fixed paths (Prometheus remote write and read plus its HTTP API, OTLP,
# InfluxDB line protocol v1 and v2). Everything else (dashboard, sign-in, keys) stays fully
# guarded. (positional constraint, path)
API_PATHS = (
    ("STARTS_WITH", "/v1/"),
    ("STARTS_WITH", "/api/v1/"),
    ("EXACTLY", "/api/v2/write"),
    ("EXACTLY", "/otlp/v1/metrics"),
    ("EXACTLY", "/write"),
)
OUTSIDE_THE_API_RULE = "common-body-and-query-rules-outside-the-api"
# Credentials never reach the WAF logs.
REDACTED_HEADERS = ("authorization", "cookie", "x-api-key")


@dataclass(frozen=True)
class WebFirewallArgs:
    settings: StackSettings
    resource_arn: pulumi.Input[str] | None = None
    """What a REGIONAL web ACL protects (an ALB's ARN). A CLOUDFRONT one is named by the
    distribution itself (its web_acl_id), so it has none."""
    scope: Literal["REGIONAL", "CLOUDFRONT"] = "REGIONAL"


def _visibility(metric: str) -> aws.wafv2.WebAclVisibilityConfigArgsDict:
    return {
        "cloudwatch_metrics_enabled": True,
        "metric_name": metric,
        "sampled_requests_enabled": True,
    }


def _managed_group(group: str) -> aws.wafv2.WebAclRuleStatementArgsDict:
    statement: aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgsDict = {
        "vendor_name": "AWS",
        "name": group,
    }
    if group == COMMON_RULE_SET:
        statement["rule_action_overrides"] = [
            {"name": rule, "action_to_use": {"count": {}}} for rule in BODY_AND_QUERY_RULES
        ]
    return {"managed_rule_group_statement": statement}


def _path_is(constraint: str, path: str) -> aws.wafv2.WebAclRuleStatementArgsDict:
    return {
        "byte_match_statement": {
            "field_to_match": {"uri_path": {}},
            "positional_constraint": constraint,
            "search_string": path,
            "text_transformations": [{"priority": 0, "type": "NONE"}],
        }
    }


def _outside_the_api(priority: int) -> aws.wafv2.WebAclRuleArgsDict:
    """Blocks what the common rule set only counted, except on the API's paths. It must come
    after the group: a rule sees only the labels of rules evaluated before it."""
    labelled: list[aws.wafv2.WebAclRuleStatementArgsDict] = [
        {"label_match_statement": {"scope": "LABEL", "key": LABEL_NAMESPACE + label}}
        for label in BODY_AND_QUERY_RULES.values()
    ]
    api: list[aws.wafv2.WebAclRuleStatementArgsDict] = [
        _path_is(constraint, path) for constraint, path in API_PATHS
    ]
    return {
        "name": OUTSIDE_THE_API_RULE,
        "priority": priority,
        "action": {"block": {}},
        "statement": {
            "and_statement": {
                "statements": [
                    {"or_statement": {"statements": labelled}},
                    {"not_statement": {"statement": {"or_statement": {"statements": api}}}},
                ]
            }
        },
        "visibility_config": _visibility(OUTSIDE_THE_API_RULE),
    }


def rules() -> list[aws.wafv2.WebAclRuleArgsDict]:
    managed: list[aws.wafv2.WebAclRuleArgsDict] = [
        {
            "name": group,
            "priority": priority,
            "override_action": {"none": {}},
            "statement": _managed_group(group),
            "visibility_config": _visibility(group),
        }
        for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1)
    ]
    rate_limit: aws.wafv2.WebAclRuleArgsDict = {
        "name": "rate-limit-per-address",
        "priority": 0,
        "action": {"block": {}},
        "statement": {
            "rate_based_statement": {"limit": RATE_LIMIT_PER_5_MINUTES, "aggregate_key_type": "IP"}
        },
        "visibility_config": _visibility("rate-limit-per-address"),
    }
    return [rate_limit, *managed, _outside_the_api(len(managed) + 1)]


class WebFirewall(pulumi.ComponentResource):
    web_acl: aws.wafv2.WebAcl

    def __init__(
        self, name: str, args: WebFirewallArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:WebFirewall", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            name=settings.name_prefix,
            description=f"{settings.name_prefix} public entrance",
            scope=args.scope,
            default_action={"allow": {}},
            rules=rules(),
            visibility_config=_visibility(settings.name_prefix),
            opts=child,
        )
        if args.resource_arn is not None:
            aws.wafv2.WebAclAssociation(
                f"{name}-association",
                resource_arn=args.resource_arn,
                web_acl_arn=self.web_acl.arn,
                opts=child,
            )
        # WAF logs only to groups whose name starts with aws-waf-logs- (Security Hub WAF.11).
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"aws-waf-logs-{settings.name_prefix}",
            retention_in_days=settings.log_retention_days,
            opts=child,
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[log_group.arn],
            redacted_fields=[{"single_header": {"name": header}} for header in REDACTED_HEADERS],
            opts=child,
        )
        self.register_outputs({"webAclArn": self.web_acl.arn})
