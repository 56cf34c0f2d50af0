"""Helpers that read a stack snapshot the way a reviewer would: policies, containers, rules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

from tests.infra.mock_cloud import Resource, Snapshot

POLICY_INPUTS = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
}
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"


def as_list(value: Any) -> list[Any]:
    return cast("list[Any]", value) if isinstance(value, list) else [value]


def policy_statements(snapshot: Snapshot) -> Iterator[tuple[Resource, dict[str, Any]]]:
    """Every statement of every permission policy the stack declares."""
    for resource in snapshot.resources:
        key = POLICY_INPUTS.get(resource.type)
        if key is not None:
            for statement in resource.json(key)["Statement"]:
                yield resource, statement


def allow_statements(snapshot: Snapshot) -> Iterator[tuple[Resource, dict[str, Any]]]:
    for resource, statement in policy_statements(snapshot):
        if statement["Effect"] == "Allow":
            yield resource, statement


def role_policy(snapshot: Snapshot, role_name: str) -> list[dict[str, Any]]:
    """Statements of the inline policies attached to the role with this logical name."""
    role = snapshot.named(role_name)
    return [
        statement
        for policy in snapshot.of_type("aws:iam/rolePolicy:RolePolicy")
        if policy.inputs["role"] == role.id
        for statement in policy.json("policy")["Statement"]
    ]


def container(task_definition: Resource, name: str = "cloudmetrics") -> dict[str, Any]:
    """The task definition's container of that name (the command's; the migration task also
    has the database roles' step)."""
    definitions = task_definition.json("containerDefinitions")
    found = [definition for definition in definitions if definition["name"] == name]
    assert len(found) == 1, [definition["name"] for definition in definitions]
    return found[0]


def roles_container(snapshot: Snapshot) -> dict[str, Any]:
    return container(snapshot.named("migrations-task"), "database-roles")


def web_container(snapshot: Snapshot) -> dict[str, Any]:
    return container(snapshot.named("web-task"))


def migration_container(snapshot: Snapshot) -> dict[str, Any]:
    return container(snapshot.named("migrations-task"))


# The task definitions of the commands that talk to the database alone.
ONE_OFF_TASKS = ("migrations-task", "maintenance-task", "smoke-key-registration-task")
CREDENTIALS = frozenset(
    {
        "PGUSER",
        "PGPASSWORD",
        "REDIS_PASSWORD",
        "SESSION_SECRET",
        "DATABASE_OWNER_PASSWORD",
        "DATABASE_SERVICE_PASSWORD",
    }
)
DATABASE_LOGIN = frozenset({"PGUSER", "PGPASSWORD"})


def database_login(definition: dict[str, Any]) -> str:
    """The secret a container's PGUSER and PGPASSWORD come from (one secret for both)."""
    secrets = injected(definition)
    user, password = secrets["PGUSER"], secrets["PGPASSWORD"]
    assert user.endswith(":username::")
    assert password.endswith(":password::")
    assert user.removesuffix(":username::") == password.removesuffix(":password::")
    return password.removesuffix(":password::")


def role_secret(snapshot: Snapshot, role: str) -> str:
    """The ARN of a database role's secret ("owner" or "service")."""
    return snapshot.named(f"database-roles-{role}-secret").state["arn"]


def injected(container_definition: dict[str, Any]) -> dict[str, str]:
    """What the container's `secrets` inject: variable name to valueFrom."""
    return {entry["name"]: entry["valueFrom"] for entry in container_definition["secrets"]}


def configuration(container_definition: dict[str, Any]) -> dict[str, str]:
    """The injected settings that are not credentials: those from SSM parameters."""
    return {
        name: value
        for name, value in injected(container_definition).items()
        if value.split(":")[2] == "ssm"
    }


def rules(snapshot: Snapshot, type_: str, group: Resource) -> list[Resource]:
    return [rule for rule in snapshot.of_type(type_) if rule.inputs["securityGroupId"] == group.id]


def ports(rule: Resource) -> tuple[int, int]:
    return int(rule.inputs["fromPort"]), int(rule.inputs["toPort"])


def config_parameter(snapshot: Snapshot, variable: str) -> Resource:
    found = [
        parameter
        for parameter in snapshot.of_type("aws:ssm/parameter:Parameter")
        if parameter.inputs["name"].endswith(f"/{variable}")
    ]
    assert len(found) == 1, variable
    return found[0]


def parsed(value: Any) -> Any:
    """A JSON document inside a string input, parsed; anything else unchanged."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def sources(stack: Snapshot, group: str) -> set[tuple[str, int]]:
    """(peer group id or CIDR, port) of every ingress rule of the named security group."""
    return {
        (rule.inputs.get("referencedSecurityGroupId") or rule.inputs["cidrIpv4"], ports(rule)[0])
        for rule in rules(stack, INGRESS, stack.named(group))
    }


def destinations(stack: Snapshot, group: str) -> set[tuple[str, int]]:
    """(peer group id or CIDR, port) of every egress rule of the named security group."""
    return {
        (rule.inputs.get("referencedSecurityGroupId") or rule.inputs["cidrIpv4"], ports(rule)[0])
        for rule in rules(stack, EGRESS, stack.named(group))
    }
