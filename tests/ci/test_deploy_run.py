"""`run_deploy` with its real steps and judges, against canned engine results.

Only the engine is stood in for (tests/ci/canned_deploy.py: CannedEngine answers each
step's command with an exit code and stdout); the containers, the order and every
decision (skip a push, stop on a failed migration, refuse a rolled-back service or a
wrong release) are the module's own code.
"""

import dagger
import pytest
from cloudmetrics_ci import images as images_module
from cloudmetrics_ci.deploy import DeployReport, DeployStepError, run_deploy
from cloudmetrics_ci.deploy_steps import SMOKE_KEY_FILE, DeployStep, Outcome
from cloudmetrics_ci.environments import Environment
from cloudmetrics_ci.promotion import AUTH_FILE, SOURCE_MOVED

from tests.ci.canned_deploy import (
    DIGEST,
    IMAGE_MISSING,
    OLD_REVISION,
    OTHER_DIGEST,
    OUTPUTS,
    RAW_OUTPUTS,
    REGISTRATION_TASK,
    REVISION,
    SECRET_VALUES,
    SMOKE_KEY_SECRET_ARN,
    SOURCE_REPOSITORY,
    CannedEngine,
    deploy_steps,
    healthy,
    image_found,
    ok,
    service,
    stopped,
    task_definition,
)
from tests.ci.graph import Plan, images, plain_values, walk

DEV_ORDER = [
    "check config",
    "outputs",
    "target lookup",
    "ecr login",
    "publish",
    "migration task definition",
    "run task",
    "describe task",
    "roll out",
    "describe service",
    "describe task definition",
    "outputs",
    "run registration",
    "describe registration",
    "read smoke key",
    "smoke key file",
    "smoke",
]


def engine(**changes: Outcome) -> CannedEngine:
    return CannedEngine(outcomes={**healthy(), **changes})


async def failed_at(
    source: dagger.Directory, canned: CannedEngine, env: Environment = Environment.dev
) -> DeployStepError:
    with pytest.raises(DeployStepError) as raised:
        await run_deploy(deploy_steps(source, env), canned)
    return raised.value


async def test_a_healthy_deploy_runs_every_step_in_order(source: dagger.Directory) -> None:
    canned = engine()
    report = await run_deploy(deploy_steps(source), canned)
    assert canned.ran == DEV_ORDER
    address = f"{OUTPUTS.ecr_repository_url}:{REVISION}"
    assert report == DeployReport(
        image=f"{address}@{DIGEST}", url=OUTPUTS.alb_url, revision=REVISION
    )
    ((_, published_to),) = canned.published
    assert published_to == address


async def test_an_existing_tag_is_not_pushed_again(source: dagger.Directory) -> None:
    canned = engine(**{"target lookup": image_found()})
    report = await run_deploy(deploy_steps(source), canned)
    assert canned.published == []
    assert "publish" not in canned.ran
    assert report.image.endswith(f"@{DIGEST}")
    assert canned.ran[-1] == "smoke"


async def test_a_failed_lookup_is_not_taken_for_a_missing_tag(source: dagger.Directory) -> None:
    # Access denied: the CLI exits 254 and prints nothing; pushing blindly would hide it.
    canned = engine(**{"target lookup": Outcome(254, "")})
    error = await failed_at(source, canned)
    assert error.step is DeployStep.PUBLISH_IMAGE
    assert "exited with 254" in str(error)
    assert canned.ran[-1] == "target lookup"


@pytest.mark.parametrize("exit_code", [1, 2, None])
async def test_a_failed_migration_stops_before_the_roll_out(
    source: dagger.Directory, exit_code: int | None
) -> None:
    canned = engine(**{"describe task": stopped(exit_code)})
    error = await failed_at(source, canned)
    assert error.step is DeployStep.RUN_MIGRATIONS
    assert "exit codes {'migrate': " in str(error)
    assert "roll out" not in canned.ran
    assert canned.ran[-1] == "describe task"


async def test_a_task_that_could_not_start_stops_the_deploy(source: dagger.Directory) -> None:
    refused = Outcome(0, '{"tasks": [], "failures": [{"reason": "RESOURCE:MEMORY"}]}')
    canned = engine(**{"run task": refused})
    error = await failed_at(source, canned)
    assert error.step is DeployStep.RUN_MIGRATIONS
    assert "RESOURCE:MEMORY" in str(error)
    assert "describe task" not in canned.ran


