"""Least privilege: no wildcard actions, every resource one of this environment's own."""

from __future__ import annotations

import re
from typing import Any

from tests.infra.mock_cloud import ENVIRONMENTS, Snapshot
from tests.infra.snapshot_views import allow_statements, as_list, role_policy

# Actions AWS offers no resource-level permission for: "*" is the only valid resource.
UNSCOPABLE_ACTIONS = {"ecr:GetAuthorizationToken"}
# Listing actions granted over this account's resources of one kind, in this region.
LISTING_ACTIONS = {"logs:DescribeLogGroups": "arn:aws:logs:{region}:{account}:log-group:*"}
MANAGED_POLICIES_ALLOWED = {
    # RDS enhanced monitoring (Security Hub RDS.6) needs AWS's own role policy.
    "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
}


def own_arns(stack: Snapshot) -> set[str]:
    """ARNs of resources this stack created, and of the secret RDS made for it."""
    arns = {str(resource.state["arn"]) for resource in stack.aws() if "arn" in resource.state}
    instance = stack.one("aws:rds/instance:Instance")
    arns |= {secret["secretArn"] for secret in instance.state["masterUserSecrets"]}
    return arns


def test_every_granted_resource_belongs_to_this_environment(stack: Snapshot) -> None:
    arns = own_arns(stack)
    provider = stack.named("aws").inputs
    account = str(provider["allowedAccountIds"]).strip('[]"')
    for resource, statement in allow_statements(stack):
        if resource.type == "aws:s3/bucketPolicy:BucketPolicy":
            continue  # resource policies: their Resource is the bucket itself (checked below)
        actions = as_list(statement["Action"])
        if len(actions) == 1 and actions[0] in LISTING_ACTIONS:
            scope = LISTING_ACTIONS[actions[0]].format(region=provider["region"], account=account)
            assert as_list(statement["Resource"]) == [scope], resource.name
            continue
        for granted in as_list(statement["Resource"]):
            if granted == "*":
                assert set(as_list(statement["Action"])) <= UNSCOPABLE_ACTIONS, resource.name
                continue
            base = granted.removesuffix(":*")
            assert base in arns, f"{resource.name} grants {granted}, not a resource of this stack"


def test_bucket_policies_speak_only_of_their_own_bucket(stack: Snapshot) -> None:
    for policy in stack.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        bucket = stack.by_id(policy.inputs["bucket"])
        arn = bucket.state["arn"]
        for statement in policy.json("policy")["Statement"]:
            for granted in as_list(statement["Resource"]):
                assert granted == arn or granted.startswith(f"{arn}/"), granted


def test_no_policy_mentions_another_environment(stacks: dict[str, Snapshot]) -> None:
    for environment, stack in stacks.items():
        others = [f"cloudmetrics-{other}" for other in ENVIRONMENTS if other != environment]
        for resource, statement in allow_statements(stack):
            text = str(statement)
            assert not any(other in text for other in others), resource.name


def test_execution_role_reads_exactly_what_the_tasks_reference(stack: Snapshot) -> None:
    statements = role_policy(stack, "task-roles-execution")
    readable = {
        granted
        for statement in statements
        if set(statement["Action"]) & {"ssm:GetParameters", "secretsmanager:GetSecretValue"}
        for granted in statement["Resource"]
    }
    referenced: set[str] = set()
    for task in stack.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        assert task.inputs["executionRoleArn"] == stack.named("task-roles-execution").state["arn"]
        for container in task.json("containerDefinitions"):
            for secret in container["secrets"]:
                # A JSON-key reference (arn:key::) needs permission on the secret's ARN.
                arn = secret["valueFrom"]
                referenced.add(re.sub(r":(username|password)::$", "", arn))
    assert readable == referenced


def test_execution_role_may_pull_only_this_environments_repository(stack: Snapshot) -> None:
    repository = stack.one("aws:ecr/repository:Repository").state["arn"]
    pulls: list[dict[str, Any]] = [
        s for s in role_policy(stack, "task-roles-execution") if "ecr:BatchGetImage" in s["Action"]
    ]
    assert [s["Resource"] for s in pulls] == [[repository]]


def test_task_role_grants_nothing(stack: Snapshot) -> None:
    assert role_policy(stack, "task-roles-task") == []
    task_role = stack.named("task-roles-task").id
    attachments = stack.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert all(attachment.inputs["role"] != task_role for attachment in attachments)


def test_only_known_managed_policies_are_attached(stack: Snapshot) -> None:
    attached = {
        attachment.inputs["policyArn"]
        for attachment in stack.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attached <= MANAGED_POLICIES_ALLOWED


def test_roles_live_under_this_environments_path(stack: Snapshot) -> None:
    for role in stack.of_type("aws:iam/role:Role"):
        assert role.inputs["path"] == f"/cloudmetrics/{stack.environment}/", role.name


def test_service_roles_trust_their_service_only_for_this_account(stack: Snapshot) -> None:
    account = stack.named("aws").inputs["allowedAccountIds"]
    for role in stack.of_type("aws:iam/role:Role"):
        (statement,) = role.json("assumeRolePolicy")["Statement"]
        assert set(statement["Principal"]) == {"Service"}
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] in str(account)
