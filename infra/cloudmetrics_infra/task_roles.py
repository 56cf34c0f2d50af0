"""The two roles of every task, each allowed exactly what it needs.

The execution role is what ECS itself uses to start a task: pull this environment's image, read
this environment's parameters and the secrets its tasks reference (the database's, the Redis
token, the CSRF signing key, and the smoke key that only the registration task gets), write to
this environment's log group.
The task role is what the running service may call: CloudMetrics calls no AWS API, so it grants
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from cloudmetrics_shared.iam import allow, document, service_trust_policy

# The one ECR action that has no resource-level permissions: AWS requires "*" here.
ECR_AUTHORIZATION_ACTION = "ecr:GetAuthorizationToken"


@dataclass(frozen=True)
class TaskRolesArgs:
    account_id: str
    iam_path: str
    permissions_boundary: str
    repository_arn: pulumi.Input[str]
    log_group_arn: pulumi.Input[str]
    parameter_arns: Mapping[str, pulumi.Input[str]]
    database_secret_arn: pulumi.Input[str]
    cache_secret_arn: pulumi.Input[str]
    session_secret_arn: pulumi.Input[str]
    smoke_key_secret_arn: pulumi.Input[str]


def execution_policy(
    repository_arn: str,
    log_group_arn: str,
    parameter_arns: list[str],
    secret_arns: list[str],
) -> str:
    return document(
        [
            allow([ECR_AUTHORIZATION_ACTION], ["*"]),
            allow(
                [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                [repository_arn],
            ),
            allow(["logs:CreateLogStream", "logs:PutLogEvents"], [f"{log_group_arn}:*"]),
            allow(["ssm:GetParameters"], sorted(parameter_arns)),
            allow(["secretsmanager:GetSecretValue"], sorted(secret_arns)),
        ]
    )


class TaskRoles(pulumi.ComponentResource):
    execution_role: aws.iam.Role
    execution_policy: aws.iam.RolePolicy
    """Tasks must not start before it exists: ECS would fail to pull or read secrets."""
    task_role: aws.iam.Role

    def __init__(
        self, name: str, args: TaskRolesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:TaskRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        trust = service_trust_policy("ecs-tasks.amazonaws.com", args.account_id)

        self.execution_role = aws.iam.Role(
            f"{name}-execution",
            path=args.iam_path,
            permissions_boundary=args.permissions_boundary,
            assume_role_policy=trust,
            opts=child,
        )
        parameters = pulumi.Output.all(*args.parameter_arns.values())
        self.execution_policy = aws.iam.RolePolicy(
            f"{name}-execution-policy",
            role=self.execution_role.id,
            policy=pulumi.Output.all(
                args.repository_arn,
                args.log_group_arn,
                parameters,
                args.database_secret_arn,
                args.cache_secret_arn,
                args.session_secret_arn,
                args.smoke_key_secret_arn,
            ).apply(_execution_policy_from),
            opts=child,
        )
        self.task_role = aws.iam.Role(
            f"{name}-task",
            path=args.iam_path,
            permissions_boundary=args.permissions_boundary,
            assume_role_policy=trust,
            opts=child,
        )
        self.register_outputs(
            {"executionRoleArn": self.execution_role.arn, "taskRoleArn": self.task_role.arn}
        )


def _execution_policy_from(values: list[Any]) -> str:
    repository_arn, log_group_arn, parameter_arns, *secret_arns = values
    return execution_policy(repository_arn, log_group_arn, list(parameter_arns), secret_arns)
