"""What the on-call engineer looks at: one dashboard and the alarms that page them.

The dashboard shows the signals docs/infrastructure.md lists (service CPU and memory, database
connections, cache hit rate, ALB 5xx and latency). Alarms go to an SNS topic with the stack's
alarm e-mail subscribed; the database-connection alarm fires at 80% of the configured
max_connections, before the connection budget is exhausted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from cloudmetrics_shared.iam import document

from cloudmetrics_infra.settings import StackSettings

PERIOD_SECONDS = 60
CONNECTION_ALARM_FRACTION = 0.8
LATENCY_P99_SECONDS = 1.0
TARGET_5XX_PER_MINUTE = 10
UTILISATION_ALARM_PERCENT = 85
DATABASE_FREE_STORAGE_BYTES = 5 * 1024**3


@dataclass(frozen=True)
class MonitoringArgs:
    settings: StackSettings
    cluster_name: pulumi.Input[str]
    service_name: pulumi.Input[str]
    load_balancer_arn_suffix: pulumi.Input[str]
    target_group_arn_suffix: pulumi.Input[str]
    database_identifier: pulumi.Input[str]
    cache_replication_group_id: pulumi.Input[str]


@dataclass(frozen=True)
class _Names:
    region: str
    cluster: str
    service: str
    load_balancer: str
    target_group: str
    database: str
    cache: str


def dashboard_body(names: _Names) -> str:
    ecs = {"ClusterName": names.cluster, "ServiceName": names.service}

    def metric(namespace: str, metric_name: str, dimensions: dict[str, str]) -> list[Any]:
        flat: list[Any] = [namespace, metric_name]
        for key, value in dimensions.items():
            flat += [key, value]
        return flat

    def widget(
        title: str, metrics: list[list[Any]], x: int, y: int, stat: str = "Average"
    ) -> dict[str, Any]:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "region": names.region,
                "stat": stat,
                "period": PERIOD_SECONDS,
                "metrics": metrics,
            },
        }

    # Cluster-mode Redis reports hit rate per node; SEARCH gathers every node of the group.
    cache_hit_rate = {
        "expression": (
            'SEARCH(\'{AWS/ElastiCache,CacheClusterId} MetricName="CacheHitRate" '
            f"{names.cache}', 'Average', {PERIOD_SECONDS})"
        ),
        "label": "CacheHitRate",
        "id": "hitrate",
    }
    widgets = [
        widget("Service CPU (%)", [metric("AWS/ECS", "CPUUtilization", ecs)], 0, 0),
        widget("Service memory (%)", [metric("AWS/ECS", "MemoryUtilization", ecs)], 12, 0),
        widget(
            "Database connections",
            [metric("AWS/RDS", "DatabaseConnections", {"DBInstanceIdentifier": names.database})],
            0,
            6,
        ),
        widget("Cache hit rate (%)", [[cache_hit_rate]], 12, 6),
        widget(
            "ALB 5xx",
            [
                metric(
                    "AWS/ApplicationELB",
                    "HTTPCode_ELB_5XX_Count",
                    {"LoadBalancer": names.load_balancer},
                ),
                metric(
                    "AWS/ApplicationELB",
                    "HTTPCode_Target_5XX_Count",
                    {"LoadBalancer": names.load_balancer, "TargetGroup": names.target_group},
                ),
            ],
            0,
            12,
            stat="Sum",
        ),
        widget(
            "ALB latency p99 (s)",
            [
                metric(
                    "AWS/ApplicationELB",
                    "TargetResponseTime",
                    {"LoadBalancer": names.load_balancer},
                )
            ],
            12,
            12,
            stat="p99",
        ),
    ]
    return json.dumps({"widgets": widgets})


# What the account's own principals may do with the alarm key, through their IAM policies: manage
# it (Pulumi reads and updates it) and use it (an operator testing the topic). No wildcards.
KEY_ADMINISTRATION_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
KEY_USE_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


def alarm_key_policy(account_id: str) -> str:
    """The alarm topic's key: CloudWatch may encrypt alarm messages with it, and SNS decrypt."""
    return document(
        [
            {
                "Sid": "AccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": [*KEY_ADMINISTRATION_ACTIONS, *KEY_USE_ACTIONS],
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchAlarmsPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": list(KEY_USE_ACTIONS),
                "Resource": "*",
            },
        ]
    )


