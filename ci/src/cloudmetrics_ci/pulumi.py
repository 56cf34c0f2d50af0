"""The Pulumi CLI in its pinned container, logged in to the environment's S3 state."""

from typing import Final

import dagger
from dagger import dag

from cloudmetrics_ci import images
from cloudmetrics_ci.aws import AwsCredentials
from cloudmetrics_ci.environments import Environment
from cloudmetrics_ci.freshness import for_run

INFRA_DIR: Final = "/infra"
PIP_CACHE_VOLUME: Final = "cloudmetrics-pip"
IMAGE_TAG_KEY: Final = "cloudmetrics:imageTag"


def pulumi_workspace(
    source: dagger.Directory,
    env: Environment,
    credentials: AwsCredentials,
    backend_url: dagger.Secret,
    run_id: str,
) -> dagger.Container:
    """infra/ with its dependencies installed and the environment's stack selected.

    `pulumi install` runs on Pulumi.yaml and the lock alone, before the program
    is copied, so an infra code change reuses the dependency layer. The stack
    must already exist: its Pulumi.<env>.yaml names the KMS secrets provider, so
    no passphrase is needed, and a missing stack fails here instead of being
    created on the fly with a key nobody committed.
    """
    infra = source.directory("infra")
    installed = (
        dag.container()
        .from_(images.PULUMI)
        .with_mounted_cache("/root/.cache/pip", dag.cache_volume(PIP_CACHE_VOLUME))
        .with_env_variable("PULUMI_SKIP_UPDATE_CHECK", "true")
        .with_workdir(INFRA_DIR)
        .with_file(f"{INFRA_DIR}/Pulumi.yaml", infra.file("Pulumi.yaml"))
        .with_file(f"{INFRA_DIR}/requirements.txt", infra.file("requirements.txt"))
        .with_exec(["pulumi", "install"])
        .with_directory(INFRA_DIR, infra)
    )
    logged_in = credentials.apply(installed.with_secret_variable("PULUMI_BACKEND_URL", backend_url))
    return for_run(logged_in, run_id).with_exec(
        ["pulumi", "stack", "select", "--non-interactive", env.stack]
    )


def stack_output_command(env: Environment) -> list[str]:
    """Every stack output as one JSON object."""
    return ["pulumi", "stack", "output", "--json", "--non-interactive", "--stack", env.stack]


def up_command(
    env: Environment, image_tag: str, message: str, targets: list[str] | None = None
) -> list[str]:
    """`pulumi up` for the stack with the image tag set, optionally narrowed to targets."""
    command = [
        "pulumi",
        "up",
        "--yes",
        "--skip-preview",
        "--non-interactive",
        "--stack",
        env.stack,
        "--config",
        f"{IMAGE_TAG_KEY}={image_tag}",
        "--message",
        message,
    ]
    for target in targets or []:
        command += ["--target", target]
    return command
