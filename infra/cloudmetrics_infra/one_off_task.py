"""A one-off ECS task: one task definition the pipeline starts with `aws ecs run-task`.

The migration task and the smoke-key registration task differ only in their family and their
container definitions, so both are this one component. Each instance keeps the component type it
was first deployed under (`component_type`), so every URN stays exactly what it was: nothing is
renamed, aliased or replaced. A single shared type with aliases would rename the migration task
definition's URN, which the deploy names in `pulumi up --target` (ci/, docs/adr/0031): the first
targeted update after the rename would then depend on the engine resolving aliases of a parent
it was told not to touch.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cloudmetrics_infra.task_definitions import fargate_task_definition


@dataclass(frozen=True)
class OneOffTaskArgs:
    family: str
    container_definitions: pulumi.Input[str]
    execution_role_arn: pulumi.Input[str]
    task_role_arn: pulumi.Input[str]
    execution_policy: pulumi.Resource
    """The execution role's permissions: the pipeline runs the task right after `up`."""


class OneOffTask(pulumi.ComponentResource):
    task_definition: aws.ecs.TaskDefinition

    def __init__(
        self,
        component_type: str,
        name: str,
        args: OneOffTaskArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type, name, None, opts)
        self.task_definition = fargate_task_definition(
            f"{name}-task",
            family=args.family,
            execution_role_arn=args.execution_role_arn,
            task_role_arn=args.task_role_arn,
            container_definitions=args.container_definitions,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.execution_policy]),
        )
        self.register_outputs({"taskDefinitionArn": self.task_definition.arn})