async def test_a_rolled_back_service_fails_at_verify_release(source: dagger.Directory) -> None:
    # The circuit breaker rolled back: ECS is stable again on the old task definition,
    # so `pulumi up` succeeded; only its image tells the deploy what happened.
    canned = engine(**{"describe task definition": task_definition(OLD_REVISION)})
    error = await failed_at(source, canned)
    assert error.step is DeployStep.VERIFY_RELEASE
    assert "'verify release'" in str(error)
    assert "rolled the deployment back" in str(error)
    assert "smoke" not in canned.ran


@pytest.mark.parametrize("state", ["FAILED", "IN_PROGRESS"])
async def test_an_unfinished_or_failed_rollout_fails_at_verify_release(
    source: dagger.Directory, state: str
) -> None:
    canned = engine(**{"describe service": service(state)})
    error = await failed_at(source, canned)
    assert error.step is DeployStep.VERIFY_RELEASE
    assert state in str(error)
    assert "describe task definition" not in canned.ran


async def test_a_release_mismatch_at_smoke_fails_the_deploy(source: dagger.Directory) -> None:
    canned = engine(smoke=Outcome(1, "FAIL  health  releaseId 0123 != fedc"))
    error = await failed_at(source, canned)
    assert error.step is DeployStep.SMOKE
    smoke = Plan(canned.awaited[-1]).execs[-1]
    assert smoke[smoke.index("--expect-release") + 1] == REVISION


@pytest.mark.parametrize(
    ("key", "step"),
    [
        ("check config", DeployStep.CHECK_CONFIG),
        ("outputs", DeployStep.READ_OUTPUTS),
        ("migration task definition", DeployStep.MIGRATION_TASK_DEFINITION),
        ("roll out", DeployStep.ROLL_OUT),
    ],
)
async def test_a_non_zero_exit_stops_the_deploy_at_its_step(
    source: dagger.Directory, key: str, step: DeployStep
) -> None:
    canned = engine(**{key: Outcome(1, "")})
    error = await failed_at(source, canned)
    assert error.step is step
    assert canned.ran[-1] == key
    assert DEV_ORDER[: DEV_ORDER.index(key) + 1] == canned.ran


async def test_the_config_check_runs_before_anything_holds_aws_credentials(
    source: dagger.Directory,
) -> None:
    canned = engine(**{"check config": Outcome(1, "")})
    await failed_at(source, canned)
    (checked,) = canned.awaited
    assert {f.name for f in walk(checked)}.isdisjoint({"withSecretVariable"})


async def test_promotion_copies_the_source_image_registry_to_registry_and_builds_nothing(
    source: dagger.Directory,
) -> None:
    canned = engine()
    report = await run_deploy(deploy_steps(source, Environment.staging), canned)
    assert canned.ran[:6] == [
        "check config",
        "outputs",
        "source lookup",
        "target lookup",
        "ecr login",
        "promote",
    ]
    # Nothing is published from the engine: that would re-export the image (a new digest).
    assert canned.published == []
    copy = Plan(canned.awaited[canned.ran.index("promote")])
    assert copy.base_image == images_module.SKOPEO
    assert copy.execs[-1][3:] == [
        "promote",
        SOURCE_REPOSITORY,
        DIGEST,
        OUTPUTS.ecr_repository_url,
        REVISION,
    ]
    # The registry token reaches skopeo as a mounted secret file, never as a value.
    assert [f.args["path"] for f in copy.calls("withMountedSecret")] == [AUTH_FILE]
    assert copy.env["REGISTRY_AUTH_FILE"] == AUTH_FILE
    assert not any("ecr-token-value" in value for value in plain_values(copy.obj))
    assert report.image.endswith(f"@{DIGEST}")
    # The smoke test runs the very image that was copied.
    assert f"{SOURCE_REPOSITORY}@{DIGEST}" in images(canned.awaited[-1])


async def test_a_promotion_whose_copy_changed_digest_fails(source: dagger.Directory) -> None:
    canned = engine(promote=Outcome(0, OTHER_DIGEST + "\n"))
    error = await failed_at(source, canned, Environment.prod)
    assert error.step is DeployStep.PUBLISH_IMAGE
    assert OTHER_DIGEST in str(error)
    assert "migration task definition" not in canned.ran


async def test_a_promotion_whose_source_tag_moved_is_refused(source: dagger.Directory) -> None:
    canned = engine(promote=Outcome(SOURCE_MOVED, ""))
    error = await failed_at(source, canned, Environment.staging)
    assert error.step is DeployStep.PUBLISH_IMAGE
    assert "nothing was copied" in str(error)
    assert "migration task definition" not in canned.ran


