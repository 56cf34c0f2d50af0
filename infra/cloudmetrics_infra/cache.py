"""Redis 7 on ElastiCache in cluster mode: three shards, replicas, failover, encrypted."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from cloudmetrics_infra.generated_secret import stored_secret
from cloudmetrics_infra.settings import CACHE_PORT, StackSettings

ENGINE_VERSION = "7.1"
SHARDS = 3
PARAMETER_GROUP = "default.redis7.cluster.on"
# ElastiCache accepts 16-128 printable characters; letters and digits avoid its forbidden ones.
AUTH_TOKEN_LENGTH = 64


@dataclass(frozen=True)
class CacheArgs:
    settings: StackSettings
    subnet_ids: pulumi.Input[list[str]]
    security_group_id: pulumi.Input[str]


class Cache(pulumi.ComponentResource):
    replication_group: aws.elasticache.ReplicationGroup
    endpoint: pulumi.Output[str]
    auth_secret_arn: pulumi.Output[str]
    """Secrets Manager secret holding the AUTH token; tasks get it as REDIS_PASSWORD."""

    def __init__(
        self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:Cache", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)

        # Security Hub ElastiCache.7: our own subnet group, never the default one.
        subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            name=settings.name_prefix,
            description="Private subnets only",
            subnet_ids=args.subnet_ids,
            opts=child,
        )
        # Redis AUTH (Security Hub ElastiCache.6): a generated token, kept in Pulumi's state as a
        # secret (encrypted with the environment's KMS key) and in Secrets Manager for the tasks.
        token = random.RandomPassword(
            f"{name}-auth-token", length=AUTH_TOKEN_LENGTH, special=False, opts=child
        )
        secret = stored_secret(
            f"{name}-auth",
            settings,
            label="redis-auth-token",
            fixed_name=f"{settings.name_prefix}/redis-auth-token",
            description=f"AUTH token of the {settings.name_prefix} Redis replication group",
            secret_string=token.result,
            opts=child,
        )
        self.auth_secret_arn = secret.arn
        self.replication_group = aws.elasticache.ReplicationGroup(
            f"{name}-redis",
            replication_group_id=settings.name_prefix,
            description=f"{settings.name_prefix} Redis (cluster mode)",
            engine="redis",
            engine_version=ENGINE_VERSION,
            node_type=settings.cache.node_type,
            port=CACHE_PORT,
            cluster_mode="enabled",
            parameter_group_name=PARAMETER_GROUP,
            num_node_groups=SHARDS,
            replicas_per_node_group=settings.cache.replicas_per_shard,
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            at_rest_encryption_enabled=True,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            auth_token=token.result,
            subnet_group_name=subnet_group.name,
            security_group_ids=[args.security_group_id],
            snapshot_retention_limit=settings.cache.snapshot_retention_days,
            snapshot_window="01:00-02:00",
            maintenance_window="sun:04:30-sun:05:30",
            auto_minor_version_upgrade=True,
            apply_immediately=False,
            opts=child,
        )
        self.endpoint = self.replication_group.configuration_endpoint_address
        self.register_outputs(
            {"configurationEndpoint": self.endpoint, "authSecretArn": self.auth_secret_arn}
        )
