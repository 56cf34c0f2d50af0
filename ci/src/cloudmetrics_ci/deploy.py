"""A deploy, step by step, in the order the project contract fixes.

publish image -> pulumi up of the migration task definition -> migration task in
the VPC (exit code 0 required) -> full pulumi up -> smoke test. The first step
that fails stops the deploy and is named in the error; docs/runbook.md says
what to do for each.
"""

import enum
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from dagger import dag

from cloudmetrics_ci import ecs
from cloudmetrics_ci.deploy_plan import ECR_PASSWORD_FILE, DeployPlan
from cloudmetrics_ci.outputs import StackOutputs

T = TypeVar("T")


class DeployStep(enum.StrEnum):
    """The steps of a deploy, named as the runbook names them."""

    READ_OUTPUTS = "read stack outputs"
    PUBLISH_IMAGE = "publish image"
    MIGRATION_TASK_DEFINITION = "update migration task definition"
    RUN_MIGRATIONS = "run migration task"
    ROLL_OUT = "pulumi up"
    SMOKE = "smoke test"


class DeployStepError(RuntimeError):
    """A deploy stopped at `step`; nothing after it ran."""

    def __init__(self, step: DeployStep, cause: BaseException) -> None:
        self.step = step
        super().__init__(
            f"deploy stopped at step '{step}': {cause} (see docs/runbook.md, '{step}')"
        )


class DeploySteps(Protocol):
    """What a deploy does at each step; `AwsDeploySteps` does it for real."""

    async def read_outputs(self) -> StackOutputs: ...
    async def publish_image(self, outputs: StackOutputs) -> str: ...
    async def update_migration_task_definition(self) -> None: ...
    async def run_migrations(self, outputs: StackOutputs) -> None: ...
    async def roll_out(self) -> None: ...
    async def smoke(self, outputs: StackOutputs) -> None: ...


@dataclass(frozen=True)
class DeployReport:
    """What a finished deploy did."""

    image: str
    url: str

    def summary(self) -> str:
        """One line per fact, for the function's output."""
        return f"published {self.image}\nsmoke test passed against {self.url}"


async def _step(step: DeployStep, work: Awaitable[T]) -> T:
    # Any failure inside a step (a failed exec, a bad output, a non-zero exit
    # code) is that step's failure: name it and keep the cause chained.
    try:
        return await work
    except Exception as error:
        raise DeployStepError(step, error) from error


async def run_deploy(steps: DeploySteps) -> DeployReport:
    """Run every step in order, stopping at the first failure."""
    outputs = await _step(DeployStep.READ_OUTPUTS, steps.read_outputs())
    image = await _step(DeployStep.PUBLISH_IMAGE, steps.publish_image(outputs))
    await _step(DeployStep.MIGRATION_TASK_DEFINITION, steps.update_migration_task_definition())
    await _step(DeployStep.RUN_MIGRATIONS, steps.run_migrations(outputs))
    await _step(DeployStep.ROLL_OUT, steps.roll_out())
    await _step(DeployStep.SMOKE, steps.smoke(outputs))
    return DeployReport(image=image, url=outputs.alb_url)


class AwsDeploySteps:
    """The steps against AWS, awaiting the containers `DeployPlan` builds."""

    def __init__(self, plan: DeployPlan) -> None:
        self._plan = plan

    async def read_outputs(self) -> StackOutputs:
        """Parse the stack outputs."""
        return StackOutputs.from_json(await self._plan.read_outputs().stdout())

    async def publish_image(self, outputs: StackOutputs) -> str:
        """Push the image unless this revision is already in the registry."""
        reference = self._plan.image_reference(outputs)
        if await self._plan.image_tag_lookup(outputs).exit_code() == 0:
            return reference
        # Not `ecr_login().stdout()`: an exec's stdout is streamed to the progress
        # log before `set_secret` could mask it. dagger 0.21 has no File -> Secret
        # conversion, so the token goes through a file the log never shows; the
        # exec carries the run id, so its layer is never reused.
        password_file = self._plan.ecr_login().file(ECR_PASSWORD_FILE)
        password = dag.set_secret(
            f"ecr-password-{self._plan.target.env.value}", (await password_file.contents()).strip()
        )
        return await self._plan.publishable_image(outputs, password).publish(reference)

    async def update_migration_task_definition(self) -> None:
        """Targeted `pulumi up`."""
        await self._plan.update_migration_task_definition().sync()

    async def run_migrations(self, outputs: StackOutputs) -> None:
        """Start the task, wait for it, and insist on exit code 0."""
        task_arn = ecs.started_task_arn(await self._plan.start_migration_task(outputs).stdout())
        described = await self._plan.wait_for_migration_task(outputs, task_arn).stdout()
        stopped = ecs.stopped_task(described)
        if not stopped.succeeded:
            raise ecs.MigrationTaskError(
                f"task {task_arn} stopped with exit codes {stopped.exit_codes}"
                f" ({stopped.stopped_reason or 'no reason given'})"
            )

    async def roll_out(self) -> None:
        """Full `pulumi up`; it fails if the circuit breaker rolled the service back."""
        await self._plan.roll_out().sync()

    async def smoke(self, outputs: StackOutputs) -> None:
        """`cloudmetrics smoke` against the load balancer."""
        await self._plan.smoke(outputs).sync()
