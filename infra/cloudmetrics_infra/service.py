"""The web service on Fargate: rolling deploys that roll themselves back, autoscaled."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cloudmetrics_infra.containers import (
    CONTAINER_NAME,
    SERVE_COMMAND,
    SERVICE_CREDENTIALS,
    ContainerInputs,
    definitions_json,
)
from cloudmetrics_infra.settings import SERVICE_PORT, StackSettings
from cloudmetrics_infra.sizing import DEPLOYMENT_MAXIMUM_PERCENT
from cloudmetrics_infra.task_definitions import fargate_task_definition

# Time a new task gets to open its pools and warm up before failed ALB checks count.
HEALTH_CHECK_GRACE_SECONDS = 60
SCALE_IN_COOLDOWN_SECONDS = 300
SCALE_OUT_COOLDOWN_SECONDS = 60
# Physical name of the ECS service; the rotation restart addresses it by name.
WEB_SERVICE_NAME = "{prefix}-web"


@dataclass(frozen=True)
class ServiceArgs:
    settings: StackSettings
    cluster_arn: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    container_inputs: pulumi.Output[ContainerInputs]
    execution_role_arn: pulumi.Input[str]
    task_role_arn: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    security_group_id: pulumi.Input[str]
    target_group_arn: pulumi.Input[str]
    listener: pulumi.Resource
    forward_rule: pulumi.Resource
    """The listener rule that forwards to the target group: until it exists, the group belongs
    to no load balancer and ECS refuses the service."""
    execution_policy: pulumi.Resource
    """The execution role's permissions: no task may start before they exist."""


class Service(pulumi.ComponentResource):
    task_definition: aws.ecs.TaskDefinition
    service: aws.ecs.Service

    def __init__(
        self, name: str, args: ServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:Service", name, None, opts)
        settings = args.settings
        self.task_definition = fargate_task_definition(
            f"{name}-task",
            family=f"{settings.name_prefix}-web",
            cpu=str(settings.service.cpu),
            memory=str(settings.service.memory),
            execution_role_arn=args.execution_role_arn,
            task_role_arn=args.task_role_arn,
            container_definitions=definitions_json(
                args.container_inputs,
                command=SERVE_COMMAND,
                stream_prefix="web",
                serves_http=True,
                credentials=SERVICE_CREDENTIALS,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.execution_policy]),
        )
        self.service = aws.ecs.Service(
            f"{name}-service",
            name=WEB_SERVICE_NAME.format(prefix=settings.name_prefix),
            cluster=args.cluster_arn,
            task_definition=self.task_definition.arn,
            launch_type="FARGATE",
            # Security Hub ECS.10: always the newest Fargate platform.
            platform_version="LATEST",
            desired_count=settings.service.desired_count,
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=DEPLOYMENT_MAXIMUM_PERCENT,
            # A deployment whose tasks never turn healthy is stopped and the previous task
            # definition restored; wait_for_steady_state makes `pulumi up` fail when that happens.
            deployment_circuit_breaker={"enable": True, "rollback": True},
            wait_for_steady_state=True,
            health_check_grace_period_seconds=HEALTH_CHECK_GRACE_SECONDS,
            network_configuration={
                "subnets": args.subnet_ids,
                "security_groups": [args.security_group_id],
                "assign_public_ip": False,
            },
            load_balancers=[
                {
                    "target_group_arn": args.target_group_arn,
                    "container_name": CONTAINER_NAME,
                    "container_port": SERVICE_PORT,
                }
            ],
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            opts=pulumi.ResourceOptions(
                parent=self,
                # The target group must belong to a load balancer before a service can use it.
                depends_on=[args.listener, args.forward_rule, args.execution_policy],
                # Autoscaling owns the running count once the service exists.
                ignore_changes=["desiredCount"],
            ),
        )
        self._autoscaling(name, settings, args.cluster_name)
        self.register_outputs(
            {"serviceName": self.service.name, "taskDefinitionArn": self.task_definition.arn}
        )

    def _autoscaling(
        self, name: str, settings: StackSettings, cluster_name: pulumi.Input[str]
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        target = aws.appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", cluster_name, "/", self.service.name),
            min_capacity=settings.service.min_tasks,
            max_capacity=settings.service.max_tasks,
            opts=child,
        )
        for metric, percent in (
            ("ECSServiceAverageCPUUtilization", settings.service.cpu_target_percent),
            ("ECSServiceAverageMemoryUtilization", settings.service.memory_target_percent),
        ):
            kind = "cpu" if "CPU" in metric else "memory"
            aws.appautoscaling.Policy(
                f"{name}-scale-on-{kind}",
                name=f"{settings.name_prefix}-web-{kind}",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration={
                    "target_value": percent,
                    "predefined_metric_specification": {"predefined_metric_type": metric},
                    "scale_in_cooldown": SCALE_IN_COOLDOWN_SECONDS,
                    "scale_out_cooldown": SCALE_OUT_COOLDOWN_SECONDS,
                },
                opts=child,
            )
