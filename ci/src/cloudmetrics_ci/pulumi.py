"""The Pulumi CLI in its pinned container, the commands a deploy runs, the outputs it reads."""

import json
import re
from dataclasses import dataclass
from typing import Any, Final, cast

import dagger
from dagger import dag

from cloudmetrics_ci import images
from cloudmetrics_ci.aws import AwsCredentials
from cloudmetrics_ci.environments import Environment

INFRA_DIR: Final = "/infra"
PIP_CACHE_VOLUME: Final = "cloudmetrics-pip"
IMAGE_TAG_KEY: Final = "cloudmetrics:imageTag"
# The CrossGuard policy pack (infra/policy_pack) every preview and update must pass.
POLICY_PACK: Final = f"{INFRA_DIR}/policy_pack"
# The CLI runs a local Python pack through its `pulumi-analyzer-policy-python` shim, which
# exits when the virtualenv PulumiPolicy.yaml names is missing: the engine installs a pack's
# dependencies only for packs it downloads, and `pulumi install` inside a pack nested under a
# program installs the program's instead (pulumi/pulumi#16605). So the container makes it.
POLICY_PACK_VENV: Final = f"{POLICY_PACK}/venv"
POLICY_PACK_REQUIREMENTS: Final = f"{POLICY_PACK}/requirements.txt"
# Refuses a stack whose Pulumi.<env>.yaml still holds placeholder values (exit != 0, key named).
STACK_CONFIG_CHECK: Final = "check_stack_config.py"
# Pulumi installs infra/requirements.txt into this virtualenv (infra/Pulumi.yaml).
INFRA_PYTHON: Final = f"{INFRA_DIR}/venv/bin/python"

# Where infra/ declares the migration task definition: project `cloudmetrics`
# (infra/Pulumi.yaml), a `cloudmetrics:infra:MigrationTask` component named
# "migrations" and its child "migrations-task" (infra/cloudmetrics_infra/).
PULUMI_PROJECT: Final = "cloudmetrics"
MIGRATION_TASK_DEFINITION_TYPE: Final = (
    "cloudmetrics:infra:MigrationTask$aws:ecs/taskDefinition:TaskDefinition"
)
MIGRATION_TASK_DEFINITION_NAME: Final = "migrations-task"


def infra_workspace(source: dagger.Directory) -> dagger.Container:
    """infra/ with its and its policy pack's dependencies installed, and no credentials at all.

    The pack's virtualenv and `pulumi install` run on the locks (and Pulumi.yaml) alone,
    before the program is copied, so an infra code change reuses the dependency layers. The
    source upload leaves every `venv` out, so copying the program keeps the pack's.
    """
    infra = source.directory("infra")
    return (
        dag.container()
        .from_(images.PULUMI)
        .with_mounted_cache("/root/.cache/pip", dag.cache_volume(PIP_CACHE_VOLUME))
        .with_env_variable("PULUMI_SKIP_UPDATE_CHECK", "true")
        .with_workdir(INFRA_DIR)
        .with_file(POLICY_PACK_REQUIREMENTS, infra.file("policy_pack/requirements.txt"))
        .with_exec(["python3", "-m", "venv", POLICY_PACK_VENV])
        .with_exec(
            [
                f"{POLICY_PACK_VENV}/bin/pip",
                "install",
                "--require-hashes",
                "--requirement",
                POLICY_PACK_REQUIREMENTS,
            ]
        )
        .with_file(f"{INFRA_DIR}/Pulumi.yaml", infra.file("Pulumi.yaml"))
        .with_file(f"{INFRA_DIR}/requirements.txt", infra.file("requirements.txt"))
        .with_exec(["pulumi", "install"])
        .with_directory(INFRA_DIR, infra)
    )


def logged_in(
    workspace: dagger.Container,
    env: Environment,
    credentials: AwsCredentials,
    backend_url: dagger.Secret,
) -> dagger.Container:
    """The workspace logged in to the environment's state, its stack selected.

    The stack must already exist: its Pulumi.<env>.yaml names the KMS secrets
    provider, so no passphrase is needed, and a missing stack fails here instead
    of being created on the fly with a key nobody committed.
    """
    with_state = workspace.with_secret_variable("PULUMI_BACKEND_URL", backend_url)
    return credentials.apply(with_state).with_exec(
        ["pulumi", "stack", "select", "--non-interactive", env.stack]
    )


def stack_config_check_command(env: Environment) -> list[str]:
    """The placeholder check of the stack's configuration (offline, before any AWS call)."""
    return [INFRA_PYTHON, STACK_CONFIG_CHECK, "--stack", env.stack]


def stack_output_command(env: Environment) -> list[str]:
    """Every stack output as one JSON object."""
    return ["pulumi", "stack", "output", "--json", "--non-interactive", "--stack", env.stack]


