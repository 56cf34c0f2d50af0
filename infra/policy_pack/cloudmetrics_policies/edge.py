"""Security Hub FSBP controls of the network and the entrance: ACM, EC2, ELB, WAF."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

from pulumi_policy import ResourceValidationArgs, StackValidationArgs

from cloudmetrics_policies.building import fsbp, resource_policy, stack_policy
from cloudmetrics_policies.reading import (
    covers,
    depends_through,
    has,
    items,
    of_type,
    section,
    stack_of,
    world_open,
)

CERTIFICATE = "aws:acm/certificate:Certificate"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SUBNET = "aws:ec2/subnet:Subnet"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
NETWORK_ACLS = ("aws:ec2/networkAcl:NetworkAcl", "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl")
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"

STRONG_CERTIFICATE_KEYS = {"RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1"}
# EC2.19's high-risk ports.
HIGH_RISK_PORTS = (
    *(20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333),
    *(5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300),
)
REMOTE_ADMINISTRATION_PORTS = (22, 3389)
PUBLIC_PORTS = (80, 443)
# ELB.17: the TLS 1.3 policies Security Hub accepts for HTTPS listeners.
RECOMMENDED_TLS_POLICIES = {
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
}


def _ingress_rules(args: ResourceValidationArgs) -> list[Mapping[str, Any]]:
    """Ingress rules of a standalone rule resource or a group's inline rules."""
    if args.resource_type == INGRESS_RULE:
        return [args.props]
    if args.resource_type == LEGACY_RULE:
        return [args.props] if args.props.get("type") == "ingress" else []
    return list(items(args.props.get("ingress")))


INGRESS_TYPES = (INGRESS_RULE, LEGACY_RULE, SECURITY_GROUP)


def acm_1(args: ResourceValidationArgs) -> Iterator[str]:
    if args.props.get("validationMethod") != "DNS":
        yield "certificate must be DNS-validated so ACM renews it by itself"


def acm_2(args: ResourceValidationArgs) -> Iterator[str]:
    if args.props.get("keyAlgorithm", "RSA_2048") not in STRONG_CERTIFICATE_KEYS:
        yield "certificate key must be RSA 2048 bits or stronger (or ECDSA P-256/P-384)"


def ec2_2(args: ResourceValidationArgs) -> Iterator[str]:
    if items(args.props.get("ingress")) or items(args.props.get("egress")):
        yield "the VPC's default security group must allow no traffic"


