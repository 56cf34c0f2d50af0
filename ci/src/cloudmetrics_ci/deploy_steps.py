"""Every step of a deploy in one place: the container it runs and the pure judge of its result.

A judge sees only what the engine reports for the step's last command (exit code and
stdout) and either returns what the next step needs or raises `StepFailed`. Each step's
last command runs with `expect=ANY`, so an exit code is a judge's decision, never the
engine's: tests hand the real judges canned outcomes (tests/ci/test_deploy_run.py).
"""

import enum
import json
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar, cast

import dagger
from dagger import ReturnType, dag

from cloudmetrics_ci import pulumi
from cloudmetrics_ci.aws import AwsCredentials, aws_cli
from cloudmetrics_ci.build import PLATFORM
from cloudmetrics_ci.environments import Environment
from cloudmetrics_ci.freshness import for_run, for_step
from cloudmetrics_ci.pulumi import SmokeKeyOutputs, StackOutputs, registry_of
from cloudmetrics_ci.smoke import smoke_container

T = TypeVar("T")

# A path inside a throwaway container, not a password.
ECR_PASSWORD_FILE: Final = "/tmp/ecr-password"  # noqa: S105, S108
# The shell writes the token straight to the file: the process's stdout is the file, so
# nothing reaches the engine's log. (`redirect_stdout` would not do: in dagger 0.21 it
# adds the file as a second writer next to the log, dagger/dagger#8798.)
ECR_LOGIN_SCRIPT: Final = f"umask 077 && aws ecr get-login-password > {ECR_PASSWORD_FILE}"
# The smoke key is read the same way: the secret's value goes from the CLI straight into a
# file only the shell's user can read, and into the deploy as a Dagger secret.
SMOKE_KEY_FILE: Final = "/tmp/smoke-api-key"  # noqa: S108 - inside a throwaway container
# `cloudmetrics smoke` reads its key from here (service/cloudmetrics/cli/smoke.py).
SMOKE_KEY_VARIABLE: Final = "CLOUDMETRICS_API_KEY"
# The service's key format (service/cloudmetrics/identity/key_format.py), checked here too so
# that a secret holding something else stops the deploy with its name, not with a 401.
SMOKE_KEY_PATTERN: Final = re.compile(r"cm_[0-9a-f]{16}_[A-Za-z0-9_-]{43}")
STARTED_BY: Final = "cloudmetrics-deploy"
# A commit id, abbreviated or full: ECR tags are immutable, so a deploy must never
# publish a movable name such as "local" or "latest".
REVISION_PATTERN: Final = re.compile(r"[0-9a-f]{7,40}")
DIGEST_PATTERN: Final = re.compile(r"sha256:[0-9a-f]{64}")


class DeployStep(enum.StrEnum):
    """The steps of a deploy, named as the runbook names them, in their order."""

    CHECK_CONFIG = "check stack config"
    READ_OUTPUTS = "read stack outputs"
    PUBLISH_IMAGE = "publish image"
    MIGRATION_TASK_DEFINITION = "update migration task definition"
    RUN_MIGRATIONS = "run migration task"
    ROLL_OUT = "pulumi up"
    VERIFY_RELEASE = "verify release"
    REGISTER_SMOKE_KEY = "register smoke key"
    READ_SMOKE_KEY = "read smoke key"
    SMOKE = "smoke test"


class StepFailed(RuntimeError):
    """A judge's verdict: the step's command ran and its result is not acceptable."""


class RevisionError(ValueError):
    """The revision to deploy is not a git commit id."""


@dataclass(frozen=True)
class Outcome:
    """What the engine reports for a step's last command."""

    exit_code: int
    stdout: str


@dataclass(frozen=True)
class Step(Generic[T]):
    """A container to run and the judge of its outcome."""

    name: DeployStep
    container: dagger.Container
    judge: Callable[[Outcome], T]


