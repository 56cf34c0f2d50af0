"""Security Hub FSBP controls of images, tasks and permissions: ECR, ECS, IAM."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs, StackValidationArgs

from cloudmetrics_policies.building import fsbp, resource_policy, stack_policy
from cloudmetrics_policies.reading import (
    depends_through,
    document,
    items,
    of_type,
    section,
    statements,
)

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
CLUSTER = "aws:ecs/cluster:Cluster"
SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
IDENTITY_POLICIES = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}
CREDENTIAL_VARIABLES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA"}


def containers(args: ResourceValidationArgs) -> list[dict[str, Any]]:
    return list(items(document(args.props.get("containerDefinitions", "[]"))))


def ecr_1(args: ResourceValidationArgs) -> Iterator[str]:
    if section(args.props, "imageScanningConfiguration").get("scanOnPush") is not True:
        yield "repository must scan images on push"


def ecr_2(args: ResourceValidationArgs) -> Iterator[str]:
    if args.props.get("imageTagMutability") != "IMMUTABLE":
        yield "repository tags must be immutable"


def ecr_3(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    governed = {
        repository.urn
        for policy in of_type(args.resources, LIFECYCLE_POLICY)
        for repository in depends_through(policy, "repository")
    }
    for repository in of_type(args.resources, REPOSITORY):
        if repository.urn not in governed:
            yield "repository has no lifecycle policy", repository.urn


def ecs_2(args: ResourceValidationArgs) -> Iterator[str]:
    if section(args.props, "networkConfiguration").get("assignPublicIp") is True:
        yield "service tasks must not get public IP addresses"


def ecs_3(args: ResourceValidationArgs) -> Iterator[str]:
    if args.props.get("pidMode") == "host":
        yield "task must not share the host's process namespace"


def ecs_4(args: ResourceValidationArgs) -> Iterator[str]:
    for container in containers(args):
        if container.get("privileged") is True:
            yield f"container {container.get('name')!r} must not be privileged"


def ecs_5(args: ResourceValidationArgs) -> Iterator[str]:
    for container in containers(args):
        if container.get("readonlyRootFilesystem") is not True:
            yield f"container {container.get('name')!r} needs a read-only root filesystem"


def ecs_8(args: ResourceValidationArgs) -> Iterator[str]:
    for container in containers(args):
        for entry in items(container.get("environment")):
            if entry.get("name") in CREDENTIAL_VARIABLES:
                yield f"container {container.get('name')!r} has {entry['name']} in its environment"


def ecs_9(args: ResourceValidationArgs) -> Iterator[str]:
    for container in containers(args):
        if not section(container, "logConfiguration").get("logDriver"):
            yield f"container {container.get('name')!r} has no logging configuration"


def ecs_10(args: ResourceValidationArgs) -> Iterator[str]:
    if args.props.get("launchType") == "FARGATE" and (
        args.props.get("platformVersion", "LATEST") != "LATEST"
    ):
        yield "Fargate services must run the LATEST platform version"


def ecs_12(args: ResourceValidationArgs) -> Iterator[str]:
    insights = {
        entry.get("value")
        for entry in items(args.props.get("settings"))
        if entry.get("name") == "containerInsights"
    }
    if not insights & {"enabled", "enhanced"}:
        yield "cluster must have Container Insights enabled"


def ecs_17(args: ResourceValidationArgs) -> Iterator[str]:
    if args.props.get("networkMode") == "host":
        yield "task must not use host networking"


def ecs_20(args: ResourceValidationArgs) -> Iterator[str]:
    for container in containers(args):
        user = str(container.get("user") or "").split(":")[0]
        if user in ("", "0", "root"):
            yield f"container {container.get('name')!r} must run as a non-root user"


def _identity_statements(args: ResourceValidationArgs) -> list[dict[str, Any]]:
    key = IDENTITY_POLICIES[args.resource_type]
    return [s for s in statements(args.props.get(key)) if s.get("Effect") == "Allow"]


def iam_1(args: ResourceValidationArgs) -> Iterator[str]:
    for statement in _identity_statements(args):
        if "*" in items(statement.get("Action")) and "*" in items(statement.get("Resource")):
            yield "policy grants full administrative privileges (* on *)"


def iam_21(args: ResourceValidationArgs) -> Iterator[str]:
    for statement in _identity_statements(args):
        if "NotAction" in statement:
            yield "policy allows by NotAction"
        for action in items(statement.get("Action")):
            if action.endswith(":*") or action == "*":
                yield f"policy grants every action of a service ({action})"


POLICIES = [
    resource_policy(fsbp("ECR.1"), "Repositories scan images on push", [REPOSITORY], ecr_1),
    resource_policy(fsbp("ECR.2"), "Repository tags are immutable", [REPOSITORY], ecr_2),
    stack_policy(fsbp("ECR.3"), "Repositories have a lifecycle policy", ecr_3),
    resource_policy(fsbp("ECS.2"), "Services assign no public IP addresses", [SERVICE], ecs_2),
    resource_policy(
        fsbp("ECS.3"), "Tasks do not share the host's process namespace", [TASK_DEFINITION], ecs_3
    ),
    resource_policy(fsbp("ECS.4"), "Containers are not privileged", [TASK_DEFINITION], ecs_4),
    resource_policy(
        fsbp("ECS.5"), "Containers have read-only root filesystems", [TASK_DEFINITION], ecs_5
    ),
    resource_policy(
        fsbp("ECS.8"), "No credentials in container environments", [TASK_DEFINITION], ecs_8
    ),
    resource_policy(fsbp("ECS.9"), "Containers log", [TASK_DEFINITION], ecs_9),
    resource_policy(fsbp("ECS.10"), "Fargate services run the latest platform", [SERVICE], ecs_10),
    resource_policy(fsbp("ECS.12"), "Clusters use Container Insights", [CLUSTER], ecs_12),
    resource_policy(fsbp("ECS.17"), "Tasks do not use host networking", [TASK_DEFINITION], ecs_17),
    resource_policy(fsbp("ECS.20"), "Containers run as non-root users", [TASK_DEFINITION], ecs_20),
    resource_policy(
        fsbp("IAM.1"), "No policy grants full administrative privileges", IDENTITY_POLICIES, iam_1
    ),
    resource_policy(
        fsbp("IAM.21"), "No policy grants every action of a service", IDENTITY_POLICIES, iam_21
    ),
]