def migration_urn(env: Environment) -> str:
    """The URN `pulumi up --target` narrows the first update to."""
    return (
        f"urn:pulumi:{env.stack}::{PULUMI_PROJECT}::"
        f"{MIGRATION_TASK_DEFINITION_TYPE}::{MIGRATION_TASK_DEFINITION_NAME}"
    )


def up_command(
    env: Environment, image_tag: str, message: str, targets: list[str] | None = None
) -> list[str]:
    """`pulumi up` with the policy pack and the image tag, optionally narrowed to targets."""
    command = [
        "pulumi",
        "up",
        "--yes",
        "--skip-preview",
        "--non-interactive",
        "--stack",
        env.stack,
        "--policy-pack",
        POLICY_PACK,
        "--config",
        f"{IMAGE_TAG_KEY}={image_tag}",
        "--message",
        message,
    ]
    for target in targets or []:
        command += ["--target", target]
    return command


class StackOutputError(ValueError):
    """`pulumi stack output --json` did not hold what the deploy needs."""


def _outputs_object(text: str) -> dict[str, Any]:
    """The object `pulumi stack output --json` prints."""
    try:
        raw: object = json.loads(text)
    except json.JSONDecodeError as error:
        raise StackOutputError(f"stack outputs are not JSON: {error}") from error
    if not isinstance(raw, dict):
        raise StackOutputError("stack outputs are not a JSON object")
    return cast(dict[str, Any], raw)


def _text(outputs: dict[str, Any], name: str) -> str:
    value = outputs.get(name)
    if not isinstance(value, str) or not value:
        raise StackOutputError(f"stack output {name!r} is missing or not a string")
    return value


def _texts(outputs: dict[str, Any], name: str) -> tuple[str, ...]:
    value = outputs.get(name)
    if not isinstance(value, list) or not value:
        raise StackOutputError(f"stack output {name!r} is missing or not a list")
    items = cast(list[Any], value)
    if not all(isinstance(item, str) and item for item in items):
        raise StackOutputError(f"stack output {name!r} holds something other than strings")
    return tuple(cast(list[str], items))


@dataclass(frozen=True)
class StackOutputs:
    """Where the environment's pieces live (the stack outputs infra/__main__.py exports)."""

    alb_url: str
    ecr_repository_url: str
    cluster_name: str
    service_name: str
    migration_task_definition_arn: str
    private_subnet_ids: tuple[str, ...]
    service_security_group_id: str

    @classmethod
    def from_json(cls, text: str) -> "StackOutputs":
        """Parse `pulumi stack output --json`."""
        outputs = _outputs_object(text)
        return cls(
            alb_url=_text(outputs, "albUrl"),
            ecr_repository_url=_text(outputs, "ecrRepositoryUrl"),
            cluster_name=_text(outputs, "clusterName"),
            service_name=_text(outputs, "serviceName"),
            migration_task_definition_arn=_text(outputs, "migrationTaskDefinitionArn"),
            private_subnet_ids=_texts(outputs, "privateSubnetIds"),
            service_security_group_id=_text(outputs, "serviceSecurityGroupId"),
        )

    @property
    def registry(self) -> str:
        """The registry host that publish authenticates against."""
        return registry_of(self.ecr_repository_url)

    @property
    def repository_name(self) -> str:
        """The ECR repository name, as `aws ecr` commands want it."""
        return self.ecr_repository_url.split("/", 1)[1]

    @property
    def migration_task_family(self) -> str:
        """The task definition family, without the revision.

        The ARN output may still name the previous revision right after the
        targeted update registered a new one; the family always resolves to the
        latest active revision.
        """
        return _family(self.migration_task_definition_arn)


# A Secrets Manager ARN, and nothing a shell would read as more than one word.
SECRET_ARN_PATTERN: Final = re.compile(
    r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+"
)


@dataclass(frozen=True)
class SmokeKeyOutputs:
    """What the smoke test needs once the full update is done: the task that registers its key
    and the secret holding it. Read after `pulumi up`, which may have made both."""

    registration_task_definition_arn: str
    secret_arn: str

    @classmethod
    def from_json(cls, text: str) -> "SmokeKeyOutputs":
        """Parse `pulumi stack output --json`."""
        outputs = _outputs_object(text)
        secret_arn = _text(outputs, "smokeKeySecretArn")
        if not SECRET_ARN_PATTERN.fullmatch(secret_arn):
            raise StackOutputError("stack output 'smokeKeySecretArn' is not a secret's ARN")
        return cls(
            registration_task_definition_arn=_text(outputs, "smokeKeyTaskDefinitionArn"),
            secret_arn=secret_arn,
        )

    @property
    def registration_task_family(self) -> str:
        """The registration task definition's family (see StackOutputs.migration_task_family)."""
        return _family(self.registration_task_definition_arn)


def _family(task_definition_arn: str) -> str:
    name = task_definition_arn.rsplit("/", 1)[-1]
    return name.split(":", 1)[0]


def registry_of(repository_url: str) -> str:
    """`<account>.dkr.ecr.<region>.amazonaws.com` of a repository URL."""
    return repository_url.split("/", 1)[0]