@dataclass(frozen=True)
class DeployTarget:
    """Everything that says where and what to deploy."""

    env: Environment
    revision: str
    credentials: AwsCredentials
    backend_url: dagger.Secret
    run_id: str
    migration_target: str | None = None
    # Staging and prod: the previous environment's ECR repository, whose image of
    # `revision` is copied by digest instead of being rebuilt (docs/adr/0046).
    source_repository: str | None = None

    def __post_init__(self) -> None:
        if not REVISION_PATTERN.fullmatch(self.revision):
            raise RevisionError(
                f"--revision must be a git commit id (git rev-parse HEAD), not {self.revision!r}"
            )
        if self.env is not Environment.dev and not self.source_repository:
            raise RevisionError(
                f"{self.env.value} deploys the image the previous environment ran: "
                "pass --source-repository=<its ECR repository URL>"
            )
        if self.env is Environment.dev and self.source_repository:
            raise RevisionError("dev builds its image; --source-repository is for promotions")

    @property
    def migration_urn(self) -> str:
        """The URN `pulumi up --target` narrows the first update to."""
        return self.migration_target or pulumi.migration_urn(self.env)

    def message(self, what: str) -> str:
        """The update message Pulumi records."""
        return f"{what} {self.revision} (run {self.run_id})"


def _judged(container: dagger.Container, command: list[str]) -> dagger.Container:
    # The judge decides about the exit code, so the engine must not fail the exec first.
    return container.with_exec(command, expect=ReturnType.ANY)


def succeeded(what: str) -> Callable[[Outcome], None]:
    """A judge that wants exit code 0 and nothing else."""

    def judge(outcome: Outcome) -> None:
        if outcome.exit_code != 0:
            raise StepFailed(f"{what} exited with {outcome.exit_code} (its output is in the log)")

    return judge


def _document(outcome: Outcome, command: str) -> dict[str, Any]:
    if outcome.exit_code != 0:
        raise StepFailed(f"`{command}` exited with {outcome.exit_code}")
    try:
        raw: object = json.loads(outcome.stdout)
    except json.JSONDecodeError as error:
        raise StepFailed(f"`{command}` printed no JSON: {error}") from error
    if not isinstance(raw, dict):
        raise StepFailed(f"`{command}` printed an unexpected document")
    return cast(dict[str, Any], raw)


def read_outputs_judge(outcome: Outcome) -> StackOutputs:
    """The stack outputs, or a failure naming the missing one."""
    if outcome.exit_code != 0:
        raise StepFailed(f"`pulumi stack output` exited with {outcome.exit_code}")
    return StackOutputs.from_json(outcome.stdout)


def image_lookup_judge(outcome: Outcome) -> str | None:
    """The digest the tag points at, or None when the repository has no such tag."""
    document = _document(outcome, "aws ecr batch-get-image")
    images = cast(list[dict[str, Any]], document.get("images") or [])
    if images:
        digest: object = images[0].get("imageDigest")
        if not isinstance(digest, str) or not DIGEST_PATTERN.fullmatch(digest):
            raise StepFailed(f"ECR reported the digest {digest!r}")
        return digest
    failures = cast(list[dict[str, Any]], document.get("failures") or [])
    codes = {str(failure.get("failureCode")) for failure in failures}
    if codes <= {"ImageNotFound", "ImageTagDoesNotMatchDigest"}:
        return None
    raise StepFailed(f"`aws ecr batch-get-image` reported failures: {sorted(codes)}")


def published_digest(reference: str, expected: str | None = None) -> str:
    """The digest of a published `address@sha256:...`; with `expected`, it must be that one."""
    _, _, digest = reference.rpartition("@")
    if not DIGEST_PATTERN.fullmatch(digest):
        raise StepFailed(f"publish returned {reference!r}, which names no digest")
    if expected is not None and digest != expected:
        raise StepFailed(f"the copy has digest {digest}, the source image {expected}")
    return digest


def started_task_judge(outcome: Outcome) -> str:
    """The ARN of the task `aws ecs run-task` started."""
    document = _document(outcome, "aws ecs run-task")
    if document.get("failures"):
        raise StepFailed(f"`aws ecs run-task` reported failures: {document['failures']}")
    tasks = cast(list[dict[str, Any]], document.get("tasks") or [])
    arn = tasks[0].get("taskArn") if tasks else None
    if not isinstance(arn, str) or not arn:
        raise StepFailed("`aws ecs run-task` started no task")
    return arn


def smoke_key_outputs_judge(outcome: Outcome) -> SmokeKeyOutputs:
    """The smoke key's task and secret from the updated stack's outputs."""
    if outcome.exit_code != 0:
        raise StepFailed(f"`pulumi stack output` exited with {outcome.exit_code}")
    return SmokeKeyOutputs.from_json(outcome.stdout)


