"""The one-off task that registers the smoke key with the service: `cloudmetrics keys ensure`.

The database is private, so the registration runs where the service runs. The pipeline starts
it after the full `pulumi up` (which may just have made or replaced the key) and before the smoke
test, with `aws ecs run-task` like the migration task. Only this task definition gets the key,
as a task secret; the service and the other tasks never see it (docs/adr/0051).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi

from cloudmetrics_infra.containers import (
    SERVICE_DATABASE_ONLY,
    ContainerInputs,
    container_definition,
)
from cloudmetrics_infra.one_off_task import OneOffTask, OneOffTaskArgs
from cloudmetrics_infra.settings import StackSettings

# The variable the task reads the key from; `keys ensure` never takes a key as an argument.
SMOKE_KEY_VARIABLE = "CLOUDMETRICS_SMOKE_KEY"
# Its own project, so smoke data never mix with a tenant's; the name is what rotation revokes by.
SMOKE_PROJECT = "smoke"
# The type it was first deployed under, kept so its URNs stay as they are.
SMOKE_KEY_REGISTRATION_TYPE = "cloudmetrics:infra:SmokeKeyRegistration"
REGISTER_COMMAND = (
    "cloudmetrics",
    "keys",
    "ensure",
    "--project",
    SMOKE_PROJECT,
    "--scope",
    "read,write",
    "--name",
    "smoke",
    "--from-env",
    SMOKE_KEY_VARIABLE,
)


@dataclass(frozen=True)
class SmokeKeyRegistrationArgs:
    settings: StackSettings
    container_inputs: pulumi.Output[ContainerInputs]
    smoke_key_secret_arn: pulumi.Input[str]
    execution_role_arn: pulumi.Input[str]
    task_role_arn: pulumi.Input[str]
    execution_policy: pulumi.Resource
    """The execution role's permissions: the pipeline runs this task right after `up`."""


def smoke_key_registration_task(
    name: str, args: SmokeKeyRegistrationArgs, opts: pulumi.ResourceOptions | None = None
) -> OneOffTask:
    definitions = pulumi.Output.all(args.container_inputs, args.smoke_key_secret_arn).apply(
        lambda values: _definitions(values[0], values[1])
    )
    return OneOffTask(
        SMOKE_KEY_REGISTRATION_TYPE,
        name,
        OneOffTaskArgs(
            family=f"{args.settings.name_prefix}-register-smoke-key",
            container_definitions=definitions,
            execution_role_arn=args.execution_role_arn,
            task_role_arn=args.task_role_arn,
            execution_policy=args.execution_policy,
        ),
        opts,
    )


def _definitions(inputs: ContainerInputs, smoke_key_secret_arn: str) -> str:
    definition = container_definition(
        inputs,
        command=REGISTER_COMMAND,
        stream_prefix="smoke-key",
        serves_http=False,
        credentials=SERVICE_DATABASE_ONLY,
    )
    definition["secrets"].append({"name": SMOKE_KEY_VARIABLE, "valueFrom": smoke_key_secret_arn})
    return json.dumps([definition])
