"""The permissions boundary every role an environment's stack creates must carry.

The deploy role may create roles, and write or attach their policies, under the environment's
IAM path; without a ceiling it could create a role there, attach AdministratorAccess and assume
it. The bootstrap (run by an administrator) creates this managed policy once per environment;
the deploy role may then create, change or attach policies only to roles that carry it (the
`iam:PermissionsBoundary` condition), and nothing under it can change IAM, its own boundary
included. A role's effective permissions are what both its own policies and the boundary allow.
"""

from __future__ import annotations

from cloudmetrics_shared.environments import iam_path
from cloudmetrics_shared.iam import allow, document

BOUNDARY_NAME = "role-boundary"

# Everything the estate's roles do (their inline policies and the AWS managed policies attached
# to them), and nothing else: a role needing a new action needs it here too (the bootstrap).
# tests/infra/test_deploy_role_escalation.py checks every role's grants fit under it.
ALLOWED_ACTIONS = (
    # ECS pulling the image, reading parameters and secrets, writing logs (execution role).
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetAuthorizationToken",
    "ecr:GetDownloadUrlForLayer",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameters",
    # VPC flow logs, RDS enhanced monitoring (AmazonRDSEnhancedMonitoringRole) and task logs.
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:GetLogEvents",
    "logs:PutLogEvents",
    "logs:PutRetentionPolicy",
    # The maintenance schedule, and the restart after a secret's rotation.
    "ecs:RunTask",
    "ecs:UpdateService",
    "states:StartExecution",
)
# Writing IAM at all, from under the boundary: no role the estate creates changes a role, a
# policy or its own boundary, or makes users or keys.
IAM_WRITES = (
    "iam:Add*",
    "iam:Attach*",
    "iam:Create*",
    "iam:Delete*",
    "iam:Detach*",
    "iam:Put*",
    "iam:Remove*",
    "iam:Set*",
    "iam:Tag*",
    "iam:Untag*",
    "iam:Update*",
    "iam:Upload*",
)
# What changes or removes a boundary: denied to the deploy role too (which does not carry it).
BOUNDARY_CHANGES = (
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:TagPolicy",
    "iam:UntagPolicy",
)
BOUNDARY_REMOVAL = ("iam:DeleteRolePermissionsBoundary",)
# The only AWS managed policies the deploy role may attach to a role (`iam:PolicyARN`).
ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
ATTACHABLE_POLICIES = (ENHANCED_MONITORING_POLICY,)


def boundary_arn(account_id: str, environment: str) -> str:
    return f"arn:aws:iam::{account_id}:policy{iam_path(environment)}{BOUNDARY_NAME}"


def roles_arn(account_id: str, environment: str) -> str:
    """Every role the environment's stack creates."""
    return f"arn:aws:iam::{account_id}:role{iam_path(environment)}*"


def boundary_document(account_id: str, environment: str) -> str:
    return document(
        [
            allow(ALLOWED_ACTIONS, ["*"]),
            # The scheduler hands the task roles to ECS; only this environment's, only to ECS.
            {
                **allow(["iam:PassRole"], [roles_arn(account_id, environment)]),
                "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            },
            {"Sid": "NoIamWrites", "Effect": "Deny", "Action": list(IAM_WRITES), "Resource": "*"},
        ]
    )