def stopped_task_judge(outcome: Outcome) -> None:
    """Every container of the stopped one-off task exited, and with 0."""
    document = _document(outcome, "aws ecs describe-tasks")
    tasks = cast(list[dict[str, Any]], document.get("tasks") or [])
    if not tasks:
        raise StepFailed("`aws ecs describe-tasks` returned no task")
    task = tasks[0]
    containers = cast(list[dict[str, Any]], task.get("containers") or [])
    exit_codes = {str(c.get("name", "?")): c.get("exitCode") for c in containers}
    if not exit_codes or any(code != 0 for code in exit_codes.values()):
        reason = task.get("stoppedReason") or "no reason given"
        raise StepFailed(
            f"task {task.get('taskArn')} stopped with exit codes {exit_codes} ({reason})"
        )


def primary_deployment_judge(outcome: Outcome) -> str:
    """The task definition of the service's primary deployment, once its rollout completed."""
    document = _document(outcome, "aws ecs describe-services")
    services = cast(list[dict[str, Any]], document.get("services") or [])
    if not services:
        raise StepFailed("`aws ecs describe-services` returned no service")
    deployments = cast(list[dict[str, Any]], services[0].get("deployments") or [])
    primary = [d for d in deployments if d.get("status") == "PRIMARY"]
    if len(primary) != 1:
        raise StepFailed(f"the service has {len(primary)} primary deployments")
    state = primary[0].get("rolloutState")
    if state != "COMPLETED":
        reason = primary[0].get("rolloutStateReason") or "no reason given"
        raise StepFailed(f"the primary deployment's rollout is {state} ({reason})")
    return str(primary[0].get("taskDefinition"))


def release_image_judge(expected_image: str) -> Callable[[Outcome], None]:
    """A judge that wants `expected_image` in the primary deployment's task definition."""

    def judge(outcome: Outcome) -> None:
        document = _document(outcome, "aws ecs describe-task-definition")
        definition = cast(dict[str, Any], document.get("taskDefinition") or {})
        containers = cast(list[dict[str, Any]], definition.get("containerDefinitions") or [])
        images = sorted(str(c.get("image")) for c in containers)
        if expected_image not in images:
            raise StepFailed(
                f"the service runs {definition.get('taskDefinitionArn')} with {images}, not"
                f" {expected_image}: ECS rolled the deployment back"
            )

    return judge


