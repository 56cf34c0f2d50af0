"""The service's configuration as SSM parameters under /cloudmetrics/<env>/.

The task definition takes every one of them as a `secret` (valueFrom), so changing a value is a
parameter edit plus a new deployment, and nothing here ends up in a task definition's plain
environment. None of them is a credential: DATABASE_URL carries neither user nor password; each
task gets the role it connects as from a secret, as PGUSER and PGPASSWORD, which asyncpg reads
when the URL has none (docs/adr/0058).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cloudmetrics_infra.settings import (
    CACHE_PORT,
    DATABASE_NAME,
    DATABASE_PORT,
    StackSettings,
)

# Where the service image keeps Amazon RDS's CA bundle (global-bundle.pem); the image build puts
# it there (ci/src/cloudmetrics_ci/build.py, docs/infrastructure.md).
RDS_CA_BUNDLE = "/app/certs/rds-global-bundle.pem"


def database_url(address: str) -> str:
    # RDS refuses unencrypted sessions (rds.force_ssl=1). verify-full also checks that the
    # server's certificate chains to the RDS CA and names this endpoint: "require" would
    # encrypt to anyone answering on the address. asyncpg reads both from the URL.
    return (
        f"postgresql://{address}:{DATABASE_PORT}/{DATABASE_NAME}"
        f"?sslmode=verify-full&sslrootcert={RDS_CA_BUNDLE}"
    )


def redis_url(configuration_endpoint: str) -> str:
    # rediss: the replication group requires TLS; the AUTH token arrives as REDIS_PASSWORD.
    return f"rediss://{configuration_endpoint}:{CACHE_PORT}/0"


def trusted_proxies(settings: StackSettings, cloudfront_cidrs: list[str]) -> str:
    """FORWARDED_ALLOW_IPS: the public subnets, where the ALB's nodes live, and CloudFront.

    A request crosses two proxies: CloudFront appends the client's address to X-Forwarded-For,
    then the ALB appends CloudFront's. Trusting both (and nobody else) makes uvicorn skip the
    ALB peer and CloudFront's entry and take the client's, while anything a client wrote
    further left stays ignored.

    Uvicorn takes the client's address from X-Forwarded-For, walking from the right past trusted
    hops. The ALB appends the address it saw on the right; anything to its left was written by
    the client. Trusting "*" makes uvicorn take the left-most entry, which anyone can forge.
    """
    public, _ = settings.subnet_cidrs()
    return ",".join([*public, *cloudfront_cidrs])


@dataclass(frozen=True)
class ServiceConfigArgs:
    settings: StackSettings
    database_address: pulumi.Output[str]
    cache_endpoint: pulumi.Output[str]
    cloudfront_cidrs: pulumi.Output[list[str]]


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
            # People reach the service only over HTTPS (CloudFront, then the ALB's TLS listener):
            # the session cookie must never travel in clear.
            "SESSION_COOKIE_SECURE": "true",
            # Rate limits are per client, not per ALB node: believe X-Forwarded-For from the ALB
            # and CloudFront only, so the address CloudFront appended is the one used.
            "FORWARDED_ALLOW_IPS": args.cloudfront_cidrs.apply(
                lambda cidrs: trusted_proxies(settings, cidrs)
            ),
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
