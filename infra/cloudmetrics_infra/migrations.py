"""The one-off migration task: same image and configuration as the service, inside the VPC.

The database is private, so migrations run where the service runs. Two containers: the first,
as the RDS master user, ensures the database's roles (`cloudmetrics roles ensure`); the second
starts only once that succeeded and migrates as the owner role (docs/adr/0058). Each gets only
its own credentials. The pipeline registers this
task definition with the new image (`pulumi up --target`), starts it with `aws ecs run-task` in
the private subnets with the service's security group (stack outputs), and deploys the service
only after it exits 0 (docs/adr/0031).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi

from cloudmetrics_infra.containers import (
    MIGRATE_COMMAND,
    OWNER_DATABASE_ONLY,
    ROLES_COMMAND,
    ROLES_CONTAINER_NAME,
    ROLES_STEP,
    ContainerInputs,
    container_definition,
)
from cloudmetrics_infra.one_off_task import OneOffTask, OneOffTaskArgs
from cloudmetrics_infra.settings import StackSettings

# The type it was first deployed under: the pipeline's `--target` URN contains it (ci/).
MIGRATION_TASK_TYPE = "cloudmetrics:infra:MigrationTask"


@dataclass(frozen=True)
class MigrationTaskArgs:
    settings: StackSettings
    container_inputs: pulumi.Output[ContainerInputs]
    execution_role_arn: pulumi.Input[str]
    task_role_arn: pulumi.Input[str]
    execution_policy: pulumi.Resource
    """The execution role's permissions: the pipeline runs this task right after `up`."""


def migration_task(
    name: str, args: MigrationTaskArgs, opts: pulumi.ResourceOptions | None = None
) -> OneOffTask:
    return OneOffTask(
        MIGRATION_TASK_TYPE,
        name,
        OneOffTaskArgs(
            family=f"{args.settings.name_prefix}-migrate",
            container_definitions=args.container_inputs.apply(migration_definitions),
            execution_role_arn=args.execution_role_arn,
            task_role_arn=args.task_role_arn,
            execution_policy=args.execution_policy,
        ),
        opts,
    )


def migration_definitions(inputs: ContainerInputs) -> str:
    migrate = container_definition(
        inputs,
        command=MIGRATE_COMMAND,
        stream_prefix="migrate",
        serves_http=False,
        credentials=OWNER_DATABASE_ONLY,
    )
    roles = container_definition(
        inputs,
        command=ROLES_COMMAND,
        stream_prefix="database-roles",
        serves_http=False,
        credentials=ROLES_STEP,
        name=ROLES_CONTAINER_NAME,
        # It exits when done; the task goes on to the migrate container.
        essential=False,
    )
    migrate["dependsOn"] = [{"containerName": ROLES_CONTAINER_NAME, "condition": "SUCCESS"}]
    return json.dumps([migrate, roles])
