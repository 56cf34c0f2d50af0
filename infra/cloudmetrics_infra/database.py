"""PostgreSQL 16 on RDS: Multi-AZ, encrypted, private, its master password kept by RDS itself.

`manage_master_user_password` makes RDS generate the password and keep it in a Secrets Manager
secret it owns; the password never passes through Pulumi, its state, or our configuration. The
service gets it injected by ECS from that secret (see docs/adr/0030).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from cloudmetrics_shared.iam import service_trust_policy
from cloudmetrics_shared.role_boundary import ENHANCED_MONITORING_POLICY

from cloudmetrics_infra.settings import (
    DATABASE_ADMIN_USER,
    DATABASE_NAME,
    DATABASE_PORT,
    StackSettings,
)

ENGINE_VERSION = "16"
PARAMETER_GROUP_FAMILY = "postgres16"
BACKUP_RETENTION_DAYS = 7
ENHANCED_MONITORING_SECONDS = 60
# Queries slower than this are logged (and exported to CloudWatch Logs).
SLOW_QUERY_MILLISECONDS = 500


@dataclass(frozen=True)
class DatabaseArgs:
    settings: StackSettings
    subnet_ids: pulumi.Input[list[str]]
    security_group_id: pulumi.Input[str]


class Database(pulumi.ComponentResource):
    instance: aws.rds.Instance
    address: pulumi.Output[str]
    master_secret_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:Database", name, None, opts)
        settings = args.settings
        database = settings.database
        child = pulumi.ResourceOptions(parent=self)

        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=settings.name_prefix,
            description="Private subnets only",
            subnet_ids=args.subnet_ids,
            opts=child,
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-parameters",
            name=settings.name_prefix,
            family=PARAMETER_GROUP_FAMILY,
            description=f"{settings.name_prefix} PostgreSQL parameters",
            parameters=[
                # Set explicitly so the connection budget is checked against a real number.
                {
                    "name": "max_connections",
                    "value": str(database.max_connections),
                    "apply_method": "pending-reboot",
                },
                {"name": "rds.force_ssl", "value": "1"},
                {"name": "log_min_duration_statement", "value": str(SLOW_QUERY_MILLISECONDS)},
            ],
            opts=child,
        )
        monitoring_role = aws.iam.Role(
            f"{name}-monitoring-role",
            path=settings.iam_path,
            permissions_boundary=settings.role_boundary_arn,
            assume_role_policy=service_trust_policy(
                "monitoring.rds.amazonaws.com", settings.account_id
            ),
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-monitoring-policy",
            role=monitoring_role.name,
            policy_arn=ENHANCED_MONITORING_POLICY,
            opts=child,
        )
        self.instance = aws.rds.Instance(
            f"{name}-instance",
            identifier=settings.name_prefix,
            engine="postgres",
            engine_version=ENGINE_VERSION,
            instance_class=database.instance_class,
            allocated_storage=database.allocated_storage_gib,
            max_allocated_storage=database.max_allocated_storage_gib,
            storage_type="gp3",
            storage_encrypted=True,
            multi_az=True,
            db_name=DATABASE_NAME,
            username=DATABASE_ADMIN_USER,
            manage_master_user_password=True,
            port=DATABASE_PORT,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[args.security_group_id],
            publicly_accessible=False,
            parameter_group_name=parameters.name,
            backup_retention_period=BACKUP_RETENTION_DAYS,
            backup_window="02:00-03:00",
            maintenance_window="sun:03:30-sun:04:30",
            copy_tags_to_snapshot=True,
            deletion_protection=database.deletion_protection,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{settings.name_prefix}-final",
            auto_minor_version_upgrade=True,
            iam_database_authentication_enabled=True,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            monitoring_interval=ENHANCED_MONITORING_SECONDS,
            monitoring_role_arn=monitoring_role.arn,
            performance_insights_enabled=True,
            apply_immediately=False,
            opts=child,
        )
        self.address = self.instance.address
        self.master_secret_arn = self.instance.master_user_secrets.apply(_secret_arn)
        self.register_outputs({"address": self.address, "masterSecretArn": self.master_secret_arn})


def _secret_arn(secrets: Sequence[aws.rds.outputs.InstanceMasterUserSecret]) -> str:
    if not secrets:
        # Only during a preview of the very first deployment: RDS has not made the secret yet.
        return ""
    return secrets[0].secret_arn or ""
