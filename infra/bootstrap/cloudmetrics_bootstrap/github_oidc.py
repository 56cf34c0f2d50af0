"""GitHub Actions' OIDC identity provider and one deploy role per environment.

A role trusts a token only if it was issued for this repository *and* for a job running in the
matching GitHub environment (sub = repo:<owner>/<name>:environment:<env>). GitHub environments
carry the approval rules, so a prod deploy needs whatever approval prod's environment demands,
and a workflow on a fork or another branch outside that environment cannot assume the role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from cloudmetrics_shared.environments import (
    SMOKE_KEY_SECRET,
    deploy_role_name,
    secret_name_prefix,
)
from cloudmetrics_shared.iam import allow, document
from cloudmetrics_shared.role_boundary import (
    ATTACHABLE_POLICIES,
    BOUNDARY_CHANGES,
    BOUNDARY_NAME,
    BOUNDARY_REMOVAL,
    boundary_arn,
    boundary_document,
    roles_arn,
)

from cloudmetrics_bootstrap.settings import MAIN_PROJECT, PROJECT, BootstrapSettings

OIDC_ISSUER = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
# Everything outside IAM, Organizations and account management; IAM is granted below, scoped
# to the roles of the deploying environment.
POWER_USER_POLICY = "arn:aws:iam::aws:policy/PowerUserAccess"
SERVICE_LINKED_ROLE_SERVICES = (
    "ecs.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "rds.amazonaws.com",
    "elasticache.amazonaws.com",
    "ecs.application-autoscaling.amazonaws.com",
)
# On the environment's roles, what cannot raise a role's permissions: reading, tagging,
# removing, deleting, and passing them (the roles all carry the boundary).
ROLE_MANAGEMENT_ACTIONS = (
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListRolePolicies",
    "iam:PassRole",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
)
# What grants a role permissions: only to a role that carries the boundary (for CreateRole and
# PutRolePermissionsBoundary, the boundary the request sets; for the others, the role's own).
BOUNDED_ROLE_ACTIONS = ("iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy")
# The deploy reads the boundary (Pulumi refreshes nothing of it, but a plan may show it).
BOUNDARY_READS = ("iam:GetPolicy", "iam:GetPolicyVersion")


def github_subject(repository: str, environment: str) -> str:
    return f"repo:{repository}:environment:{environment}"


def trust_policy(provider_arn: str, repository: str, environment: str) -> str:
    return document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{OIDC_ISSUER}:aud": AUDIENCE,
                        f"{OIDC_ISSUER}:sub": github_subject(repository, environment),
                    }
                },
            }
        ]
    )


def state_objects(bucket_arn: str, project: str, stack: str) -> list[str]:
    """Every object Pulumi's DIY backend keeps for one stack (project-scoped layout, meta.yaml v1).

    Checkpoint (and its .bak / .gz siblings), update history and backups are stored per project
    and stack; locks under the stack's fully qualified name, organization/<project>/<stack>.
    `stack` may be "*" for every stack of the project.
    """
    pulumi_dir = f"{bucket_arn}/.pulumi"
    checkpoint = f"{stack}.json*" if stack != "*" else "*"
    return [
        f"{pulumi_dir}/stacks/{project}/{checkpoint}",
        f"{pulumi_dir}/history/{project}/{stack}/*",
        f"{pulumi_dir}/backups/{project}/{stack}/*",
        f"{pulumi_dir}/locks/organization/{project}/{stack}/*",
    ]


def secret_arn_pattern(settings: BootstrapSettings, environment: str, name: str) -> str:
    """ARNs of a secret the environment's stack makes (AWS appends "-" and six characters)."""
    return (
        f"arn:aws:secretsmanager:{settings.region}:{settings.account_id}:secret:"
        f"{secret_name_prefix(environment)}{name}"
    )


def secret_statements(settings: BootstrapSettings, environment: str) -> list[dict[str, Any]]:
    """The deploy reads one secret itself: the smoke key. PowerUserAccess would let it read every
    secret of the account, so the Deny keeps it to the secrets its own stack makes (Pulumi reads
    those when it writes them, and the stack's state holds their values anyway): never the
    database's RDS-managed secret, never another environment's."""
    read = ["secretsmanager:GetSecretValue"]
    return [
        allow(read, [secret_arn_pattern(settings, environment, f"{SMOKE_KEY_SECRET}-??????")]),
        {
            "Effect": "Deny",
            "Action": read,
            "NotResource": [secret_arn_pattern(settings, environment, "*")],
        },
    ]


