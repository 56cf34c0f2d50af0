"""The ECS task definitions of the service and of its one-off and scheduled tasks.

All of them run the service's image on Fargate, on the platform the image is built for. The
one-off tasks (migrate, maintain, register the smoke key) each run one command that does a
handful of statements on the database: the smallest Fargate size is enough for them.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

# The image is built for linux/amd64 (ci/src/cloudmetrics_ci/build.py).
RUNTIME_PLATFORM: aws.ecs.TaskDefinitionRuntimePlatformArgsDict = {
    "operating_system_family": "LINUX",
    "cpu_architecture": "X86_64",
}
ONE_OFF_CPU = "256"
ONE_OFF_MEMORY = "512"


def fargate_task_definition(
    resource_name: str,
    *,
    family: str,
    container_definitions: pulumi.Input[str],
    execution_role_arn: pulumi.Input[str],
    task_role_arn: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    cpu: str = ONE_OFF_CPU,
    memory: str = ONE_OFF_MEMORY,
) -> aws.ecs.TaskDefinition:
    return aws.ecs.TaskDefinition(
        resource_name,
        family=family,
        requires_compatibilities=["FARGATE"],
        network_mode="awsvpc",
        cpu=cpu,
        memory=memory,
        runtime_platform=RUNTIME_PLATFORM,
        execution_role_arn=execution_role_arn,
        task_role_arn=task_role_arn,
        container_definitions=container_definitions,
        opts=opts,
    )
