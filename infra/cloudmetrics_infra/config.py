"""The service's configuration as SSM parameters under /cloudmetrics/<env>/.

The task definition takes every one of them as a `secret` (valueFrom), so changing a value is a
parameter edit plus a new deployment, and nothing here ends up in a task definition's plain
environment. None of them is a credential: DATABASE_URL carries no password (the password comes
from the RDS-managed secret as PGPASSWORD, which asyncpg reads when the URL has none).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cloudmetrics_infra.settings import (
    CACHE_PORT,
    DATABASE_ADMIN_USER,
    DATABASE_NAME,
    DATABASE_PORT,
    StackSettings,
)


def database_url(address: str) -> str:
    # RDS refuses unencrypted sessions (rds.force_ssl=1); asyncpg honours sslmode in the URL.
    return (
        f"postgresql://{DATABASE_ADMIN_USER}@{address}:{DATABASE_PORT}/{DATABASE_NAME}"
        "?sslmode=require"
    )


def redis_url(configuration_endpoint: str) -> str:
    # rediss: the replication group requires TLS.
    return f"rediss://{configuration_endpoint}:{CACHE_PORT}/0"


@dataclass(frozen=True)
class ServiceConfigArgs:
    settings: StackSettings
    database_address: pulumi.Output[str]
    cache_endpoint: pulumi.Output[str]


class ServiceConfig(pulumi.ComponentResource):
    parameter_arns: dict[str, pulumi.Output[str]]
    """Environment variable name -> ARN of the parameter holding its value."""

    def __init__(
        self, name: str, args: ServiceConfigArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:ServiceConfig", name, None, opts)
        settings = args.settings
        values: dict[str, pulumi.Input[str]] = {
            "DATABASE_URL": args.database_address.apply(database_url),
            "REDIS_URL": args.cache_endpoint.apply(redis_url),
            "LOG_LEVEL": settings.service.log_level,
            "WEB_CONCURRENCY": str(settings.service.web_concurrency),
            "DATABASE_POOL_MAX_SIZE": str(settings.service.database_pool_max_size),
            # The replication group runs with cluster mode enabled: the client must follow
            # MOVED redirects (service/cloudmetrics/cache.py).
            "REDIS_CLUSTER": "true",
            # Tasks accept traffic only from the ALB's security group, so its X-Forwarded-For
            # is the client's address (rate limits are per client, not per ALB node).
            "FORWARDED_ALLOW_IPS": "*",
        }
        self.parameter_arns = {}
        for variable, value in values.items():
            parameter = aws.ssm.Parameter(
                f"{name}-{variable.lower().replace('_', '-')}",
                name=f"{settings.parameter_path}/{variable}",
                type="String",
                value=value,
                description=f"{variable} of the {settings.environment} service",
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.parameter_arns[variable] = parameter.arn
        self.register_outputs({"parameterArns": self.parameter_arns})