class Monitoring(pulumi.ComponentResource):
    dashboard: aws.cloudwatch.Dashboard
    topic: aws.sns.Topic

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:Monitoring", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self._name = name
        self._settings = settings

        # Security Hub SNS.1 wants the topic encrypted; CloudWatch can publish to an encrypted
        # topic only if the key's policy lets cloudwatch.amazonaws.com use it, which the
        # AWS-managed alias/aws/sns never does. So the topic has a key of its own.
        key = aws.kms.Key(
            f"{name}-alarms-key",
            description=f"{settings.name_prefix} alarm notifications",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=alarm_key_policy(settings.account_id),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-alarms-key-alias",
            name=f"alias/{settings.name_prefix}-alarms",
            target_key_id=key.key_id,
            opts=child,
        )
        self.topic = aws.sns.Topic(
            f"{name}-alarms",
            name=f"{settings.name_prefix}-alarms",
            kms_master_key_id=key.arn,
            opts=child,
        )
        aws.sns.TopicSubscription(
            f"{name}-alarms-email",
            topic=self.topic.arn,
            protocol="email",
            endpoint=settings.alarm_email,
            opts=child,
        )
        names = pulumi.Output.all(
            args.cluster_name,
            args.service_name,
            args.load_balancer_arn_suffix,
            args.target_group_arn_suffix,
            args.database_identifier,
            args.cache_replication_group_id,
        ).apply(lambda values: _Names(settings.region, *values))
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=settings.name_prefix,
            dashboard_body=names.apply(dashboard_body),
            opts=child,
        )

        ecs = {"ClusterName": args.cluster_name, "ServiceName": args.service_name}
        alb = {"LoadBalancer": args.load_balancer_arn_suffix}
        target = {
            "LoadBalancer": args.load_balancer_arn_suffix,
            "TargetGroup": args.target_group_arn_suffix,
        }
        database = {"DBInstanceIdentifier": args.database_identifier}
        self._alarm(
            "service-cpu", "AWS/ECS", "CPUUtilization", ecs, "Average", UTILISATION_ALARM_PERCENT
        )
        self._alarm(
            "service-memory",
            "AWS/ECS",
            "MemoryUtilization",
            ecs,
            "Average",
            UTILISATION_ALARM_PERCENT,
        )
        self._alarm(
            "target-5xx",
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            alb,
            "Sum",
            TARGET_5XX_PER_MINUTE,
        )
        self._alarm(
            "unhealthy-targets", "AWS/ApplicationELB", "UnHealthyHostCount", target, "Maximum", 0
        )
        self._alarm(
            "database-connections",
            "AWS/RDS",
            "DatabaseConnections",
            database,
            "Maximum",
            int(settings.database.max_connections * CONNECTION_ALARM_FRACTION),
        )
        self._alarm(
            "database-cpu",
            "AWS/RDS",
            "CPUUtilization",
            database,
            "Average",
            UTILISATION_ALARM_PERCENT,
        )
        self._alarm(
            "database-free-storage",
            "AWS/RDS",
            "FreeStorageSpace",
            database,
            "Minimum",
            DATABASE_FREE_STORAGE_BYTES,
            comparison="LessThanThreshold",
        )
        aws.cloudwatch.MetricAlarm(
            f"{name}-latency-p99",
            name=f"{settings.name_prefix}-latency-p99",
            alarm_description=f"{settings.name_prefix}: p99 latency above {LATENCY_P99_SECONDS}s",
            namespace="AWS/ApplicationELB",
            metric_name="TargetResponseTime",
            dimensions=alb,
            extended_statistic="p99",
            period=PERIOD_SECONDS,
            evaluation_periods=5,
            threshold=LATENCY_P99_SECONDS,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            opts=child,
        )
        self.register_outputs(
            {"dashboardName": self.dashboard.dashboard_name, "alarmTopicArn": self.topic.arn}
        )

    def _alarm(
        self,
        label: str,
        namespace: str,
        metric: str,
        dimensions: dict[str, pulumi.Input[str]],
        statistic: str,
        threshold: float,
        comparison: str = "GreaterThanThreshold",
    ) -> None:
        prefix = self._settings.name_prefix
        aws.cloudwatch.MetricAlarm(
            f"{self._name}-{label}",
            name=f"{prefix}-{label}",
            alarm_description=f"{prefix}: {namespace} {metric} {statistic} vs {threshold}",
            namespace=namespace,
            metric_name=metric,
            dimensions=dimensions,
            statistic=statistic,
            period=PERIOD_SECONDS,
            evaluation_periods=5,
            threshold=threshold,
            comparison_operator=comparison,
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            opts=pulumi.ResourceOptions(parent=self),
        )