def ec2_6(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    logged = {
        vpc.urn
        for flow_log in of_type(args.resources, FLOW_LOG)
        if flow_log.props.get("trafficType") == "ALL"
        for vpc in depends_through(flow_log, "vpcId")
    }
    for vpc in of_type(args.resources, VPC):
        if vpc.urn not in logged:
            yield "VPC has no flow log of ALL traffic", vpc.urn


def ec2_15(args: ResourceValidationArgs) -> Iterator[str]:
    if args.props.get("mapPublicIpOnLaunch") is True:
        yield "subnet must not assign public IPv4 addresses on launch"


def ec2_18(args: ResourceValidationArgs) -> Iterator[str]:
    for rule in _ingress_rules(args):
        if world_open(rule) and not any(
            rule.get("fromPort") == rule.get("toPort") == port for port in PUBLIC_PORTS
        ):
            yield "ingress from anywhere is allowed on ports 80 and 443 only"


def ec2_19(args: ResourceValidationArgs) -> Iterator[str]:
    for rule in _ingress_rules(args):
        if world_open(rule):
            for port in HIGH_RISK_PORTS:
                if covers(rule, port):
                    yield f"ingress from anywhere reaches high-risk port {port}"


def ec2_21(args: ResourceValidationArgs) -> Iterator[str]:
    # Public subnets hold the ALB and the NAT gateways, which receive return traffic on
    # ephemeral ports 1024-65535: denying 3389 there drops replies (docs/adr/0036).
    public = section(args.props, "tags").get("Tier") == "public"
    ports = (22,) if public else REMOTE_ADMINISTRATION_PORTS
    rules = sorted(
        (rule for rule in items(args.props.get("ingress")) if world_open(rule)),
        key=lambda rule: int(rule.get("ruleNo", 0)),
    )
    for port in ports:
        first = next((rule for rule in rules if _nacl_covers(rule, port)), None)
        if first is not None and first.get("action") != "deny":
            yield f"network ACL admits port {port} from anywhere"


def _nacl_covers(rule: Mapping[str, Any], port: int) -> bool:
    protocol = str(rule.get("protocol", "-1"))
    if protocol in ("-1", "all"):
        return True
    return protocol in ("tcp", "6") and int(rule.get("fromPort", 0)) <= port <= int(
        rule.get("toPort", 0)
    )


def ec2_53(args: ResourceValidationArgs) -> Iterator[str]:
    for rule in _ingress_rules(args):
        if rule.get("cidrIpv4") == "0.0.0.0/0" or "0.0.0.0/0" in items(rule.get("cidrBlocks")):
            for port in REMOTE_ADMINISTRATION_PORTS:
                if covers(rule, port):
                    yield f"IPv4 ingress from anywhere reaches port {port}"


def ec2_54(args: ResourceValidationArgs) -> Iterator[str]:
    for rule in _ingress_rules(args):
        if rule.get("cidrIpv6") == "::/0" or "::/0" in items(rule.get("ipv6CidrBlocks")):
            for port in REMOTE_ADMINISTRATION_PORTS:
                if covers(rule, port):
                    yield f"IPv6 ingress from anywhere reaches port {port}"


def elb_1(args: ResourceValidationArgs) -> Iterator[str]:
    if args.props.get("protocol") != "HTTP":
        return
    for action in items(args.props.get("defaultActions")):
        redirect = section(action, "redirect")
        if action.get("type") != "redirect" or redirect.get("protocol") != "HTTPS":
            yield "an HTTP listener may only redirect to HTTPS"


def _application(args: ResourceValidationArgs) -> bool:
    return args.props.get("loadBalancerType", "application") == "application"


def elb_4(args: ResourceValidationArgs) -> Iterator[str]:
    if _application(args) and args.props.get("dropInvalidHeaderFields") is not True:
        yield "application load balancer must drop invalid header fields"


def elb_5(args: ResourceValidationArgs) -> Iterator[str]:
    if section(args.props, "accessLogs").get("enabled") is not True:
        yield "load balancer must write access logs"


def elb_6(args: ResourceValidationArgs) -> Iterator[str]:
    # Deletion protection is a per-stack setting: required in prod, optional where stacks are
    # torn down on purpose.
    if stack_of(args.urn) == "prod" and args.props.get("enableDeletionProtection") is not True:
        yield "the prod load balancer must have deletion protection"


def elb_12(args: ResourceValidationArgs) -> Iterator[str]:
    if args.props.get("desyncMitigationMode", "defensive") not in ("defensive", "strictest"):
        yield "desync mitigation must be defensive or strictest"


def elb_13(args: ResourceValidationArgs) -> Iterator[str]:
    if len(items(args.props.get("subnets"))) + len(items(args.props.get("subnetMappings"))) < 2:
        yield "load balancer must span at least two availability zones"


def elb_16(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    protected = {
        balancer.urn
        for association in of_type(args.resources, WEB_ACL_ASSOCIATION)
        for balancer in depends_through(association, "resourceArn")
    }
    # Behind CloudFront the web ACL belongs at the edge (only there does it see clients' own
    # addresses). Such an ALB counts as protected when a distribution carries a web ACL and
    # every listener of the ALB refuses by default (requests pass only by a listener rule
    # matching CloudFront's secret origin header).
    if any(
        has(distribution.props, "webAclId")
        for distribution in of_type(args.resources, DISTRIBUTION)
    ):
        listeners_by_balancer: dict[str, list[Mapping[str, Any]]] = {}
        for listener in of_type(args.resources, LISTENER):
            for balancer in depends_through(listener, "loadBalancerArn"):
                listeners_by_balancer.setdefault(balancer.urn, []).append(listener.props)
        protected |= {
            urn
            for urn, listeners in listeners_by_balancer.items()
            if all(
                action.get("type") == "fixed-response"
                for props in listeners
                for action in items(props.get("defaultActions"))
            )
        }
    for balancer in of_type(args.resources, LOAD_BALANCER):
        if balancer.props.get("loadBalancerType", "application") == "application" and (
            balancer.urn not in protected
        ):
            yield "application load balancer has no WAF web ACL", balancer.urn


def elb_17(args: ResourceValidationArgs) -> Iterator[str]:
    if args.props.get("protocol") == "HTTPS" and (
        args.props.get("sslPolicy") not in RECOMMENDED_TLS_POLICIES
    ):
        yield "HTTPS listener must use a recommended TLS 1.3 security policy"


def waf_10(args: ResourceValidationArgs) -> Iterator[str]:
    if not items(args.props.get("rules")) and not has(args.props, "ruleJson"):
        yield "web ACL must have at least one rule or rule group"


def waf_11(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    logged = {
        acl.urn
        for logging in of_type(args.resources, WEB_ACL_LOGGING)
        for acl in depends_through(logging, "resourceArn")
    }
    for acl in of_type(args.resources, WEB_ACL):
        if acl.urn not in logged:
            yield "web ACL has no logging configuration", acl.urn


def waf_12(args: ResourceValidationArgs) -> Iterator[str]:
    for rule in items(args.props.get("rules")):
        if section(rule, "visibilityConfig").get("cloudwatchMetricsEnabled") is not True:
            yield f"WAF rule {rule.get('name')!r} must publish CloudWatch metrics"


COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
# The common rule set's rules that refuse valid API requests (any body over 8 KB; patterns that
# label values match) and the labels they add: in a web ACL they must only count, and a later
# rule must still block the labelled requests (outside the API's paths).
API_BREAKING_RULES = {
    "SizeRestrictions_BODY": "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body",
    "CrossSiteScripting_BODY": "awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body",
}


def _label_keys(statement: object) -> Iterator[str]:
    """Every label a statement tree matches on, however deeply nested."""
    if isinstance(statement, Mapping):
        node = cast("Mapping[str, Any]", statement)
        if "labelMatchStatement" in node:
            yield str(section(node, "labelMatchStatement").get("key"))
        for value in node.values():
            yield from _label_keys(value)
    elif isinstance(statement, Sequence) and not isinstance(statement, str):
        for value in cast("Sequence[object]", statement):
            yield from _label_keys(value)


def waf_spares_the_api(args: ResourceValidationArgs) -> Iterator[str]:
    rules = items(args.props.get("rules"))
    for rule in rules:
        group = section(section(rule, "statement"), "managedRuleGroupStatement")
        if group.get("name") != COMMON_RULE_SET:
            continue
        counted = {
            override.get("name")
            for override in items(group.get("ruleActionOverrides"))
            if "count" in section(override, "actionToUse")
        }
        for name, label in API_BREAKING_RULES.items():
            if name not in counted:
                yield f"{COMMON_RULE_SET}'s {name} blocks valid API requests: override it to count"
                continue
            blocking_later = [
                later
                for later in rules
                if later.get("priority", 0) > rule.get("priority", 0)
                and "block" in section(later, "action")
                and label in _label_keys(later.get("statement"))
            ]
            if not blocking_later:
                yield f"nothing blocks requests labelled {label} (outside the API) any more"


POLICIES = [
    resource_policy(fsbp("ACM.1"), "ACM certificates renew automatically", [CERTIFICATE], acm_1),
    resource_policy(fsbp("ACM.2"), "ACM certificates use strong keys", [CERTIFICATE], acm_2),
    resource_policy(
        fsbp("EC2.2"), "Default security groups allow no traffic", [DEFAULT_SECURITY_GROUP], ec2_2
    ),
    stack_policy(fsbp("EC2.6"), "VPC flow logging is enabled in every VPC", ec2_6),
    resource_policy(fsbp("EC2.15"), "Subnets assign no public IPv4 addresses", [SUBNET], ec2_15),
    resource_policy(
        fsbp("EC2.18"),
        "Unrestricted inbound traffic only on authorised ports (80, 443)",
        INGRESS_TYPES,
        ec2_18,
    ),
    resource_policy(
        fsbp("EC2.19"), "No unrestricted access to high-risk ports", INGRESS_TYPES, ec2_19
    ),
    resource_policy(
        fsbp("EC2.21"),
        "Network ACLs admit no remote administration from anywhere",
        NETWORK_ACLS,
        ec2_21,
    ),
    resource_policy(
        fsbp("EC2.53"), "No IPv4 ingress from anywhere to ports 22 and 3389", INGRESS_TYPES, ec2_53
    ),
    resource_policy(
        fsbp("EC2.54"), "No IPv6 ingress from anywhere to ports 22 and 3389", INGRESS_TYPES, ec2_54
    ),
    resource_policy(fsbp("ELB.1"), "HTTP listeners redirect to HTTPS", [LISTENER], elb_1),
    resource_policy(
        fsbp("ELB.4"), "Load balancers drop invalid HTTP headers", [LOAD_BALANCER], elb_4
    ),
    resource_policy(fsbp("ELB.5"), "Load balancers write access logs", [LOAD_BALANCER], elb_5),
    resource_policy(
        fsbp("ELB.6"), "The prod load balancer has deletion protection", [LOAD_BALANCER], elb_6
    ),
    resource_policy(fsbp("ELB.12"), "Load balancers mitigate HTTP desync", [LOAD_BALANCER], elb_12),
    resource_policy(
        fsbp("ELB.13"), "Load balancers span several availability zones", [LOAD_BALANCER], elb_13
    ),
    stack_policy(
        fsbp("ELB.16"),
        "Application load balancers sit behind a WAF web ACL (theirs, or CloudFront's)",
        elb_16,
    ),
    resource_policy(
        fsbp("ELB.17"), "HTTPS listeners use a recommended TLS policy", [LISTENER], elb_17
    ),
    resource_policy(fsbp("WAF.10"), "Web ACLs have at least one rule", [WEB_ACL], waf_10),
    stack_policy(fsbp("WAF.11"), "Web ACLs log their requests", waf_11),
    resource_policy(fsbp("WAF.12"), "WAF rules publish CloudWatch metrics", [WEB_ACL], waf_12),
    resource_policy(
        "waf-spares-the-api",
        "The managed rules that block valid API bodies only count there, and still block elsewhere",
        [WEB_ACL],
        waf_spares_the_api,
    ),
]
