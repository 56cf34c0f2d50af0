"""Container definitions of the web service and of its one-off and scheduled tasks.

All run the same image with the same configuration; the command differs, and so do the
credentials: each gets only those its command uses. Everything the service reads from its
environment arrives as `secrets` (valueFrom a parameter or a secret); the plain `environment`
holds only values that are neither configuration nor secret.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pulumi

from cloudmetrics_infra.settings import SERVICE_PORT

CONTAINER_NAME = "cloudmetrics"
# Runs as an unprivileged user (Security Hub ECS.20); the image's files need only be readable.
CONTAINER_USER = "10001:10001"
SERVE_COMMAND = ("cloudmetrics", "serve")
# --allow-ahead: redeploying the previous release (a rollback) finds the database already
# expanded by the newer one; that is a no-op under expand/contract, not an error. Edited or
# deleted migrations are still refused.
MIGRATE_COMMAND = ("cloudmetrics", "migrate", "up", "--allow-ahead")
# `cloudmetrics healthcheck` hits /health: slim images have no curl (docs/adr on health checks).
HEALTH_CHECK_COMMAND = ("CMD", "cloudmetrics", "healthcheck")
# The JSON key of the RDS-managed secret that holds the password.
SECRET_PASSWORD_KEY = "password"  # noqa: S105 -- a JSON key name, not a password


def secret_reference(secret_arn: str, json_key: str) -> str:
    """ECS's valueFrom for one key of a JSON secret: arn:json-key:version-stage:version-id."""
    return f"{secret_arn}:{json_key}::"


@dataclass(frozen=True)
class ContainerInputs:
    image: str
    region: str
    log_group: str
    release_id: str
    parameter_arns: Mapping[str, str]
    database_secret_arn: str
    cache_secret_arn: str
    session_secret_arn: str


class Credential(enum.Enum):
    """A secret a task's command may need, by what it unlocks."""

    DATABASE = "PGPASSWORD"
    CACHE = "REDIS_PASSWORD"
    SESSION = "SESSION_SECRET"


# The service uses all three. The one-off commands (migrate, maintain, register the smoke key)
# talk to the database alone, so their task definitions carry its password and nothing else.
SERVICE_CREDENTIALS: Final = frozenset(Credential)
DATABASE_ONLY: Final = frozenset({Credential.DATABASE})


def secrets(inputs: ContainerInputs, credentials: Collection[Credential]) -> list[dict[str, str]]:
    # Configuration parameters are not secret (SSM String parameters): every task gets them all,
    # so every command reads the same settings.
    injected = [
        {"name": variable, "valueFrom": arn}
        for variable, arn in sorted(inputs.parameter_arns.items())
    ]
    value_from = {
        Credential.DATABASE: secret_reference(inputs.database_secret_arn, SECRET_PASSWORD_KEY),
        # The Redis AUTH token: the whole secret string.
        Credential.CACHE: inputs.cache_secret_arn,
        # The CSRF signing key: the same in every task, so a form served by one is accepted by
        # all.
        Credential.SESSION: inputs.session_secret_arn,
    }
    injected.extend(
        {"name": credential.value, "valueFrom": value_from[credential]}
        for credential in Credential
        if credential in credentials
    )
    return injected


def container_definition(
    inputs: ContainerInputs,
    *,
    command: Sequence[str],
    stream_prefix: str,
    serves_http: bool,
    credentials: Collection[Credential],
) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": inputs.image,
        "command": list(command),
        "essential": True,
        "user": CONTAINER_USER,
        "privileged": False,
        "readonlyRootFilesystem": True,
        "environment": [
            {"name": "HOST", "value": "0.0.0.0"},  # noqa: S104 -- the task's own network namespace
            {"name": "PORT", "value": str(SERVICE_PORT)},
            {"name": "RELEASE_ID", "value": inputs.release_id},
        ],
        "secrets": secrets(inputs, credentials),
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": inputs.log_group,
                "awslogs-region": inputs.region,
                "awslogs-stream-prefix": stream_prefix,
            },
        },
    }
    if serves_http:
        definition["portMappings"] = [{"containerPort": SERVICE_PORT, "protocol": "tcp"}]
        definition["healthCheck"] = {
            "command": list(HEALTH_CHECK_COMMAND),
            "interval": 15,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 30,
        }
    return definition


def container_inputs(
    *,
    repository_url: pulumi.Input[str],
    image_tag: str,
    region: str,
    log_group_name: pulumi.Input[str],
    parameter_arns: Mapping[str, pulumi.Input[str]],
    database_secret_arn: pulumi.Input[str],
    cache_secret_arn: pulumi.Input[str],
    session_secret_arn: pulumi.Input[str],
) -> pulumi.Output[ContainerInputs]:
    """Resolve the resource outputs a container definition needs into one plain value."""
    names = list(parameter_arns)
    return pulumi.Output.all(
        repository_url,
        log_group_name,
        database_secret_arn,
        cache_secret_arn,
        session_secret_arn,
        *[parameter_arns[variable] for variable in names],
    ).apply(
        lambda values: ContainerInputs(
            image=f"{values[0]}:{image_tag}",
            region=region,
            log_group=values[1],
            release_id=image_tag,
            parameter_arns=dict(zip(names, values[5:], strict=True)),
            database_secret_arn=values[2],
            cache_secret_arn=values[3],
            session_secret_arn=values[4],
        )
    )


def definitions_json(
    inputs: pulumi.Output[ContainerInputs],
    *,
    command: Sequence[str],
    stream_prefix: str,
    serves_http: bool,
    credentials: Collection[Credential],
) -> pulumi.Output[str]:
    return inputs.apply(
        lambda resolved: json.dumps(
            [
                container_definition(
                    resolved,
                    command=command,
                    stream_prefix=stream_prefix,
                    serves_http=serves_http,
                    credentials=credentials,
                )
            ]
        )
    )
