"""The containers of one deploy, built lazily: nothing here talks to an engine.

`deploy.py` awaits them in the contract's order; the tests walk them offline.
"""

import re
from dataclasses import dataclass
from typing import Final

import dagger
from dagger import ReturnType

from cloudmetrics_ci import ecs, pulumi
from cloudmetrics_ci.aws import AwsCredentials, aws_cli
from cloudmetrics_ci.environments import Environment
from cloudmetrics_ci.freshness import for_run
from cloudmetrics_ci.outputs import StackOutputs
from cloudmetrics_ci.smoke import smoke_container

# Where infra/ declares the migration task definition: project `cloudmetrics`
# (infra/Pulumi.yaml), a `cloudmetrics:infra:MigrationTask` component named
# "migrations" and its child "migrations-task" (infra/cloudmetrics_infra/).
PULUMI_PROJECT: Final = "cloudmetrics"
MIGRATION_TASK_DEFINITION_TYPE: Final = (
    "cloudmetrics:infra:MigrationTask$aws:ecs/taskDefinition:TaskDefinition"
)
MIGRATION_TASK_DEFINITION_NAME: Final = "migrations-task"
# A path inside a throwaway container, not a password.
ECR_PASSWORD_FILE: Final = "/tmp/ecr-password"  # noqa: S105, S108


# A commit id, abbreviated or full: ECR tags are immutable, so a deploy must never
# publish a movable name such as "local" or "latest".
REVISION_PATTERN: Final = re.compile(r"[0-9a-f]{7,40}")


class RevisionError(ValueError):
    """The revision to deploy is not a git commit id."""


@dataclass(frozen=True)
class DeployTarget:
    """Everything that says where and what to deploy."""

    env: Environment
    revision: str
    credentials: AwsCredentials
    backend_url: dagger.Secret
    run_id: str
    migration_target: str | None = None

    def __post_init__(self) -> None:
        if not REVISION_PATTERN.fullmatch(self.revision):
            raise RevisionError(
                f"--revision must be a git commit id (git rev-parse HEAD), not {self.revision!r}"
            )

    @property
    def migration_urn(self) -> str:
        """The URN `pulumi up --target` narrows the first update to."""
        if self.migration_target:
            return self.migration_target
        return (
            f"urn:pulumi:{self.env.stack}::{PULUMI_PROJECT}::"
            f"{MIGRATION_TASK_DEFINITION_TYPE}::{MIGRATION_TASK_DEFINITION_NAME}"
        )


@dataclass(frozen=True)
class DeployPlan:
    """The lazily built containers for each step of a deploy."""

    source: dagger.Directory
    image: dagger.Container
    target: DeployTarget

    @property
    def image_tag(self) -> str:
        """Images are tagged with the git revision (ECR tags are immutable)."""
        return self.target.revision

    def _message(self, what: str) -> str:
        return f"{what} {self.target.revision} (run {self.target.run_id})"

    def pulumi(self) -> dagger.Container:
        """The environment's stack, ready for commands."""
        return pulumi.pulumi_workspace(
            self.source,
            self.target.env,
            self.target.credentials,
            self.target.backend_url,
            self.target.run_id,
        )

    def aws(self) -> dagger.Container:
        """The AWS CLI for this run."""
        return for_run(aws_cli(self.target.credentials), self.target.run_id)

    def read_outputs(self) -> dagger.Container:
        """Step 0: the stack outputs as JSON on stdout."""
        return self.pulumi().with_exec(pulumi.stack_output_command(self.target.env))

    def image_tag_lookup(self, outputs: StackOutputs) -> dagger.Container:
        """Whether this revision is already in ECR (a re-run must not push it twice)."""
        return self.aws().with_exec(
            [
                "aws",
                "ecr",
                "describe-images",
                "--repository-name",
                outputs.repository_name,
                "--image-ids",
                f"imageTag={self.image_tag}",
            ],
            expect=ReturnType.ANY,
        )

    def ecr_login(self) -> dagger.Container:
        """An ECR token written to a file, so that it never reaches the logs."""
        return self.aws().with_exec(
            ["aws", "ecr", "get-login-password"], redirect_stdout=ECR_PASSWORD_FILE
        )

    def publishable_image(self, outputs: StackOutputs, password: dagger.Secret) -> dagger.Container:
        """Step 1: the service image with credentials for the environment's registry."""
        return self.image.with_registry_auth(outputs.registry, "AWS", password)

    def image_reference(self, outputs: StackOutputs) -> str:
        """Where the image is published."""
        return f"{outputs.ecr_repository_url}:{self.image_tag}"

    def update_migration_task_definition(self) -> dagger.Container:
        """Step 2: only the migration task definition moves to the new image."""
        return self.pulumi().with_exec(
            pulumi.up_command(
                self.target.env,
                self.image_tag,
                self._message("migration task definition for"),
                targets=[self.target.migration_urn],
            )
        )

    def start_migration_task(self, outputs: StackOutputs) -> dagger.Container:
        """Step 3a: run the one-off task inside the VPC; stdout is the run-task JSON."""
        return self.aws().with_exec(ecs.run_task_command(outputs))

    def wait_for_migration_task(self, outputs: StackOutputs, task_arn: str) -> dagger.Container:
        """Step 3b: wait for it to stop, then describe it for the exit codes."""
        return (
            self.aws()
            .with_exec(ecs.wait_command(outputs, task_arn))
            .with_exec(ecs.describe_command(outputs, task_arn))
        )

    def roll_out(self) -> dagger.Container:
        """Step 4: the whole stack; ECS rolls the service, the circuit breaker rolls back."""
        return self.pulumi().with_exec(
            pulumi.up_command(self.target.env, self.image_tag, self._message("deploy"))
        )

    def smoke(self, outputs: StackOutputs) -> dagger.Container:
        """Step 5: the new image checks the environment through its load balancer."""
        return smoke_container(self.image, outputs.alb_url, self.target.run_id)
