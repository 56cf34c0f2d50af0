"""Where tasks run and write their logs: the ECS cluster and the service's log group."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cloudmetrics_infra.settings import StackSettings


@dataclass(frozen=True)
class ClusterArgs:
    settings: StackSettings


class Cluster(pulumi.ComponentResource):
    cluster: aws.ecs.Cluster
    log_group: aws.cloudwatch.LogGroup

    def __init__(
        self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:Cluster", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=settings.name_prefix,
            # Security Hub ECS.12: per-task CPU and memory metrics for the dashboard.
            settings=[{"name": "containerInsights", "value": "enabled"}],
            opts=child,
        )
        # One group for the web tasks and the migration task; stream prefixes tell them apart.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/{settings.name_prefix}/service",
            retention_in_days=settings.log_retention_days,
            opts=child,
        )
        self.register_outputs(
            {"clusterName": self.cluster.name, "logGroupName": self.log_group.name}
        )