async def test_a_promotion_finds_a_different_image_under_the_tag(source: dagger.Directory) -> None:
    canned = engine(**{"target lookup": image_found(OTHER_DIGEST)})
    error = await failed_at(source, canned, Environment.staging)
    assert error.step is DeployStep.PUBLISH_IMAGE
    assert canned.published == []
    assert "promote" not in canned.ran


async def test_a_revision_the_previous_environment_never_had_is_not_promoted(
    source: dagger.Directory,
) -> None:
    canned = engine(**{"source lookup": IMAGE_MISSING})
    error = await failed_at(source, canned, Environment.staging)
    assert error.step is DeployStep.PUBLISH_IMAGE
    assert SOURCE_REPOSITORY in str(error)
    assert "target lookup" not in canned.ran


async def test_the_smoke_test_runs_with_the_key_read_from_the_stacks_secret(
    source: dagger.Directory,
) -> None:
    canned = engine()
    await run_deploy(deploy_steps(source), canned)
    read, key_file, smoke = canned.awaited[-3:]
    script = Plan(read).execs[-1][2]
    assert f"get-secret-value --secret-id {SMOKE_KEY_SECRET_ARN} " in script
    assert isinstance(key_file, dagger.File)
    assert Plan(key_file).calls("file")[-1].args["path"] == SMOKE_KEY_FILE
    (api_key,) = Plan(smoke).secret_variables.values()
    assert Plan(smoke).secret_variables.keys() == {"CLOUDMETRICS_API_KEY"}
    # The very text the read wrote to its file, and no plain variable carries it.
    assert (
        Plan(api_key).calls("setSecret")[-1].args["plaintext"]
        == (SECRET_VALUES["CLOUDMETRICS_API_KEY"])
    )
    assert SECRET_VALUES["CLOUDMETRICS_API_KEY"] not in str(Plan(smoke).env)


async def test_the_key_is_registered_after_the_roll_out_and_before_it_is_read(
    source: dagger.Directory,
) -> None:
    # `pulumi up` may just have made (or replaced) the key: the task must see the new one.
    canned = engine()
    await run_deploy(deploy_steps(source), canned)
    assert canned.ran.index("roll out") < canned.ran.index("run registration")
    assert canned.ran.index("describe registration") < canned.ran.index("read smoke key")


async def test_a_refused_secret_read_stops_before_the_smoke_test(
    source: dagger.Directory,
) -> None:
    # AccessDenied, or no such secret: the CLI exits 254 and its message is in the log.
    canned = engine(**{"read smoke key": Outcome(254, "")})
    error = await failed_at(source, canned)
    assert error.step is DeployStep.READ_SMOKE_KEY
    assert "`aws secretsmanager get-secret-value` exited with 254" in str(error)
    assert "see docs/runbook.md, 'read smoke key'" in str(error)
    assert "smoke key file" not in canned.ran
    assert "smoke" not in canned.ran


@pytest.mark.parametrize(
    ("held", "fragment"),
    [
        ("", "holds no value"),
        ("None\n", "holds no value"),
        ("hunter2-not-a-key\n", "does not hold an API key"),
    ],
)
async def test_a_secret_without_a_key_stops_before_the_smoke_test(
    source: dagger.Directory, held: str, fragment: str
) -> None:
    canned = engine()
    canned.smoke_key = held
    error = await failed_at(source, canned)
    assert error.step is DeployStep.READ_SMOKE_KEY
    assert fragment in str(error)
    assert canned.ran[-1] == "smoke key file"
    if held.strip():
        assert held.strip() not in str(error)


async def test_a_failed_registration_stops_before_the_key_is_read(
    source: dagger.Directory,
) -> None:
    canned = engine(**{"describe registration": stopped(1, REGISTRATION_TASK, "cloudmetrics")})
    error = await failed_at(source, canned)
    assert error.step is DeployStep.REGISTER_SMOKE_KEY
    assert "exit codes {'cloudmetrics': 1}" in str(error)
    assert "read smoke key" not in canned.ran


async def test_a_stack_without_the_smoke_key_outputs_stops_at_registration(
    source: dagger.Directory,
) -> None:
    outputs = {name: value for name, value in RAW_OUTPUTS.items() if name != "smokeKeySecretArn"}
    canned = engine(outputs=ok(outputs))
    error = await failed_at(source, canned)
    assert error.step is DeployStep.REGISTER_SMOKE_KEY
    assert "stack output 'smokeKeySecretArn' is missing" in str(error)
    assert "run registration" not in canned.ran
