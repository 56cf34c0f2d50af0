"""The web application firewall in front of the public entrance (Security Hub ELB.16).

A WAFv2 web ACL with AWS's managed rule groups (common exploits, known bad inputs, IP
reputation) and a per-address rate limit, logging every request it blocks or counts to
CloudWatch Logs. It is its own component and protects whatever `resource_arn` names (today the
ALB), so it can move in front of another entrance (a CloudFront distribution needs scope
CLOUDFRONT, in us-east-1) without touching the load balancer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from cloudmetrics_infra.settings import StackSettings

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)
# Requests per client address in any 5-minute window before WAF blocks it: far above the API's
# own per-minute limit (RATE_LIMIT_PER_MINUTE, counted in Redis), so this only stops floods the
# service should never see.
RATE_LIMIT_PER_5_MINUTES = 10_000
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


def rules() -> list[aws.wafv2.WebAclRuleArgsDict]:
    managed: list[aws.wafv2.WebAclRuleArgsDict] = [
        {
            "name": group,
            "priority": priority,
            "override_action": {"none": {}},
            "statement": {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}},
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
    return [rate_limit, *managed]


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
