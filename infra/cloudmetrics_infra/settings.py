"""Typed stack settings: everything that may differ between dev, staging and prod.

The program never reads configuration anywhere else. `StackSettings.from_pulumi_config()` is what
`__main__.py` calls; tests call the same function after loading a `Pulumi.<env>.yaml` into the
mocked runtime, so the files in the repository are what the tests prove things about.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from cloudmetrics_shared import placeholders
from cloudmetrics_shared.environments import (
    ENVIRONMENTS,
    PROJECT,
    deploy_role_arn,
    next_environment,
)
from cloudmetrics_shared.environments import iam_path as environment_iam_path
from cloudmetrics_shared.role_boundary import boundary_arn

from cloudmetrics_infra.sizing import (
    DATABASE_INSTANCE_MEMORY_GIB,
    FARGATE_MEMORY_MIB,
    default_max_connections,
)

AVAILABILITY_ZONES = 3
SERVICE_PORT = 8000
DATABASE_PORT = 5432
CACHE_PORT = 6379
DATABASE_NAME = "cloudmetrics"
# Not "postgres": Security Hub RDS.25 wants a custom administrator name.
DATABASE_ADMIN_USER = "cloudmetrics_admin"
# ECS may run twice the desired tasks while a deployment rolls (deployment_maximum_percent).
DEPLOYMENT_MAXIMUM_PERCENT = 200
# The migration runner works on one dedicated connection; two leave room for an operator's
# `cloudmetrics migrate status` while a migration runs.
MIGRATION_CONNECTIONS = 2
# superuser_reserved_connections (3) plus RDS's own and an operator's psql sessions.
RESERVED_CONNECTIONS = 10
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# The value of cloudmetrics:nextEnvironmentAccountId in the last environment: keys are the same in
# every stack file, so prod says in words that its images go nowhere.
NO_NEXT_ENVIRONMENT = "none"


class SettingsError(ValueError):
    """A stack configuration value is missing or unusable; the message names the key."""


@dataclass(frozen=True)
class ServiceSettings:
    cpu: int
    memory: int
    desired_count: int
    min_tasks: int
    max_tasks: int
    web_concurrency: int
    database_pool_max_size: int
    log_level: str
    cpu_target_percent: int
    memory_target_percent: int

    @property
    def connections_per_task(self) -> int:
        # Each worker has its pool and one connection of readiness's own (docs/adr/0002).
        return self.web_concurrency * (self.database_pool_max_size + 1)

    @property
    def peak_tasks(self) -> int:
        """Most tasks that can hold connections at once: scaled out and mid-deployment."""
        return math.ceil(self.max_tasks * DEPLOYMENT_MAXIMUM_PERCENT / 100)


@dataclass(frozen=True)
class DatabaseSettings:
    instance_class: str
    allocated_storage_gib: int
    max_allocated_storage_gib: int
    max_connections: int
    deletion_protection: bool


@dataclass(frozen=True)
class CacheSettings:
    node_type: str
    replicas_per_shard: int
    snapshot_retention_days: int


@dataclass(frozen=True)
class StackSettings:
    environment: str
    region: str
    account_id: str
    next_environment_account_id: str | None
    """Account of the environment this one's images are promoted to (None for the last)."""
    owner: str
    cost_centre: str
    vpc_cidr: str
    domain_name: str
    hosted_zone_id: str
    alarm_email: str
    log_retention_days: int
    load_balancer_deletion_protection: bool
    image_tag: str
    service: ServiceSettings
    database: DatabaseSettings
    cache: CacheSettings

    @property
    def name_prefix(self) -> str:
        """Prefix of every physical name, so two environments never collide in one account."""
        return f"{PROJECT}-{self.environment}"

    @property
    def parameter_path(self) -> str:
        return f"/{PROJECT}/{self.environment}"

    @property
    def iam_path(self) -> str:
        """IAM path of this environment's roles; the deploy role may manage only these."""
        return environment_iam_path(self.environment)

    @property
    def role_boundary_arn(self) -> str:
        """The permissions boundary every role of this stack carries (the bootstrap makes it):
        the deploy role may create and change only roles that do."""
        return boundary_arn(self.account_id, self.environment)

    @property
    def image_puller_arn(self) -> str | None:
        """The next environment's deploy role: a promotion copies this repository's images by
        digest into its own account (docs/adr/0046), so it may pull from here. None for prod."""
        following = next_environment(self.environment)
        if following is None or self.next_environment_account_id is None:
            return None
        return deploy_role_arn(self.next_environment_account_id, following)

    @property
    def peak_database_connections(self) -> int:
        service = self.service
        return (
            service.peak_tasks * service.connections_per_task
            + MIGRATION_CONNECTIONS
            + RESERVED_CONNECTIONS
        )

    def subnet_cidrs(self) -> tuple[list[str], list[str]]:
        """Public and private /20s per availability zone, carved from the VPC range."""
        blocks = list(ipaddress.ip_network(self.vpc_cidr).subnets(new_prefix=20))
        public = [str(block) for block in blocks[:AVAILABILITY_ZONES]]
        private = [str(block) for block in blocks[8 : 8 + AVAILABILITY_ZONES]]
        return public, private

    @staticmethod
    def from_pulumi_config() -> StackSettings:
        """Read the current stack's `cloudmetrics:*` and `aws:region` configuration."""
        # Imported here so check_stack_config.py can validate a stack file without Pulumi.
        import pulumi

        config = pulumi.Config(PROJECT)
        values: dict[str, Any] = {key: config.require(key) for key in _SCALAR_KEYS}
        values |= {key: config.require_object(key) for key in _OBJECT_KEYS}
        values["imageTag"] = config.get("imageTag")
        region = pulumi.Config("aws").require("region")
        return StackSettings.from_values(pulumi.get_stack(), region, values)

    @staticmethod
    def from_values(environment: str, region: str, values: Mapping[str, Any]) -> StackSettings:
        if environment not in ENVIRONMENTS:
            raise SettingsError(f"stack {environment!r} is not one of {', '.join(ENVIRONMENTS)}")
        refused = placeholders.problems(
            {f"{PROJECT}:{key}": value for key, value in values.items()}, PLACEHOLDER_KINDS
        )
        if refused:
            raise SettingsError("placeholder values must be replaced: " + "; ".join(refused))
        settings = StackSettings(
            environment=environment,
            region=region,
            account_id=_text(values, "accountId"),
            next_environment_account_id=_next_environment_account_id(
                environment, _text(values, "nextEnvironmentAccountId")
            ),
            owner=_text(values, "owner"),
            cost_centre=_text(values, "costCentre"),
            vpc_cidr=_text(values, "vpcCidr"),
            domain_name=_text(values, "domainName"),
            hosted_zone_id=_text(values, "hostedZoneId"),
            alarm_email=_text(values, "alarmEmail"),
            log_retention_days=_integer(values, "logRetentionDays"),
            load_balancer_deletion_protection=_flag(values, "loadBalancerDeletionProtection"),
            image_tag=_image_tag(values.get("imageTag")),
            service=_service(_section(values, "service")),
            database=_database(_section(values, "database")),
            cache=_cache(_section(values, "cache")),
        )
        _check(settings)
        return settings