class DeploySteps:
    """The lazily built steps of one deploy; nothing here talks to an engine."""

    def __init__(
        self, source: dagger.Directory, build: dagger.Container, target: DeployTarget
    ) -> None:
        self.source = source
        self.target = target
        self._build = build

    def _aws(self) -> dagger.Container:
        return for_run(aws_cli(self.target.credentials), self.target.run_id)

    def _pulumi(self, step: DeployStep) -> dagger.Container:
        target = self.target
        workspace = for_run(pulumi.infra_workspace(self.source), target.run_id)
        logged_in = pulumi.logged_in(workspace, target.env, target.credentials, target.backend_url)
        return for_step(logged_in, step)

    def check_stack_config(self) -> Step[None]:
        """First, and with no credentials: a placeholder left in Pulumi.<env>.yaml stops here."""
        container = for_run(pulumi.infra_workspace(self.source), self.target.run_id)
        command = pulumi.stack_config_check_command(self.target.env)
        return Step(
            DeployStep.CHECK_CONFIG,
            _judged(container, command),
            succeeded("the stack configuration check"),
        )

    def read_outputs(self) -> Step[StackOutputs]:
        """The stack outputs as JSON on stdout."""
        command = pulumi.stack_output_command(self.target.env)
        step = DeployStep.READ_OUTPUTS
        return Step(step, _judged(self._pulumi(step), command), read_outputs_judge)

    def image_lookup(self, repository_url: str) -> Step[str | None]:
        """The digest of this revision's tag in `repository_url`, if it is there."""
        registry = registry_of(repository_url)
        command = [
            "aws",
            "ecr",
            "batch-get-image",
            "--registry-id",
            registry.split(".", 1)[0],
            "--repository-name",
            repository_url.split("/", 1)[1],
            "--image-ids",
            f"imageTag={self.target.revision}",
            "--query",
            "{images: images[].imageId, failures: failures}",
            "--output",
            "json",
        ]
        return Step(DeployStep.PUBLISH_IMAGE, _judged(self._aws(), command), image_lookup_judge)

    def ecr_password(self) -> dagger.File:
        """An ECR token, written to a file by the shell; it never reaches stdout."""
        return self._aws().with_exec(["sh", "-c", ECR_LOGIN_SCRIPT]).file(ECR_PASSWORD_FILE)

    def shipped_image(self, password: dagger.Secret, source_digest: str | None) -> dagger.Container:
        """The image this deploy ships: built here (dev), or the source's bytes by digest."""
        if self.target.source_repository is None or source_digest is None:
            return self._build
        source = self.target.source_repository
        return (
            dag.container(platform=PLATFORM)
            .with_registry_auth(registry_of(source), "AWS", password)
            .from_(f"{source}@{source_digest}")
        )

    def update_migration_task_definition(self) -> Step[None]:
        """Only the migration task definition moves to the new image."""
        target = self.target
        command = pulumi.up_command(
            target.env,
            target.revision,
            target.message("migration task definition for"),
            targets=[target.migration_urn],
        )
        step = DeployStep.MIGRATION_TASK_DEFINITION
        return Step(
            step,
            _judged(self._pulumi(step), command),
            succeeded("the targeted `pulumi up`"),
        )

    def _start_task(self, step: DeployStep, outputs: StackOutputs, family: str) -> Step[str]:
        """A one-off task inside the VPC, where the database is; stdout is the run-task JSON."""
        network = {
            "awsvpcConfiguration": {
                "subnets": list(outputs.private_subnet_ids),
                "securityGroups": [outputs.service_security_group_id],
                "assignPublicIp": "DISABLED",
            }
        }
        command = [
            "aws",
            "ecs",
            "run-task",
            "--cluster",
            outputs.cluster_name,
            "--task-definition",
            family,
            "--launch-type",
            "FARGATE",
            "--count",
            "1",
            "--started-by",
            STARTED_BY,
            "--network-configuration",
            json.dumps(network, separators=(",", ":")),
            "--output",
            "json",
        ]
        return Step(step, _judged(self._aws(), command), started_task_judge)

    def _wait_for_task(self, step: DeployStep, outputs: StackOutputs, task_arn: str) -> Step[None]:
        """Wait for the task to stop (about ten minutes at most), then read its exit codes."""
        cluster = ["--cluster", outputs.cluster_name, "--tasks", task_arn]
        container = self._aws().with_exec(["aws", "ecs", "wait", "tasks-stopped", *cluster])
        describe = ["aws", "ecs", "describe-tasks", *cluster, "--output", "json"]
        return Step(step, _judged(container, describe), stopped_task_judge)

    def start_migration_task(self, outputs: StackOutputs) -> Step[str]:
        """`cloudmetrics migrate up` in the new image, before anything is rolled out."""
        family = outputs.migration_task_family
        return self._start_task(DeployStep.RUN_MIGRATIONS, outputs, family)

    def wait_for_migration_task(self, outputs: StackOutputs, task_arn: str) -> Step[None]:
        """The migration task stopped, every container with exit code 0."""
        return self._wait_for_task(DeployStep.RUN_MIGRATIONS, outputs, task_arn)

    def roll_out(self) -> Step[None]:
        """The whole stack; ECS rolls the service, the circuit breaker may roll it back."""
        target = self.target
        command = pulumi.up_command(target.env, target.revision, target.message("deploy"))
        step = DeployStep.ROLL_OUT
        return Step(step, _judged(self._pulumi(step), command), succeeded("`pulumi up`"))

    def primary_deployment(self, outputs: StackOutputs) -> Step[str]:
        """Which task definition the service's primary deployment runs, rollout completed."""
        command = [
            "aws",
            "ecs",
            "describe-services",
            "--cluster",
            outputs.cluster_name,
            "--services",
            outputs.service_name,
            "--output",
            "json",
        ]
        return Step(
            DeployStep.VERIFY_RELEASE, _judged(self._aws(), command), primary_deployment_judge
        )

    def release_image(self, outputs: StackOutputs, task_definition: str) -> Step[None]:
        """That task definition must run this revision's image."""
        command = [
            "aws",
            "ecs",
            "describe-task-definition",
            "--task-definition",
            task_definition,
            "--output",
            "json",
        ]
        expected = f"{outputs.ecr_repository_url}:{self.target.revision}"
        return Step(
            DeployStep.VERIFY_RELEASE,
            _judged(self._aws(), command),
            release_image_judge(expected),
        )

    def read_smoke_key_outputs(self) -> Step[SmokeKeyOutputs]:
        """The outputs again, as the full update left them: it may have made the key.

        Its own step (see `for_step`): the same command as `read_outputs`, whose cached result
        would be the outputs from before the update.
        """
        command = pulumi.stack_output_command(self.target.env)
        step = DeployStep.REGISTER_SMOKE_KEY
        return Step(step, _judged(self._pulumi(step), command), smoke_key_outputs_judge)

    def start_smoke_key_registration(
        self, outputs: StackOutputs, smoke_key: SmokeKeyOutputs
    ) -> Step[str]:
        """`cloudmetrics keys ensure` in a one-off task that gets the key as a task secret."""
        family = smoke_key.registration_task_family
        return self._start_task(DeployStep.REGISTER_SMOKE_KEY, outputs, family)

    def wait_for_smoke_key_registration(self, outputs: StackOutputs, task_arn: str) -> Step[None]:
        """The registration task stopped with exit code 0: the key is the smoke project's."""
        return self._wait_for_task(DeployStep.REGISTER_SMOKE_KEY, outputs, task_arn)

    def read_smoke_key(self, smoke_key: SmokeKeyOutputs) -> Step[None]:
        """The key, written to a file by the shell; it never reaches stdout or the log.

        The exec's exit code is the judge's (the read may be refused); the file is read
        only after it passed.
        """
        return Step(
            DeployStep.READ_SMOKE_KEY,
            _judged(self._aws(), ["sh", "-c", smoke_key_script(smoke_key.secret_arn)]),
            succeeded("`aws secretsmanager get-secret-value`"),
        )

    def smoke(
        self,
        outputs: StackOutputs,
        image: dagger.Container,
        smoke_secrets: Mapping[str, dagger.Secret],
    ) -> Step[None]:
        """The shipped image checks the environment through its load balancer.

        `smoke_secrets` become secret variables of the run: `{SMOKE_KEY_VARIABLE: key}`.
        """
        container = smoke_container(
            image,
            outputs.alb_url,
            self.target.run_id,
            expect_release=self.target.revision,
            secrets=smoke_secrets,
            expect=ReturnType.ANY,
        )
        return Step(DeployStep.SMOKE, container, succeeded("`cloudmetrics smoke`"))