def role_statements(account: str, environment: str) -> list[dict[str, Any]]:
    """IAM for the environment's roles: none without the boundary, no policy but our own inline
    ones and the named AWS managed policies, never the boundary's removal or change."""
    roles = [roles_arn(account, environment)]
    boundary = boundary_arn(account, environment)
    carries_boundary = {"iam:PermissionsBoundary": boundary}
    return [
        allow(ROLE_MANAGEMENT_ACTIONS, roles),
        {
            **allow(BOUNDED_ROLE_ACTIONS, roles),
            "Condition": {"StringEquals": carries_boundary},
        },
        {
            **allow(["iam:AttachRolePolicy"], roles),
            "Condition": {
                "StringEquals": carries_boundary,
                "ArnEquals": {"iam:PolicyARN": list(ATTACHABLE_POLICIES)},
            },
        },
        allow(BOUNDARY_READS, [boundary]),
        {"Effect": "Deny", "Action": list(BOUNDARY_REMOVAL), "Resource": roles},
        {"Effect": "Deny", "Action": list(BOUNDARY_CHANGES), "Resource": [boundary]},
    ]


def deploy_policy(
    settings: BootstrapSettings, environment: str, bucket_arn: str, key_arns: dict[str, str]
) -> str:
    account = settings.account_id
    others = sorted(other for other in key_arns if other != environment)
    state_actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    key_actions = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    statements: list[dict[str, Any]] = [
        allow(["s3:ListBucket", "s3:GetBucketLocation"], [bucket_arn]),
        allow(["s3:GetObject"], [f"{bucket_arn}/.pulumi/meta.yaml"]),
        allow(state_actions, state_objects(bucket_arn, MAIN_PROJECT, environment)),
        allow(key_actions, [key_arns[environment]]),
        *role_statements(account, environment),
        {
            **allow(
                ["iam:CreateServiceLinkedRole"],
                [f"arn:aws:iam::{account}:role/aws-service-role/*"],
            ),
            "Condition": {
                "StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED_ROLE_SERVICES)}
            },
        },
    ]
    # PowerUserAccess (attached as well) allows every S3 and KMS action: deny this role the
    # state of the account's other environments, their keys, and the bootstrap's own state.
    denied_state = [
        *(path for other in others for path in state_objects(bucket_arn, MAIN_PROJECT, other)),
        *state_objects(bucket_arn, PROJECT, "*"),
    ]
    statements.append({"Effect": "Deny", "Action": state_actions, "Resource": denied_state})
    statements += secret_statements(settings, environment)
    if others:
        statements.append(
            {
                "Effect": "Deny",
                "Action": key_actions,
                "Resource": [key_arns[other] for other in others],
            }
        )
    return document(statements)


@dataclass(frozen=True)
class GitHubDeployRolesArgs:
    settings: BootstrapSettings
    state_bucket_arn: pulumi.Input[str]
    secrets_key_arns: dict[str, pulumi.Output[str]]


class GitHubDeployRoles(pulumi.ComponentResource):
    provider: aws.iam.OpenIdConnectProvider
    role_arns: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: GitHubDeployRolesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:bootstrap:GitHubDeployRoles", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self.provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=f"https://{OIDC_ISSUER}",
            client_id_lists=[AUDIENCE],
            opts=child,
        )
        self.role_arns = {}
        key_arns = pulumi.Output.all(**args.secrets_key_arns)
        for environment in settings.environments:
            role = aws.iam.Role(
                f"{name}-{environment}",
                name=deploy_role_name(environment),
                description=f"GitHub Actions deploys of the {environment} environment",
                max_session_duration=3600,
                assume_role_policy=self.provider.arn.apply(
                    lambda arn, env=environment: trust_policy(arn, settings.github_repository, env)
                ),
                opts=child,
            )
            aws.iam.RolePolicy(
                f"{name}-{environment}-deploy",
                role=role.id,
                policy=pulumi.Output.all(args.state_bucket_arn, key_arns).apply(
                    lambda values, env=environment: deploy_policy(
                        settings, env, values[0], values[1]
                    )
                ),
                opts=child,
            )
            # The ceiling of every role this environment's stack creates; made here, by an
            # administrator, so the deploy role never needs to write a managed policy.
            aws.iam.Policy(
                f"{name}-{environment}-role-boundary",
                name=BOUNDARY_NAME,
                path=BootstrapSettings.iam_path(environment),
                description=f"Permissions boundary of every role of the {environment} stack",
                policy=boundary_document(settings.account_id, environment),
                opts=child,
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-{environment}-power-user",
                role=role.name,
                policy_arn=POWER_USER_POLICY,
                opts=child,
            )
            self.role_arns[environment] = role.arn
        self.register_outputs({"oidcProviderArn": self.provider.arn, "roleArns": self.role_arns})
