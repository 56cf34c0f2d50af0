"""A deploy runs its steps in the contract's order and stops at the first failure."""

import ast

import dagger
import pytest
from cloudmetrics_ci.deploy import DeployReport, DeployStep, DeployStepError, run_deploy
from cloudmetrics_ci.ecs import MigrationTaskError
from cloudmetrics_ci.outputs import StackOutputs

from tests.ci.conftest import REPOSITORY
from tests.ci.deploy_fixtures import OUTPUTS

CONTRACT_ORDER = [
    DeployStep.READ_OUTPUTS,
    DeployStep.PUBLISH_IMAGE,
    DeployStep.MIGRATION_TASK_DEFINITION,
    DeployStep.RUN_MIGRATIONS,
    DeployStep.ROLL_OUT,
    DeployStep.SMOKE,
]


class RecordingSteps:
    """Records which steps ran; raises `failure` at `failing`."""

    def __init__(self, failing: DeployStep | None = None, failure: Exception | None = None) -> None:
        self.ran: list[DeployStep] = []
        self._failing = failing
        self._failure = failure or dagger.DaggerError("exit code 1")

    def _run(self, step: DeployStep) -> None:
        self.ran.append(step)
        if step == self._failing:
            raise self._failure

    async def read_outputs(self) -> StackOutputs:
        self._run(DeployStep.READ_OUTPUTS)
        return OUTPUTS

    async def publish_image(self, outputs: StackOutputs) -> str:
        self._run(DeployStep.PUBLISH_IMAGE)
        return f"{outputs.ecr_repository_url}:abc@sha256:0"

    async def update_migration_task_definition(self) -> None:
        self._run(DeployStep.MIGRATION_TASK_DEFINITION)

    async def run_migrations(self, outputs: StackOutputs) -> None:
        self._run(DeployStep.RUN_MIGRATIONS)

    async def roll_out(self) -> None:
        self._run(DeployStep.ROLL_OUT)

    async def smoke(self, outputs: StackOutputs) -> None:
        self._run(DeployStep.SMOKE)


async def test_runs_every_step_in_the_contract_order() -> None:
    steps = RecordingSteps()
    report = await run_deploy(steps)
    assert steps.ran == CONTRACT_ORDER
    assert report == DeployReport(
        image=f"{OUTPUTS.ecr_repository_url}:abc@sha256:0", url=OUTPUTS.alb_url
    )
    assert OUTPUTS.alb_url in report.summary()


@pytest.mark.parametrize("failing", CONTRACT_ORDER)
async def test_a_failed_step_stops_the_rest_and_is_named(failing: DeployStep) -> None:
    steps = RecordingSteps(failing=failing)
    with pytest.raises(DeployStepError) as raised:
        await run_deploy(steps)
    assert raised.value.step is failing
    assert steps.ran == CONTRACT_ORDER[: CONTRACT_ORDER.index(failing) + 1]
    assert f"'{failing}'" in str(raised.value)
    assert isinstance(raised.value.__cause__, dagger.DaggerError)


async def test_a_failed_migration_blocks_the_roll_out() -> None:
    failure = MigrationTaskError("task stopped with exit codes {'migrate': 1}")
    steps = RecordingSteps(failing=DeployStep.RUN_MIGRATIONS, failure=failure)
    with pytest.raises(DeployStepError, match="run migration task") as raised:
        await run_deploy(steps)
    assert raised.value.__cause__ is failure
    assert DeployStep.ROLL_OUT not in steps.ran
    assert "exit codes" in str(raised.value)


def test_nothing_in_the_module_raises_a_bare_exception() -> None:
    for path in (REPOSITORY / "ci" / "src" / "cloudmetrics_ci").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and node.exc is not None:
                raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                assert not (isinstance(raised, ast.Name) and raised.id == "Exception"), path