_SCALAR_KEYS = (
    "accountId",
    "nextEnvironmentAccountId",
    "owner",
    "costCentre",
    "vpcCidr",
    "domainName",
    "hostedZoneId",
    "alarmEmail",
    "logRetentionDays",
    "loadBalancerDeletionProtection",
)
_OBJECT_KEYS = ("service", "database", "cache")
# What each identifying key holds, so a copied example value is recognised as one.
PLACEHOLDER_KINDS = {
    f"{PROJECT}:accountId": placeholders.Kind.ACCOUNT_ID,
    f"{PROJECT}:nextEnvironmentAccountId": placeholders.Kind.ACCOUNT_ID,
    f"{PROJECT}:hostedZoneId": placeholders.Kind.HOSTED_ZONE_ID,
    f"{PROJECT}:domainName": placeholders.Kind.DOMAIN_NAME,
    f"{PROJECT}:alarmEmail": placeholders.Kind.EMAIL,
}


def _section(values: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    section = values.get(key)
    if not isinstance(section, Mapping):
        raise SettingsError(f"cloudmetrics:{key} must be an object")
    # A parsed JSON object: its keys are strings.
    entries = cast("Mapping[str, Any]", section)
    return {f"{key}.{name}": value for name, value in entries.items()}


def _text(values: Mapping[str, Any], key: str) -> str:
    value = values.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f"cloudmetrics:{key} must be a non-empty string")
    return value


def _integer(values: Mapping[str, Any], key: str) -> int:
    value = values.get(key)
    # Stack config stores scalars as strings; objects keep their JSON numbers.
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SettingsError(f"cloudmetrics:{key} must be a non-negative integer")
    return value


def _flag(values: Mapping[str, Any], key: str) -> bool:
    value = values.get(key)
    if isinstance(value, str) and value in ("true", "false"):
        value = value == "true"
    if not isinstance(value, bool):
        raise SettingsError(f"cloudmetrics:{key} must be true or false")
    return value


