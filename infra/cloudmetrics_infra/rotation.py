"""Running tasks follow a rotated database password (docs/adr/0030).

ECS injects PGPASSWORD when a task starts; RDS rotates the managed password every 7 days, after
which the running tasks' new connections fail. When the rotation finishes (Secrets Manager moves
AWSCURRENT to the new version), an EventBridge rule starts a one-step Step Functions state
machine that calls ecs:UpdateService with forceNewDeployment: new tasks read the new password and
the rolling deployment (circuit breaker, /ready) replaces the old ones. No code of ours to run:
Step Functions calls the ECS API directly.

EventBridge sees these CloudTrail events only where the account has a trail logging management
events (docs/infrastructure.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from cloudmetrics_shared.iam import allow, document, service_trust_policy

from cloudmetrics_infra.settings import StackSettings

UPDATE_SERVICE = "arn:aws:states:::aws-sdk:ecs:updateService"


def rotation_event_pattern(secret_arn: str) -> str:
    """Rotation of this secret done: either Secrets Manager's own event or the final
    UpdateSecretVersionStage call that makes the new version current."""
    return json.dumps(
        {
            "source": ["aws.secretsmanager"],
            "detail-type": ["AWS Service Event via CloudTrail", "AWS API Call via CloudTrail"],
            "detail": {
                "eventName": ["RotationSucceeded", "UpdateSecretVersionStage"],
                "$or": [
                    {"additionalEventData": {"SecretId": [secret_arn]}},
                    {"requestParameters": {"secretId": [secret_arn]}},
                ],
            },
        }
    )


def restart_definition(cluster_name: str, service_name: str) -> str:
    """A state machine of one task: force a new deployment of the service, retried."""
    return json.dumps(
        {
            "Comment": "Roll the service so its tasks read the rotated database password",
            "StartAt": "ForceNewDeployment",
            "States": {
                "ForceNewDeployment": {
                    "Type": "Task",
                    "Resource": UPDATE_SERVICE,
                    "Parameters": {
                        "Cluster": cluster_name,
                        "Service": service_name,
                        "ForceNewDeployment": True,
                    },
                    "Retry": [
                        {
                            "ErrorEquals": ["States.ALL"],
                            "IntervalSeconds": 10,
                            "MaxAttempts": 5,
                            "BackoffRate": 2.0,
                        }
                    ],
                    "End": True,
                }
            },
        }
    )


@dataclass(frozen=True)
class RestartOnRotationArgs:
    settings: StackSettings
    secret_arn: pulumi.Input[str]
    cluster_name: str
    service_name: str


class RestartOnRotation(pulumi.ComponentResource):
    state_machine: aws.sfn.StateMachine

    def __init__(
        self, name: str, args: RestartOnRotationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:RestartOnRotation", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        service_arn = (
            f"arn:aws:ecs:{settings.region}:{settings.account_id}:service/"
            f"{args.cluster_name}/{args.service_name}"
        )
        machine_role = aws.iam.Role(
            f"{name}-machine-role",
            path=settings.iam_path,
            permissions_boundary=settings.role_boundary_arn,
            assume_role_policy=service_trust_policy("states.amazonaws.com", settings.account_id),
            opts=child,
        )
        machine_policy = aws.iam.RolePolicy(
            f"{name}-machine-policy",
            role=machine_role.id,
            policy=document([allow(["ecs:UpdateService"], [service_arn])]),
            opts=child,
        )
        self.state_machine = aws.sfn.StateMachine(
            f"{name}-machine",
            name=f"{settings.name_prefix}-restart-on-rotation",
            role_arn=machine_role.arn,
            definition=restart_definition(args.cluster_name, args.service_name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[machine_policy]),
        )
        events_role = aws.iam.Role(
            f"{name}-events-role",
            path=settings.iam_path,
            permissions_boundary=settings.role_boundary_arn,
            assume_role_policy=service_trust_policy("events.amazonaws.com", settings.account_id),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-events-policy",
            role=events_role.id,
            policy=self.state_machine.arn.apply(
                lambda arn: document([allow(["states:StartExecution"], [arn])])
            ),
            opts=child,
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-rule",
            name=f"{settings.name_prefix}-database-password-rotated",
            description="The RDS-managed password rotated: roll the service",
            event_pattern=pulumi.Output.from_input(args.secret_arn).apply(rotation_event_pattern),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-target",
            rule=rule.name,
            arn=self.state_machine.arn,
            role_arn=events_role.arn,
            opts=child,
        )
        self.register_outputs({"stateMachineArn": self.state_machine.arn})
