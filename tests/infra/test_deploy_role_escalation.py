"""The deploy role cannot make itself administrator, and a normal `pulumi up` still works.

The escalation this guards against: with PowerUserAccess plus role management on
role/cloudmetrics/<env>/*, create a role there, attach AdministratorAccess (or write an inline
`*` policy), assume it. Evaluated with the deploy role's real policies (the bootstrap's inline
policy and PowerUserAccess) and the environment's permissions boundary, as IAM evaluates them
(iam_evaluation.py, conditions included).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.iam_evaluation import Context, allowed, allowed_under_boundary
from tests.infra.mock_cloud import ENVIRONMENTS, Snapshot
from tests.infra.stack_builds import BOOTSTRAP_FILLED_IN
from tests.infra.test_bootstrap import deploy_statements
from tests.infra.test_registry_access import POWER_USER_ACCESS

ADMINISTRATOR = "arn:aws:iam::aws:policy/AdministratorAccess"
# AmazonRDSEnhancedMonitoringRole (AWS managed policy reference): what the monitoring role gets.
ENHANCED_MONITORING: list[dict[str, Any]] = [
    {
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:PutRetentionPolicy"],
        "Resource": ["arn:aws:logs:*:*:log-group:RDS*"],
    },
    {
        "Effect": "Allow",
        "Action": [
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:DescribeLogStreams",
            "logs:GetLogEvents",
        ],
        "Resource": ["arn:aws:logs:*:*:log-group:RDS*:log-stream:*"],
    },
]
# What a role that escaped would do first.
ADMINISTRATOR_ACTIONS = (
    ("iam:CreateUser", "arn:aws:iam::{account}:user/intruder"),
    ("iam:CreateAccessKey", "arn:aws:iam::{account}:user/intruder"),
    ("iam:AttachRolePolicy", "arn:aws:iam::{account}:role/cloudmetrics/{environment}/escape"),
    ("iam:PutRolePolicy", "arn:aws:iam::{account}:role/cloudmetrics/{environment}/escape"),
    (
        "iam:DeleteRolePermissionsBoundary",
        "arn:aws:iam::{account}:role/cloudmetrics/{environment}/escape",
    ),
    (
        "iam:CreatePolicyVersion",
        "arn:aws:iam::{account}:policy/cloudmetrics/{environment}/role-boundary",
    ),
    ("organizations:LeaveOrganization", "*"),
    ("s3:DeleteBucket", "arn:aws:s3:::cloudmetrics-state"),
    ("kms:ScheduleKeyDeletion", "arn:aws:kms:eu-west-1:{account}:key/any"),
    ("rds:DeleteDBInstance", "arn:aws:rds:eu-west-1:{account}:db:cloudmetrics-{environment}"),
)


def account_of(environment: str) -> str:
    return BOOTSTRAP_FILLED_IN[environment]["cloudmetrics-bootstrap:accountId"]


def deploy_role(snapshot: Snapshot, environment: str) -> list[dict[str, Any]]:
    (power_user,) = POWER_USER_ACCESS.values()
    return [*deploy_statements(snapshot, environment), *power_user]


def boundary(snapshot: Snapshot, environment: str) -> tuple[str, list[dict[str, Any]]]:
    policy = snapshot.named(f"github-{environment}-role-boundary")
    path, name = policy.inputs["path"], policy.inputs["name"]
    arn = f"arn:aws:iam::{account_of(environment)}:policy{path}{name}"
    return arn, policy.json("policy")["Statement"]


def new_role(environment: str) -> str:
    return f"arn:aws:iam::{account_of(environment)}:role/cloudmetrics/{environment}/escape"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_a_role_without_the_boundary_cannot_be_made(
    environment: str, bootstraps: dict[str, Snapshot]
) -> None:
    snapshot = bootstraps[environment]
    deployer = deploy_role(snapshot, environment)
    arn, _ = boundary(snapshot, environment)
    role = new_role(environment)
    # No boundary, or one the deploy picks (AdministratorAccess as the "boundary").
    assert not allowed(deployer, "iam:CreateRole", role, {})
    assert not allowed(deployer, "iam:CreateRole", role, {"iam:PermissionsBoundary": ADMINISTRATOR})
    # Nor an existing role's boundary taken away or swapped.
    assert not allowed(
        deployer, "iam:DeleteRolePermissionsBoundary", role, {"iam:PermissionsBoundary": arn}
    )
    assert not allowed(
        deployer, "iam:PutRolePermissionsBoundary", role, {"iam:PermissionsBoundary": ADMINISTRATOR}
    )
    # Nor the boundary itself rewritten or replaced.
    for action in ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"):
        assert not allowed(deployer, action, arn, {}), action
    assert not allowed(
        deployer,
        "iam:CreatePolicy",
        f"arn:aws:iam::{account_of(environment)}:policy/cloudmetrics/{environment}/open",
        {},
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_administrator_access_cannot_be_attached(
    environment: str, bootstraps: dict[str, Snapshot]
) -> None:
    snapshot = bootstraps[environment]
    deployer = deploy_role(snapshot, environment)
    arn, _ = boundary(snapshot, environment)
    bounded: Context = {"iam:PermissionsBoundary": arn}
    role = new_role(environment)
    assert allowed(deployer, "iam:CreateRole", role, bounded)
    assert not allowed(
        deployer, "iam:AttachRolePolicy", role, {**bounded, "iam:PolicyARN": ADMINISTRATOR}
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_a_bounded_role_with_an_inline_star_policy_is_no_administrator(
    environment: str, bootstraps: dict[str, Snapshot]
) -> None:
    """The deploy may write any inline policy on a bounded role; the boundary is its ceiling."""
    snapshot = bootstraps[environment]
    deployer = deploy_role(snapshot, environment)
    arn, ceiling = boundary(snapshot, environment)
    role = new_role(environment)
    assert allowed(deployer, "iam:PutRolePolicy", role, {"iam:PermissionsBoundary": arn})
    everything = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    account = account_of(environment)
    for action, resource in ADMINISTRATOR_ACTIONS:
        target = resource.format(account=account, environment=environment)
        assert not allowed_under_boundary(everything, ceiling, action, target, {}), action


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_a_normal_up_is_still_allowed(
    environment: str, bootstraps: dict[str, Snapshot], stacks: dict[str, Snapshot]
) -> None:
    """Every role, inline policy and attachment the stack declares, as the deploy role."""
    deployer = deploy_role(bootstraps[environment], environment)
    arn, _ = boundary(bootstraps[environment], environment)
    stack = stacks[environment]
    account = account_of(environment)
    roles = stack.of_type("aws:iam/role:Role")
    assert roles
    by_id = {role.id: role for role in roles} | {role.state.get("name"): role for role in roles}
    for role in roles:
        assert role.inputs["permissionsBoundary"] == arn, role.name
        role_arn = f"arn:aws:iam::{account}:role{role.inputs['path']}{role.state['name']}"
        carried: Context = {"iam:PermissionsBoundary": role.inputs["permissionsBoundary"]}
        for action in (
            "iam:CreateRole",
            "iam:TagRole",
            "iam:GetRole",
            "iam:PassRole",
            "iam:DeleteRole",
        ):
            assert allowed(deployer, action, role_arn, carried), (role.name, action)
    for policy in stack.of_type("aws:iam/rolePolicy:RolePolicy"):
        role = by_id[policy.inputs["role"]]
        role_arn = f"arn:aws:iam::{account}:role{role.inputs['path']}{role.state['name']}"
        assert allowed(deployer, "iam:PutRolePolicy", role_arn, {"iam:PermissionsBoundary": arn})
    for attachment in stack.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        role = by_id[attachment.inputs["role"]]
        role_arn = f"arn:aws:iam::{account}:role{role.inputs['path']}{role.state['name']}"
        context: Context = {
            "iam:PermissionsBoundary": arn,
            "iam:PolicyARN": attachment.inputs["policyArn"],
        }
        assert allowed(deployer, "iam:AttachRolePolicy", role_arn, context), attachment.name


def _own_context(statement: dict[str, Any]) -> Context:
    """The context in which a statement's own conditions hold (its first value of each key)."""
    context: dict[str, str] = {}
    for keys in statement.get("Condition", {}).values():
        for key, values in keys.items():
            context[key] = values[0] if isinstance(values, list) else values
    return context


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_role_keeps_what_it_needs_under_the_boundary(
    environment: str, bootstraps: dict[str, Snapshot], stacks: dict[str, Snapshot]
) -> None:
    _, ceiling = boundary(bootstraps[environment], environment)
    stack = stacks[environment]
    documents = [
        policy.json("policy")["Statement"]
        for policy in stack.of_type("aws:iam/rolePolicy:RolePolicy")
    ]
    attached = {
        a.inputs["policyArn"]
        for a in stack.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attached == {"arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"}
    documents.append(ENHANCED_MONITORING)
    for statements in documents:
        for statement in statements:
            if statement["Effect"] != "Allow":
                continue
            actions = (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
            resources = (
                statement["Resource"]
                if isinstance(statement["Resource"], list)
                else [statement["Resource"]]
            )
            for action in actions:
                for resource in resources:
                    assert allowed(ceiling, action, resource, _own_context(statement)), (
                        action,
                        resource,
                    )
