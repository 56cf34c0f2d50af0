"""The project's own rules, beyond Security Hub's controls."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, cast

from pulumi_policy import ResourceValidationArgs, StackValidationArgs

from cloudmetrics_policies.building import resource_policy, stack_policy
from cloudmetrics_policies.compute import TASK_DEFINITION, containers
from cloudmetrics_policies.edge import INGRESS_RULE, LOAD_BALANCER
from cloudmetrics_policies.reading import (
    depends_through,
    has,
    items,
    of_type,
    port_range,
    statements,
    world_open,
)

REQUIRED_TAGS = ("Project", "Environment", "Owner", "CostCentre", "ManagedBy")
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
# What a promotion reads from another account's repository (docs/adr/0046); none of them writes.
ECR_PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+")
# Every property that holds an IAM policy document (identity, resource and trust policies).
POLICY_DOCUMENTS = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/role:Role": "assumeRolePolicy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    REPOSITORY_POLICY: "policy",
    "aws:kms/key:Key": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "policyDocument",
}
SECRET_NAMES = re.compile(r"pass|secret|token|key|credential|auth", re.IGNORECASE)
SECRET_VALUES = re.compile(
    r"AKIA[0-9A-Z]{16}|arn:aws:secretsmanager:|-----BEGIN|://[^/@\s]+:[^/@\s]+@", re.IGNORECASE
)
PUBLIC_PORTS = (80, 443)
ROLE = "aws:iam/role:Role"
# The main program's project (the bootstrap's is cloudmetrics-bootstrap: its deploy roles are
# the ones that hand the boundary out and do not carry it).
ESTATE_PROJECT = "cloudmetrics"


def no_wildcard_actions(args: ResourceValidationArgs) -> Iterator[str]:
    for statement in statements(args.props.get(POLICY_DOCUMENTS[args.resource_type])):
        if statement.get("Effect") != "Allow":
            continue  # a Deny with wildcards only takes away
        if "NotAction" in statement:
            yield "an Allow statement uses NotAction"
        for action in items(statement.get("Action")):
            if "*" in action:
                yield f"an Allow statement grants the wildcard action {action!r}"


def repository_policy_grants_only_pulls(args: ResourceValidationArgs) -> Iterator[str]:
    """A repository policy lets named roles pull, and nobody anything more.

    Push, tag or delete rights from outside would let another account replace or remove the
    images an environment runs; a wildcard or account principal would let any of its roles pull.
    """
    pulls = {action.lower() for action in ECR_PULL_ACTIONS}
    for statement in statements(args.props.get("policy")):
        if statement.get("Effect") != "Allow":
            continue  # a Deny only takes away
        if "NotAction" in statement or "NotPrincipal" in statement:
            yield "an Allow statement uses NotAction or NotPrincipal"
        for action in items(statement.get("Action")):
            if str(action).lower() not in pulls:
                yield f"an Allow statement grants {action!r}; only {', '.join(ECR_PULL_ACTIONS)}"
        principal: object = statement.get("Principal")
        named: Mapping[str, Any] = (
            cast("Mapping[str, Any]", principal) if isinstance(principal, Mapping) else {}
        )
        roles = items(named.get("AWS"))
        if not roles or set(named) != {"AWS"}:
            yield f"an Allow statement grants to {principal!r}; name IAM roles by their ARN"
        for arn in roles:
            if not ROLE_ARN.fullmatch(str(arn)):
                yield f"an Allow statement grants to {arn!r}, which is not one IAM role's ARN"


def no_secret_in_task_environment(args: ResourceValidationArgs) -> Iterator[str]:
    for container in containers(args):
        for entry in items(container.get("environment")):
            name, value = str(entry.get("name", "")), str(entry.get("value", ""))
            if SECRET_NAMES.search(name) or SECRET_VALUES.search(value):
                yield (
                    f"container {container.get('name')!r} has {name} in its plain environment; "
                    "pass it as a secret (valueFrom)"
                )


def _object(value: object) -> Mapping[str, Any]:
    """An object property; provider configuration reaches the engine as a JSON string."""
    parsed = json.loads(value) if isinstance(value, str) else value
    return cast("Mapping[str, Any]", parsed) if isinstance(parsed, Mapping) else {}


def _tags(value: object) -> dict[str, str]:
    return {str(key): str(tag) for key, tag in _object(value).items()}


def tagged(args: ResourceValidationArgs) -> Iterator[str]:
    if not args.resource_type.startswith("aws:"):
        return
    if has(args.props, "tagsAll"):
        # What the provider computed: its default tags merged with the resource's own.
        effective = _tags(args.props.get("tagsAll"))
    else:
        # The provider's default tags land on every resource it manages; resources that cannot
        # carry tags are held to it too, so forgetting the tagged provider never goes unnoticed.
        provider: Mapping[str, Any] = args.provider.props if args.provider is not None else {}
        defaults = _object(provider.get("defaultTags"))
        effective = {**_tags(defaults.get("tags")), **_tags(args.props.get("tags"))}
    missing = [tag for tag in REQUIRED_TAGS if not effective.get(tag)]
    if missing:
        yield f"missing tags {', '.join(missing)} (give the resource the tagged AWS provider)"


def world_open_only_on_the_load_balancer(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    balancer_groups = {
        group.urn
        for balancer in of_type(args.resources, LOAD_BALANCER)
        for group in depends_through(balancer, "securityGroups")
    }
    for rule in of_type(args.resources, INGRESS_RULE):
        if not world_open(rule.props):
            continue
        groups = {group.urn for group in depends_through(rule, "securityGroupId")}
        low, high = port_range(rule.props)
        if not groups & balancer_groups or low != high or low not in PUBLIC_PORTS:
            yield "only the load balancer's group admits the world, on 80 and 443", rule.urn


def boundary_for(stack: str) -> re.Pattern[str]:
    """The permissions boundary the bootstrap makes for an environment (cloudmetrics_shared/
    role_boundary.py; the pack is self-contained, so the shape is repeated here)."""
    return re.compile(
        rf"arn:aws:iam::\d{{12}}:policy/cloudmetrics/{re.escape(stack)}/role-boundary"
    )


def role_carries_the_boundary(args: ResourceValidationArgs) -> Iterator[str]:
    stack, project = args.urn.removeprefix("urn:pulumi:").split("::")[:2]
    if project != ESTATE_PROJECT:
        return
    boundary = args.props.get("permissionsBoundary")
    if not isinstance(boundary, str) or not boundary_for(stack).fullmatch(boundary):
        yield (
            f"role must carry the environment's permissions boundary "
            f"(policy/cloudmetrics/{stack}/role-boundary), not {boundary!r}: the deploy role "
            "may create only such roles"
        )


POLICIES = [
    resource_policy(
        "no-wildcard-iam-actions",
        "No IAM policy document allows a wildcard action",
        POLICY_DOCUMENTS,
        no_wildcard_actions,
    ),
    resource_policy(
        "ecr-repository-policy-grants-only-pulls",
        "An ECR repository policy lets named IAM roles pull and grants nothing else to anyone",
        [REPOSITORY_POLICY],
        repository_policy_grants_only_pulls,
    ),
    resource_policy(
        "no-secret-in-task-environment",
        "Task definitions keep secrets out of the plain environment",
        [TASK_DEFINITION],
        no_secret_in_task_environment,
    ),
    resource_policy(
        "tags-on-every-resource",
        "Every AWS resource carries the project's five tags",
        lambda resource_type: resource_type.startswith("aws:"),
        tagged,
    ),
    resource_policy(
        "iam-roles-carry-the-boundary",
        "Every role the estate creates carries its environment's permissions boundary",
        [ROLE],
        role_carries_the_boundary,
    ),
    stack_policy(
        "world-open-only-on-the-load-balancer",
        "No security group admits the world except the load balancer's, on 80 and 443",
        world_open_only_on_the_load_balancer,
    ),
]
