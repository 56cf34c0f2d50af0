"""Traffic policy: the world reaches only the ALB on 80/443; each hop opens exactly one port."""

from __future__ import annotations

from tests.infra.mock_cloud import CLOUDFRONT_PREFIX_LIST_ID, Resource, Snapshot
from tests.infra.snapshot_views import EGRESS, INGRESS, destinations, ports, sources

WORLD = ("0.0.0.0/0", "::/0")


def world_open(rule: Resource) -> bool:
    return rule.inputs.get("cidrIpv4") in WORLD or rule.inputs.get("cidrIpv6") in WORLD


def test_no_security_group_admits_the_world(stack: Snapshot) -> None:
    assert [rule.name for rule in stack.of_type(INGRESS) if world_open(rule)] == []


def test_the_alb_admits_only_cloudfront_on_443(stack: Snapshot) -> None:
    alb = stack.named("firewall-alb")
    (rule,) = [rule for rule in stack.of_type(INGRESS) if rule.inputs["securityGroupId"] == alb.id]
    assert ports(rule) == (443, 443)
    assert rule.inputs["prefixListId"] == CLOUDFRONT_PREFIX_LIST_ID
    assert "cidrIpv4" not in rule.inputs
    assert "cidrIpv6" not in rule.inputs
    looked_up = [token for token, _ in stack.invokes]
    assert "aws:ec2/getManagedPrefixList:getManagedPrefixList" in looked_up


def test_no_rule_opens_a_port_range_or_all_protocols(stack: Snapshot) -> None:
    for rule in [*stack.of_type(INGRESS), *stack.of_type(EGRESS)]:
        assert rule.inputs["ipProtocol"] == "tcp", rule.name
        low, high = ports(rule)
        assert low == high, rule.name


def test_groups_declare_no_inline_rules(stack: Snapshot) -> None:
    # Inline rules would fight the standalone ones and hide from these tests.
    for group in stack.of_type("aws:ec2/securityGroup:SecurityGroup"):
        assert "ingress" not in group.inputs
        assert "egress" not in group.inputs


def test_service_accepts_only_its_port_from_the_alb(stack: Snapshot) -> None:
    assert sources(stack, "firewall-service") == {("firewall-alb-id", 8000)}
    assert destinations(stack, "firewall-alb") == {("firewall-service-id", 8000)}


def test_database_accepts_only_5432_from_the_service(stack: Snapshot) -> None:
    assert sources(stack, "firewall-database") == {("firewall-service-id", 5432)}
    assert destinations(stack, "firewall-database") == set()


def test_cache_accepts_only_6379_from_the_service(stack: Snapshot) -> None:
    assert sources(stack, "firewall-cache") == {("firewall-service-id", 6379)}
    assert destinations(stack, "firewall-cache") == set()


def test_service_sends_only_to_database_cache_and_https(stack: Snapshot) -> None:
    assert destinations(stack, "firewall-service") == {
        ("firewall-database-id", 5432),
        ("firewall-cache-id", 6379),
        ("0.0.0.0/0", 443),
    }


def test_database_and_cache_use_only_their_own_groups(stack: Snapshot) -> None:
    instance = stack.one("aws:rds/instance:Instance")
    assert instance.inputs["vpcSecurityGroupIds"] == ["firewall-database-id"]
    cache = stack.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert cache.inputs["securityGroupIds"] == ["firewall-cache-id"]
