"""The one-off migration task: same image and configuration as the service, inside the VPC.

The database is private, so migrations run where the service runs. The pipeline registers this
task definition with the new image (`pulumi up --target`), starts it with `aws ecs run-task` in
the private subnets with the service's security group (stack outputs), and deploys the service
only after it exits 0 (docs/adr/0031).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cloudmetrics_infra.containers import (
    DATABASE_ONLY,
    MIGRATE_COMMAND,
    ContainerInputs,
    definitions_json,
)
from cloudmetrics_infra.settings import StackSettings
from cloudmetrics_infra.task_definitions import fargate_task_definition


@dataclass(frozen=True)
class MigrationTaskArgs:
    settings: StackSettings
    container_inputs: pulumi.Output[ContainerInputs]
    execution_role_arn: pulumi.Input[str]
    task_role_arn: pulumi.Input[str]
    execution_policy: pulumi.Resource
    """The execution role's permissions: the pipeline runs this task right after `up`."""


class MigrationTask(pulumi.ComponentResource):
    task_definition: aws.ecs.TaskDefinition

    def __init__(
        self, name: str, args: MigrationTaskArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:MigrationTask", name, None, opts)
        self.task_definition = fargate_task_definition(
            f"{name}-task",
            family=f"{args.settings.name_prefix}-migrate",
            execution_role_arn=args.execution_role_arn,
            task_role_arn=args.task_role_arn,
            container_definitions=definitions_json(
                args.container_inputs,
                command=MIGRATE_COMMAND,
                stream_prefix="migrate",
                serves_http=False,
                credentials=DATABASE_ONLY,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.execution_policy]),
        )
        self.register_outputs({"taskDefinitionArn": self.task_definition.arn})