def smoke_key_script(secret_arn: str) -> str:
    """`aws secretsmanager get-secret-value` into SMOKE_KEY_FILE, under umask 077."""
    return (
        f"umask 077 && aws secretsmanager get-secret-value --secret-id {shlex.quote(secret_arn)}"
        f" --query SecretString --output text > {SMOKE_KEY_FILE}"
    )


def written_smoke_key(read: Step[None]) -> dagger.File:
    """The file the read step's shell wrote the key to."""
    return read.container.file(SMOKE_KEY_FILE)


def smoke_key_secret(env: Environment, text: str) -> dagger.Secret:
    """The key read from the secret, as a Dagger secret; refused unless it has a key's shape."""
    key = text.strip()
    # --output text prints "None" for a secret that holds no SecretString.
    if key in ("", "None"):
        raise StepFailed("the smoke key secret holds no value (see docs/runbook.md)")
    if not SMOKE_KEY_PATTERN.fullmatch(key):
        raise StepFailed(
            "the smoke key secret does not hold an API key (cm_<16 hex digits>_<43 URL-safe"
            " characters>); its value is not shown"
        )
    return dag.set_secret(f"smoke-api-key-{env.value}", key)


def password_secret(env: Environment, token: str) -> dagger.Secret:
    """The ECR token as a secret, so the engine masks it wherever it could appear."""
    if not token.strip():
        raise StepFailed("`aws ecr get-login-password` wrote an empty token")
    return dag.set_secret(f"ecr-password-{env.value}", token.strip())
