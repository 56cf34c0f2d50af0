"""Security Hub FSBP controls for the network and the entrance (ACM, EC2, ELB), by control id.

Every control of Security Hub's Foundational Security Best Practices that applies to this estate
has a test named after it, in this file and in test_security_hub_compute.py and
test_security_hub_data.py. Controls deliberately not met, and why:
- RDS.23 (no default database port): the project contract fixes PostgreSQL on 5432; the
  port is reachable only from the service's security group.
- ELB.6 / RDS.8 (deletion protection): on in prod, configurable per stack so dev and staging can
  be torn down; the tests assert prod (and test_stacks.py that values come from configuration).
- ELB.16 (WAF on the ALB): not in scope yet.
"""

from __future__ import annotations

from tests.infra.mock_cloud import Snapshot
from tests.infra.reading import EGRESS, INGRESS, ports

# The ports control EC2.19 treats as high risk.
HIGH_RISK_PORTS = {
    *(20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333),
    *(5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300),
}
WORLD = {"0.0.0.0/0", "::/0"}


def world_ingress(stack: Snapshot) -> list[tuple[int, int]]:
    return [
        ports(rule)
        for rule in stack.of_type(INGRESS)
        if {rule.inputs.get("cidrIpv4"), rule.inputs.get("cidrIpv6")} & WORLD
    ]


# --- ACM ---------------------------------------------------------------------------------


def test_acm_1_certificate_renews_itself_through_dns_validation(stack: Snapshot) -> None:
    certificate = stack.one("aws:acm/certificate:Certificate")
    assert certificate.inputs["validationMethod"] == "DNS"
    record = stack.named("entrance-certificate-validation-record").inputs
    option = certificate.state["domainValidationOptions"][0]
    assert record["name"] == option["resourceRecordName"]


def test_acm_2_certificate_key_is_rsa_2048_or_stronger(stack: Snapshot) -> None:
    algorithm = stack.one("aws:acm/certificate:Certificate").inputs["keyAlgorithm"]
    assert algorithm in {"RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1"}


# --- EC2 ---------------------------------------------------------------------------------


def test_ec2_2_default_security_group_allows_nothing(stack: Snapshot) -> None:
    default = stack.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup").inputs
    assert default["vpcId"] == stack.one("aws:ec2/vpc:Vpc").id
    assert not default.get("ingress")
    assert not default.get("egress")


def test_ec2_6_vpc_flow_logging_is_enabled(stack: Snapshot) -> None:
    flow_log = stack.one("aws:ec2/flowLog:FlowLog").inputs
    assert flow_log["vpcId"] == stack.one("aws:ec2/vpc:Vpc").id
    assert flow_log["trafficType"] == "ALL"
    group = stack.named("network-flow-logs")
    assert flow_log["logDestination"] == group.state["arn"]
    assert group.inputs["retentionInDays"] > 0


def test_ec2_15_subnets_do_not_assign_public_addresses(stack: Snapshot) -> None:
    for subnet in stack.of_type("aws:ec2/subnet:Subnet"):
        assert subnet.inputs["mapPublicIpOnLaunch"] is False, subnet.name


def test_ec2_18_unrestricted_ingress_only_on_authorized_ports(stack: Snapshot) -> None:
    assert set(world_ingress(stack)) <= {(80, 80), (443, 443)}


def test_ec2_19_no_unrestricted_access_to_high_risk_ports(stack: Snapshot) -> None:
    for low, high in world_ingress(stack):
        assert not any(low <= port <= high for port in HIGH_RISK_PORTS)


def test_ec2_21_network_acls_refuse_remote_administration_from_anywhere(stack: Snapshot) -> None:
    acl = stack.one("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl").inputs
    assert acl["defaultNetworkAclId"] == stack.one("aws:ec2/vpc:Vpc").state["defaultNetworkAclId"]
    assert len(acl["subnetIds"]) == len(stack.of_type("aws:ec2/subnet:Subnet"))
    rules = sorted(acl["ingress"], key=lambda rule: rule["ruleNo"])
    for port in (22, 3389):
        # NACL rules apply in rule-number order: the first match decides.
        first = next(
            r for r in rules if r["protocol"] == "-1" or r["fromPort"] <= port <= r["toPort"]
        )
        assert first["action"] == "deny", port


def test_ec2_53_no_ingress_from_anywhere_to_remote_administration_ports(stack: Snapshot) -> None:
    for low, high in world_ingress(stack):
        assert not low <= 22 <= high
        assert not low <= 3389 <= high


def test_ec2_54_no_ipv6_ingress_from_anywhere_to_remote_administration_ports(
    stack: Snapshot,
) -> None:
    for rule in [*stack.of_type(INGRESS), *stack.of_type(EGRESS)]:
        assert rule.inputs.get("cidrIpv6") is None, rule.name


# --- Elastic Load Balancing ----------------------------------------------------------------


def test_elb_1_http_redirects_to_https(stack: Snapshot) -> None:
    for listener in stack.of_type("aws:lb/listener:Listener"):
        if listener.inputs["protocol"] == "HTTP":
            (action,) = listener.inputs["defaultActions"]
            assert action["type"] == "redirect"
            assert action["redirect"]["protocol"] == "HTTPS"


def test_elb_4_invalid_headers_are_dropped(stack: Snapshot) -> None:
    assert stack.one("aws:lb/loadBalancer:LoadBalancer").inputs["dropInvalidHeaderFields"] is True


def test_elb_5_access_logging_is_enabled(stack: Snapshot) -> None:
    logs = stack.one("aws:lb/loadBalancer:LoadBalancer").inputs["accessLogs"]
    assert logs["enabled"] is True
    assert logs["bucket"] == stack.named("entrance-access-logs-bucket").inputs["bucket"]


def test_elb_6_prod_load_balancer_has_deletion_protection(stacks: dict[str, Snapshot]) -> None:
    prod = stacks["prod"].one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert prod["enableDeletionProtection"] is True


def test_elb_12_desync_mitigation_is_defensive_or_strictest(stack: Snapshot) -> None:
    mode = stack.one("aws:lb/loadBalancer:LoadBalancer").inputs["desyncMitigationMode"]
    assert mode in {"defensive", "strictest"}


def test_elb_13_load_balancer_spans_multiple_zones(stack: Snapshot) -> None:
    subnets = stack.one("aws:lb/loadBalancer:LoadBalancer").inputs["subnets"]
    zones = {stack.by_id(subnet).inputs["availabilityZone"] for subnet in subnets}
    assert len(zones) >= 2


def test_elb_17_https_listener_uses_a_recommended_tls_policy(stack: Snapshot) -> None:
    for listener in stack.of_type("aws:lb/listener:Listener"):
        if listener.inputs["protocol"] == "HTTPS":
            assert listener.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
