"""Build one environment's estate from its settings; the stack outputs the pipeline reads.

Every component gets a fixed logical name, so dev, staging and prod declare the same resources
and differ only in values (sizes, counts, names, domain, account).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random

from cloudmetrics_infra.cache import Cache, CacheArgs
from cloudmetrics_infra.cdn import CLOUDFRONT_REGION, ContentDelivery, ContentDeliveryArgs
from cloudmetrics_infra.cluster import Cluster, ClusterArgs
from cloudmetrics_infra.containers import container_inputs
from cloudmetrics_infra.database import Database, DatabaseArgs
from cloudmetrics_infra.database_roles import DatabaseRoleSecrets
from cloudmetrics_infra.load_balancer import LoadBalancer, LoadBalancerArgs
from cloudmetrics_infra.maintenance import MaintenanceTask, MaintenanceTaskArgs
from cloudmetrics_infra.migrations import MigrationTaskArgs, migration_task
from cloudmetrics_infra.monitoring import Monitoring, MonitoringArgs
from cloudmetrics_infra.network import Network, NetworkArgs
from cloudmetrics_infra.provider import aws_provider
from cloudmetrics_infra.registry import Registry, RegistryArgs
from cloudmetrics_infra.rotation import RestartOnRotation, RestartOnRotationArgs
from cloudmetrics_infra.security_groups import SecurityGroups, SecurityGroupsArgs
from cloudmetrics_infra.service import WEB_SERVICE_NAME, Service, ServiceArgs
from cloudmetrics_infra.session_secret import SessionSecret
from cloudmetrics_infra.settings import StackSettings
from cloudmetrics_infra.smoke_key import SmokeKey
from cloudmetrics_infra.smoke_key_registration import (
    SmokeKeyRegistrationArgs,
    smoke_key_registration_task,
)
from cloudmetrics_infra.ssm_parameters import ServiceConfig, ServiceConfigArgs
from cloudmetrics_infra.task_roles import TaskRoles, TaskRolesArgs
from cloudmetrics_infra.waf import WebFirewall, WebFirewallArgs


@dataclass(frozen=True)
class Estate:
    outputs: dict[str, pulumi.Output[object]]
    """The stack outputs (camelCase names the pipeline reads)."""


def build_estate(settings: StackSettings) -> Estate:
    provider = aws_provider(settings)
    # Every resource inherits this provider: the default provider is disabled in the stack files.
    on_aws = pulumi.ResourceOptions(providers=[provider])

    network = Network("network", NetworkArgs(settings), on_aws)
    groups = SecurityGroups("firewall", SecurityGroupsArgs(settings, network.vpc.id), on_aws)
    registry = Registry("registry", RegistryArgs(settings), on_aws)
    database = Database(
        "database",
        DatabaseArgs(settings, network.private_subnet_ids, groups.database.id),
        on_aws,
    )
    cache = Cache("cache", CacheArgs(settings, network.private_subnet_ids, groups.cache.id), on_aws)
    config = ServiceConfig(
        "config",
        ServiceConfigArgs(settings, database.address, cache.endpoint, groups.cloudfront_cidrs),
        on_aws,
    )
    cluster = Cluster("cluster", ClusterArgs(settings), on_aws)
    session_secret = SessionSecret("session", settings, on_aws)
    database_roles = DatabaseRoleSecrets("database-roles", settings, on_aws)
    smoke_key = SmokeKey("smoke-key", settings, on_aws)
    roles = TaskRoles(
        "task-roles",
        TaskRolesArgs(
            account_id=settings.account_id,
            iam_path=settings.iam_path,
            permissions_boundary=settings.role_boundary_arn,
            repository_arn=registry.repository.arn,
            log_group_arn=cluster.log_group.arn,
            parameter_arns=config.parameter_arns,
            database_secret_arn=database.master_secret_arn,
            cache_secret_arn=cache.auth_secret_arn,
            session_secret_arn=session_secret.secret_arn,
            smoke_key_secret_arn=smoke_key.secret_arn,
            database_owner_secret_arn=database_roles.owner_secret_arn,
            database_service_secret_arn=database_roles.service_secret_arn,
        ),
        on_aws,
    )
    # CloudFront's certificate and web ACL must be created in us-east-1.
    us_east_1 = aws_provider(settings, region=CLOUDFRONT_REGION)
    # The header value only CloudFront knows and the ALB checks; kept as a secret in state.
    origin_secret = random.RandomPassword("origin-secret", length=48, special=False)
    entrance = LoadBalancer(
        "entrance",
        LoadBalancerArgs(
            settings,
            network.vpc.id,
            network.public_subnet_ids,
            groups.load_balancer.id,
            origin_secret=origin_secret.result,
        ),
        on_aws,
    )
    # At the edge, where it sees every client's own address (behind CloudFront the ALB sees
    # only CloudFront's).
    firewall = WebFirewall(
        "waf",
        WebFirewallArgs(settings, scope="CLOUDFRONT"),
        pulumi.ResourceOptions(providers=[us_east_1]),
    )
    edge = ContentDelivery(
        "edge",
        ContentDeliveryArgs(
            settings,
            origin_secret=origin_secret.result,
            web_acl_arn=firewall.web_acl.arn,
            us_east_1=us_east_1,
        ),
        on_aws,
    )
    inputs = container_inputs(
        repository_url=registry.repository.repository_url,
        image_tag=settings.image_tag,
        region=settings.region,
        log_group_name=cluster.log_group.name,
        parameter_arns=config.parameter_arns,
        database_secret_arn=database.master_secret_arn,
        cache_secret_arn=cache.auth_secret_arn,
        session_secret_arn=session_secret.secret_arn,
        database_owner_secret_arn=database_roles.owner_secret_arn,
        database_service_secret_arn=database_roles.service_secret_arn,
    )
    service = Service(
        "web",
        ServiceArgs(
            settings=settings,
            cluster_arn=cluster.cluster.arn,
            cluster_name=cluster.cluster.name,
            container_inputs=inputs,
            execution_role_arn=roles.execution_role.arn,
            task_role_arn=roles.task_role.arn,
            subnet_ids=network.private_subnet_ids,
            security_group_id=groups.service.id,
            target_group_arn=entrance.target_group.arn,
            listener=entrance.https_listener,
            forward_rule=entrance.forward_rule,
            execution_policy=roles.execution_policy,
        ),
        on_aws,
    )
    RestartOnRotation(
        "rotation",
        RestartOnRotationArgs(
            settings=settings,
            secret_arn=database.master_secret_arn,
            cluster_name=settings.name_prefix,
            service_name=WEB_SERVICE_NAME.format(prefix=settings.name_prefix),
        ),
        on_aws,
    )
    migrations = migration_task(
        "migrations",
        MigrationTaskArgs(
            settings,
            inputs,
            roles.execution_role.arn,
            roles.task_role.arn,
            roles.execution_policy,
        ),
        on_aws,
    )
    smoke_key_registration = smoke_key_registration_task(
        "smoke-key-registration",
        SmokeKeyRegistrationArgs(
            settings=settings,
            container_inputs=inputs,
            smoke_key_secret_arn=smoke_key.secret_arn,
            execution_role_arn=roles.execution_role.arn,
            task_role_arn=roles.task_role.arn,
            execution_policy=roles.execution_policy,
        ),
        on_aws,
    )
    MaintenanceTask(
        "maintenance",
        MaintenanceTaskArgs(
            settings=settings,
            container_inputs=inputs,
            execution_role_arn=roles.execution_role.arn,
            task_role_arn=roles.task_role.arn,
            cluster_arn=cluster.cluster.arn,
            subnet_ids=network.private_subnet_ids,
            security_group_id=groups.service.id,
        ),
        on_aws,
    )
    Monitoring(
        "monitoring",
        MonitoringArgs(
            settings=settings,
            cluster_name=cluster.cluster.name,
            service_name=service.service.name,
            load_balancer_arn_suffix=entrance.load_balancer.arn_suffix,
            target_group_arn_suffix=entrance.target_group.arn_suffix,
            database_identifier=database.instance.identifier,
            cache_replication_group_id=cache.replication_group.id,
        ),
        on_aws,
    )
    return Estate(
        outputs={
            # The public address (CloudFront's); the name stays for the pipeline that reads it.
            "albUrl": edge.url,
            "ecrRepositoryUrl": registry.repository.repository_url,
            "clusterName": cluster.cluster.name,
            "serviceName": service.service.name,
            "migrationTaskDefinitionArn": migrations.task_definition.arn,
            "privateSubnetIds": network.private_subnet_ids,
            "serviceSecurityGroupId": groups.service.id,
            # What the deploy needs after `pulumi up`: the task that registers the smoke key and
            # the secret it then reads the key from (docs/adr/0051).
            "smokeKeyTaskDefinitionArn": smoke_key_registration.task_definition.arn,
            "smokeKeySecretArn": smoke_key.secret_arn,
        }
    )