def _next_environment_account_id(environment: str, value: str) -> str | None:
    following = next_environment(environment)
    if following is None:
        if value != NO_NEXT_ENVIRONMENT:
            raise SettingsError(
                f"cloudmetrics:nextEnvironmentAccountId must be {NO_NEXT_ENVIRONMENT!r}: "
                f"{environment}'s images are promoted nowhere"
            )
        return None
    if not re.fullmatch(r"\d{12}", value):
        raise SettingsError(
            f"cloudmetrics:nextEnvironmentAccountId must be the 12-digit account id of "
            f"{following}, whose deploy role pulls {environment}'s images"
        )
    return value


def _image_tag(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise SettingsError(
            "cloudmetrics:imageTag is not set; the pipeline sets it to the git revision "
            "(pulumi config set cloudmetrics:imageTag <sha>)"
        )
    # Tags are immutable in ECR: a moving tag like "latest" could never be pushed twice.
    if value == "latest" or not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", value):
        raise SettingsError(f"cloudmetrics:imageTag {value!r} is not a fixed image tag")
    return value


def _service(values: Mapping[str, Any]) -> ServiceSettings:
    service = ServiceSettings(
        cpu=_integer(values, "service.cpu"),
        memory=_integer(values, "service.memory"),
        desired_count=_integer(values, "service.desiredCount"),
        min_tasks=_integer(values, "service.minTasks"),
        max_tasks=_integer(values, "service.maxTasks"),
        web_concurrency=_integer(values, "service.webConcurrency"),
        database_pool_max_size=_integer(values, "service.databasePoolMaxSize"),
        log_level=_text(values, "service.logLevel"),
        cpu_target_percent=_integer(values, "service.cpuTargetPercent"),
        memory_target_percent=_integer(values, "service.memoryTargetPercent"),
    )
    memory_range = FARGATE_MEMORY_MIB.get(service.cpu)
    if memory_range is None or not memory_range[0] <= service.memory <= memory_range[1]:
        raise SettingsError(
            f"cloudmetrics:service cpu={service.cpu} memory={service.memory} is not a Fargate size"
        )
    if not 1 <= service.min_tasks <= service.desired_count <= service.max_tasks:
        raise SettingsError("cloudmetrics:service needs 1 <= minTasks <= desiredCount <= maxTasks")
    if service.log_level not in LOG_LEVELS:
        raise SettingsError(f"cloudmetrics:service.logLevel must be one of {LOG_LEVELS}")
    if service.web_concurrency < 1 or service.database_pool_max_size < 1:
        raise SettingsError("cloudmetrics:service webConcurrency and databasePoolMaxSize >= 1")
    return service


def _database(values: Mapping[str, Any]) -> DatabaseSettings:
    database = DatabaseSettings(
        instance_class=_text(values, "database.instanceClass"),
        allocated_storage_gib=_integer(values, "database.allocatedStorageGib"),
        max_allocated_storage_gib=_integer(values, "database.maxAllocatedStorageGib"),
        max_connections=_integer(values, "database.maxConnections"),
        deletion_protection=_flag(values, "database.deletionProtection"),
    )
    if database.instance_class not in DATABASE_INSTANCE_MEMORY_GIB:
        raise SettingsError(
            f"cloudmetrics:database.instanceClass {database.instance_class!r} is not one of "
            f"{', '.join(DATABASE_INSTANCE_MEMORY_GIB)}"
        )
    if database.max_connections > default_max_connections(database.instance_class):
        raise SettingsError(
            "cloudmetrics:database.maxConnections exceeds what the instance class's memory allows"
        )
    if database.max_allocated_storage_gib < database.allocated_storage_gib:
        raise SettingsError("cloudmetrics:database.maxAllocatedStorageGib < allocatedStorageGib")
    return database


def _cache(values: Mapping[str, Any]) -> CacheSettings:
    cache = CacheSettings(
        node_type=_text(values, "cache.nodeType"),
        replicas_per_shard=_integer(values, "cache.replicasPerShard"),
        snapshot_retention_days=_integer(values, "cache.snapshotRetentionDays"),
    )
    # Automatic failover needs a replica in every shard to promote.
    if cache.replicas_per_shard < 1:
        raise SettingsError("cloudmetrics:cache.replicasPerShard must be at least 1")
    if cache.snapshot_retention_days < 1:
        raise SettingsError("cloudmetrics:cache.snapshotRetentionDays must be at least 1")
    return cache


def _check(settings: StackSettings) -> None:
    if not re.fullmatch(r"\d{12}", settings.account_id):
        raise SettingsError("cloudmetrics:accountId must be a 12-digit AWS account id")
    network = ipaddress.ip_network(settings.vpc_cidr)
    if network.prefixlen > 16:
        raise SettingsError("cloudmetrics:vpcCidr must be a /16 or larger")
    if settings.peak_database_connections > settings.database.max_connections:
        raise SettingsError(
            f"connection budget: {settings.peak_database_connections} connections at peak "
            f"exceed cloudmetrics:database.maxConnections={settings.database.max_connections}"
        )
