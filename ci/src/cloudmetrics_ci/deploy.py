"""A deploy, step by step, in the order this module fixes (docs/runbook.md lists it).

check stack config -> read outputs -> publish image (dev: push the build unless the tag
exists; staging/prod: copy the previous environment's image registry to registry, manifest
bytes kept, checked before the tag is written: promotion.py) -> targeted
`pulumi up` of the migration task definition -> migration task in the VPC (exit code 0
required) -> full `pulumi up` -> verify release (the service's primary deployment runs
this revision, rollout completed) -> register smoke key (a one-off task in the VPC runs
`cloudmetrics keys ensure` with the estate's smoke key) -> read smoke key (from Secrets
Manager, by file, into a Dagger secret) -> smoke test (`/health` reports this revision,
the key writes and reads a metric).

The first step that fails stops the deploy and is named in the error; docs/runbook.md
says what to do for each. `run_deploy` only talks to the engine through `Engine`, so
tests run these real steps and judges against canned results.
"""

from collections.abc import Awaitable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol, TypeVar

import dagger

from cloudmetrics_ci.deploy_steps import (
    SMOKE_KEY_VARIABLE,
    DeployStep,
    DeploySteps,
    Outcome,
    Step,
    StepFailed,
    password_secret,
    published_digest,
    smoke_key_secret,
    written_smoke_key,
)
from cloudmetrics_ci.promotion import promote_step

T = TypeVar("T")


class Engine(Protocol):
    """The four things a deploy asks of the Dagger engine."""

    async def exit_code(self, container: dagger.Container) -> int: ...
    async def stdout(self, container: dagger.Container) -> str: ...
    async def contents(self, file: dagger.File) -> str: ...
    async def publish(self, container: dagger.Container, address: str) -> str: ...


class DaggerEngine:
    """The real engine: each call awaits the lazy object's leaf."""

    async def exit_code(self, container: dagger.Container) -> int:
        """The last exec's exit code (the exec runs once; stdout reuses it)."""
        return await container.exit_code()

    async def stdout(self, container: dagger.Container) -> str:
        """The last exec's stdout."""
        return await container.stdout()

    async def contents(self, file: dagger.File) -> str:
        """A file's text."""
        return await file.contents()

    async def publish(self, container: dagger.Container, address: str) -> str:
        """Push; the reference returned names the pushed digest."""
        return await container.publish(address)


class DeployStepError(RuntimeError):
    """A deploy stopped at `step`; nothing after it ran."""

    def __init__(self, step: DeployStep, cause: BaseException) -> None:
        self.step = step
        super().__init__(
            f"deploy stopped at step '{step}': {cause} (see docs/runbook.md, '{step}')"
        )


@dataclass(frozen=True)
class DeployReport:
    """What a finished deploy did."""

    image: str
    url: str
    revision: str

    def summary(self) -> str:
        """One line per fact, for the function's output."""
        return (
            f"published {self.image}\n"
            f"the service runs {self.revision}, rollout completed\n"
            f"smoke test passed against {self.url}"
        )


@contextmanager
def _named(step: DeployStep):  # noqa: ANN202 - a generator-based context manager
    # Any failure inside a step (a failed exec, a bad output, a judge's verdict) is that
    # step's failure: name it and keep the cause chained.
    try:
        yield
    except Exception as error:
        raise DeployStepError(step, error) from error


async def _run(engine: Engine, step: Step[T]) -> T:
    with _named(step.name):
        exit_code = await engine.exit_code(step.container)
        return step.judge(Outcome(exit_code=exit_code, stdout=await engine.stdout(step.container)))


async def _awaited(step: DeployStep, work: Awaitable[T]) -> T:
    with _named(step):
        return await work


async def run_deploy(steps: DeploySteps, engine: Engine) -> DeployReport:
    """Run every step in order, stopping at the first failure."""
    target = steps.target
    await _run(engine, steps.check_stack_config())
    outputs = await _run(engine, steps.read_outputs())

    # publish image
    source_digest = None
    if target.source_repository is not None:
        source_digest = await _run(engine, steps.image_lookup(target.source_repository))
        if source_digest is None:
            error = StepFailed(f"{target.revision} is not in {target.source_repository}")
            raise DeployStepError(DeployStep.PUBLISH_IMAGE, error)
    existing = await _run(engine, steps.image_lookup(outputs.ecr_repository_url))
    token = await _awaited(DeployStep.PUBLISH_IMAGE, engine.contents(steps.ecr_password()))
    with _named(DeployStep.PUBLISH_IMAGE):
        password = password_secret(target.env, token)
        image = steps.shipped_image(password, source_digest)
    address = f"{outputs.ecr_repository_url}:{target.revision}"
    if existing is not None:
        # Tags are immutable: the one there is what ships, and a promotion's must be the source's.
        with _named(DeployStep.PUBLISH_IMAGE):
            digest = published_digest(f"{address}@{existing}", source_digest)
    elif source_digest is not None:
        # A promotion copies the source's bytes registry to registry (promotion.py): a
        # publish from the engine would re-export the image under another digest.
        with _named(DeployStep.PUBLISH_IMAGE):
            promotion = promote_step(target, outputs, token.strip(), source_digest)
        digest = await _run(engine, promotion)
    else:
        publishable = image.with_registry_auth(outputs.registry, "AWS", password)
        reference = await _awaited(DeployStep.PUBLISH_IMAGE, engine.publish(publishable, address))
        with _named(DeployStep.PUBLISH_IMAGE):
            digest = published_digest(reference)

    await _run(engine, steps.update_migration_task_definition())
    task_arn = await _run(engine, steps.start_migration_task(outputs))
    await _run(engine, steps.wait_for_migration_task(outputs, task_arn))
    await _run(engine, steps.roll_out())
    task_definition = await _run(engine, steps.primary_deployment(outputs))
    await _run(engine, steps.release_image(outputs, task_definition))

    # The key exists, and is registered, only once the full update and this task have run.
    smoke_key = await _run(engine, steps.read_smoke_key_outputs())
    registration = await _run(engine, steps.start_smoke_key_registration(outputs, smoke_key))
    await _run(engine, steps.wait_for_smoke_key_registration(outputs, registration))
    read = steps.read_smoke_key(smoke_key)
    await _run(engine, read)
    text = await _awaited(DeployStep.READ_SMOKE_KEY, engine.contents(written_smoke_key(read)))
    with _named(DeployStep.READ_SMOKE_KEY):
        key = smoke_key_secret(target.env, text)

    await _run(engine, steps.smoke(outputs, image, {SMOKE_KEY_VARIABLE: key}))
    return DeployReport(image=f"{address}@{digest}", url=outputs.alb_url, revision=target.revision)
