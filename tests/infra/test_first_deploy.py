"""What a first `pulumi up` needs that mocks would otherwise accept: ordering, the permissions
AWS documents, network ACLs that let replies back in, alarms that can be delivered."""

from __future__ import annotations

import re
from typing import Any

from tests.infra.iam_evaluation import allowed
from tests.infra.mock_cloud import INFRA, Snapshot
from tests.infra.snapshot_views import role_policy

NETWORK_ACL = "aws:ec2/networkAcl:NetworkAcl"
# Replies come back to the port the connection left from: the ALB and the NAT gateways use
# 1024-65535 (AWS's documented range for both); Linux tasks 32768-60999.
EPHEMERAL_PORTS = {"public": range(1024, 65536), "private": range(32768, 61000)}


def first_match(acl: dict[str, Any], port: int) -> str:
    """The action of the first inbound rule (by number) that a TCP packet to `port` matches."""
    for rule in sorted(acl["ingress"], key=lambda rule: rule["ruleNo"]):
        if rule["protocol"] == "-1" or rule["fromPort"] <= port <= rule["toPort"]:
            return str(rule["action"])
    return "deny"


def tier_acls(stack: Snapshot) -> dict[str, dict[str, Any]]:
    return {acl.inputs["tags"]["Tier"]: dict(acl.inputs) for acl in stack.of_type(NETWORK_ACL)}


def test_network_acls_let_replies_back_in_on_every_ephemeral_port(stack: Snapshot) -> None:
    acls = tier_acls(stack)
    for tier, ports in EPHEMERAL_PORTS.items():
        refused = [port for port in ports if first_match(acls[tier], port) != "allow"]
        assert refused == [], f"{tier} subnets drop replies to ports {refused[:5]}"


def test_network_acls_still_refuse_remote_administration(stack: Snapshot) -> None:
    acls = tier_acls(stack)
    assert first_match(acls["public"], 22) == "deny"
    assert first_match(acls["private"], 22) == "deny"
    assert first_match(acls["private"], 3389) == "deny"


def test_every_subnet_has_the_network_acl_of_its_tier(stack: Snapshot) -> None:
    acls = {acl.inputs["tags"]["Tier"]: acl for acl in stack.of_type(NETWORK_ACL)}
    for subnet in stack.of_type("aws:ec2/subnet:Subnet"):
        tier = subnet.inputs["tags"]["Tier"]
        assert subnet.id in acls[tier].inputs["subnetIds"], subnet.name
    default = stack.one("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl").inputs
    assert not default.get("subnetIds")
    assert not default.get("ingress")


def test_flow_log_role_has_every_action_aws_documents(stack: Snapshot) -> None:
    group = stack.named("network-flow-logs").state["arn"]
    statements = role_policy(stack, "network-flow-logs-role")
    for action in (
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
    ):
        assert allowed(statements, action, f"{group}:log-stream:eni-0abc-all"), action


def test_tasks_cannot_start_before_the_execution_role_may_pull_and_read_secrets(
    stack: Snapshot,
) -> None:
    policy = stack.named("task-roles-execution-policy").urn
    for name in ("web-task", "web-service", "migrations-task", "smoke-key-registration-task"):
        assert policy in stack.named(name).dependencies, name


def test_the_service_waits_for_the_rule_that_attaches_its_target_group(stack: Snapshot) -> None:
    """The listener's default action answers 403; only the forward rule puts the target group
    behind the load balancer, and ECS refuses a service whose group has none."""
    rule = stack.named("entrance-from-cloudfront")
    group = stack.one("aws:lb/targetGroup:TargetGroup").state["arn"]
    assert rule.inputs["actions"][0]["targetGroupArn"] == group
    assert rule.urn in stack.named("web-service").dependencies


def test_the_database_waits_for_its_monitoring_roles_policy(stack: Snapshot) -> None:
    attachment = stack.named("database-monitoring-policy")
    assert attachment.inputs["role"] == stack.named("database-monitoring-role").state["name"]
    assert attachment.urn in stack.named("database-instance").dependencies


def test_cloudwatch_may_publish_to_the_encrypted_alarm_topic(stack: Snapshot) -> None:
    topic = stack.one("aws:sns/topic:Topic").inputs
    (key_resource,) = [
        k for k in stack.of_type("aws:kms/key:Key") if k.state["arn"] == topic["kmsMasterKeyId"]
    ]
    assert not topic["kmsMasterKeyId"].startswith("alias/aws/")
    statements = [
        s
        for s in key_resource.json("policy")["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert allowed(statements, action, key_resource.state["arn"]), action
    assert key_resource.inputs["enableKeyRotation"] is True


def test_first_deploy_targets_name_every_parent_component(stack: Snapshot) -> None:
    # `pulumi up --target` refuses a child whose component parent is neither there nor targeted.
    text = (INFRA.parent / "docs" / "infrastructure.md").read_text()
    for command in re.findall(r"pulumi up [^`]*--target[^`]*", text):
        targets = {
            urn.replace("<env>", stack.environment)
            for urn in re.findall(r"--target '([^']+)'", command)
        }
        assert targets
        for urn in targets:
            resource = stack.by_urn(urn)
            parent = resource.parent
            while parent and "::pulumi:pulumi:Stack::" not in parent:
                assert parent in targets, f"{urn} is targeted without its parent {parent}"
                parent = stack.by_urn(parent).parent
