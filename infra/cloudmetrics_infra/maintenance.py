"""The scheduled storage maintenance: `cloudmetrics maintain` every hour, inside the VPC.

It creates the time partitions ingest will need and drops those past retention (docs/adr/0014).
EventBridge starts the task on a schedule, on the service's cluster, in the private subnets with
the service's security group (which reaches the database), from the same image and configuration
as the service. Prestart runs the same command at every deploy; this task keeps it running
between deploys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from cloudmetrics_shared.iam import allow, document, service_trust_policy

from cloudmetrics_infra.containers import DATABASE_ONLY, ContainerInputs, definitions_json
from cloudmetrics_infra.settings import StackSettings
from cloudmetrics_infra.task_definitions import fargate_task_definition

MAINTAIN_COMMAND = ("cloudmetrics", "maintain")
# Hourly: a run does nothing most hours, and a missed one costs nothing (partitions are made a
# week ahead). Retention lands within the hour after a partition expires.
MAINTENANCE_SCHEDULE = "rate(1 hour)"


@dataclass(frozen=True)
class MaintenanceTaskArgs:
    settings: StackSettings
    container_inputs: pulumi.Output[ContainerInputs]
    execution_role_arn: pulumi.Input[str]
    task_role_arn: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    security_group_id: pulumi.Input[str]


def scheduler_policy(
    task_definition_arn: str, cluster_arn: str, execution_role_arn: str, task_role_arn: str
) -> str:
    """EventBridge may run this one task definition, on this one cluster, and hand ECS the two
    roles that task needs: nothing else."""
    run_task = allow(["ecs:RunTask"], [task_definition_arn])
    run_task["Condition"] = {"ArnEquals": {"ecs:cluster": cluster_arn}}
    pass_roles = allow(["iam:PassRole"], [execution_role_arn, task_role_arn])
    pass_roles["Condition"] = {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    return document([run_task, pass_roles])


class MaintenanceTask(pulumi.ComponentResource):
    task_definition: aws.ecs.TaskDefinition
    schedule: aws.cloudwatch.EventRule
    scheduler_role: aws.iam.Role

    def __init__(
        self, name: str, args: MaintenanceTaskArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:MaintenanceTask", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        self.task_definition = fargate_task_definition(
            f"{name}-task",
            family=f"{settings.name_prefix}-maintain",
            execution_role_arn=args.execution_role_arn,
            task_role_arn=args.task_role_arn,
            container_definitions=definitions_json(
                args.container_inputs,
                command=MAINTAIN_COMMAND,
                stream_prefix="maintain",
                serves_http=False,
                credentials=DATABASE_ONLY,
            ),
            opts=child,
        )
        self.scheduler_role = aws.iam.Role(
            f"{name}-scheduler",
            path=settings.iam_path,
            permissions_boundary=settings.role_boundary_arn,
            assume_role_policy=service_trust_policy("events.amazonaws.com", settings.account_id),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-scheduler-policy",
            role=self.scheduler_role.id,
            policy=pulumi.Output.all(
                self.task_definition.arn,
                args.cluster_arn,
                args.execution_role_arn,
                args.task_role_arn,
            ).apply(_scheduler_policy_from),
            opts=child,
        )
        self.schedule = aws.cloudwatch.EventRule(
            f"{name}-schedule",
            name=f"{settings.name_prefix}-maintain",
            description="Storage maintenance: partitions ahead, retention (cloudmetrics maintain)",
            schedule_expression=MAINTENANCE_SCHEDULE,
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-target",
            rule=self.schedule.name,
            arn=args.cluster_arn,
            role_arn=self.scheduler_role.arn,
            ecs_target={
                "task_definition_arn": self.task_definition.arn,
                "task_count": 1,
                "launch_type": "FARGATE",
                "platform_version": "LATEST",
                "network_configuration": {
                    "subnets": args.subnet_ids,
                    "security_groups": [args.security_group_id],
                    "assign_public_ip": False,
                },
            },
            opts=child,
        )
        self.register_outputs(
            {
                "taskDefinitionArn": self.task_definition.arn,
                "scheduleRuleName": self.schedule.name,
            }
        )


def _scheduler_policy_from(values: list[Any]) -> str:
    task_definition_arn, cluster_arn, execution_role_arn, task_role_arn = values
    return scheduler_policy(task_definition_arn, cluster_arn, execution_role_arn, task_role_arn)
