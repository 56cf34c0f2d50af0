"""The containers of the deploy steps: pinned tools, secrets as secrets, the contract's commands."""

import dataclasses
import json
from collections.abc import Callable

import dagger
import pytest
import yaml
from cloudmetrics_ci.deploy_steps import (
    ECR_LOGIN_SCRIPT,
    ECR_PASSWORD_FILE,
    SMOKE_KEY_FILE,
    DeploySteps,
    RevisionError,
    StepFailed,
    smoke_key_secret,
    written_smoke_key,
)
from cloudmetrics_ci.environments import Environment
from cloudmetrics_ci.freshness import RUN_ID_VARIABLE

from tests.ci.canned_deploy import (
    OUTPUTS,
    REVISION,
    RUN_ID,
    SECRET_VALUES,
    SMOKE_KEY_OUTPUTS,
    SMOKE_KEY_SECRET_ARN,
    SOURCE_REPOSITORY,
    deploy_steps,
    secret,
)
from tests.ci.conftest import REPOSITORY
from tests.ci.graph import Plan, cache_key, images, plain_values

STEPS: dict[str, Callable[[DeploySteps], dagger.Container]] = {
    "check config": lambda plan: plan.check_stack_config().container,
    "read outputs": lambda plan: plan.read_outputs().container,
    "image lookup": lambda plan: plan.image_lookup(OUTPUTS.ecr_repository_url).container,
    "migration task definition": lambda plan: plan.update_migration_task_definition().container,
    "start migration task": lambda plan: plan.start_migration_task(OUTPUTS).container,
    "wait for migration task": lambda plan: (
        plan.wait_for_migration_task(OUTPUTS, "arn:task/1").container
    ),
    "roll out": lambda plan: plan.roll_out().container,
    "primary deployment": lambda plan: plan.primary_deployment(OUTPUTS).container,
    "release image": lambda plan: plan.release_image(OUTPUTS, "arn:td/1").container,
    "smoke key outputs": lambda plan: plan.read_smoke_key_outputs().container,
    "start smoke key registration": lambda plan: (
        plan.start_smoke_key_registration(OUTPUTS, SMOKE_KEY_OUTPUTS).container
    ),
    "wait for smoke key registration": lambda plan: (
        plan.wait_for_smoke_key_registration(OUTPUTS, "arn:task/2").container
    ),
    "read smoke key": lambda plan: plan.read_smoke_key(SMOKE_KEY_OUTPUTS).container,
    "smoke": lambda plan: (
        plan.smoke(
            OUTPUTS,
            plan.shipped_image(plan.target.backend_url, None),
            {"CLOUDMETRICS_API_KEY": secret("CLOUDMETRICS_API_KEY")},
        ).container
    ),
}


@pytest.fixture
def plan(source: dagger.Directory) -> DeploySteps:
    return deploy_steps(source)


@pytest.mark.parametrize("step", sorted(STEPS))
def test_images_are_pinned(plan: DeploySteps, step: str) -> None:
    for address in images(STEPS[step](plan)):
        assert ":" in address, address
        assert not address.endswith(":latest"), address


@pytest.mark.parametrize("step", sorted(STEPS))
def test_secret_values_never_appear_as_plain_values(plan: DeploySteps, step: str) -> None:
    values = list(plain_values(STEPS[step](plan)))
    for value_of_secret in SECRET_VALUES.values():
        assert not any(value_of_secret in value for value in values)


@pytest.mark.parametrize("step", sorted(STEPS))
def test_side_effecting_commands_are_keyed_to_the_run(plan: DeploySteps, step: str) -> None:
    container = Plan(STEPS[step](plan))
    assert container.env[RUN_ID_VARIABLE] == RUN_ID
    assert container.position("withEnvVariable", name=RUN_ID_VARIABLE) < max(
        index for index, field in enumerate(container.fields) if field.name == "withExec"
    )


def test_no_two_steps_are_one_cached_result(plan: DeploySteps) -> None:
    # The engine caches an exec by its graph: a step equal to an earlier one of the same run
    # (the outputs read after `pulumi up` and the ones read before it) would return the
    # earlier result without running.
    keys: dict[tuple[object, ...], str] = {}
    for step, build in sorted(STEPS.items()):
        key = cache_key(build(plan))
        assert key not in keys, f"{step!r} is a cache hit of {keys[key]!r}"
        keys[key] = step


def test_pulumi_runs_in_its_pinned_image_with_secrets_as_secret_variables(
    plan: DeploySteps,
) -> None:
    pulumi = Plan(plan.roll_out().container)
    assert pulumi.base_image.startswith("pulumi/pulumi-python-3.11:3.")
    assert set(pulumi.secret_variables) == {
        "PULUMI_BACKEND_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    }
    assert "PULUMI_CONFIG_PASSPHRASE" not in pulumi.env
    assert pulumi.env["AWS_REGION"] == "eu-west-1"


def test_pulumi_dependencies_are_installed_before_the_program_is_copied(
    plan: DeploySteps,
) -> None:
    pulumi = Plan(plan.roll_out().container)
    installed = pulumi.exec_position("pulumi", "install")
    assert pulumi.position("withFile", path="/infra/requirements.txt") < installed
    assert installed < pulumi.position("withDirectory", path="/infra")
    assert pulumi.cache_mounts == {"/root/.cache/pip": "cloudmetrics-pip"}


@pytest.mark.parametrize("step", ["check config", "read outputs", "roll out"])
def test_the_policy_pack_venv_exists_before_any_pulumi_command(
    plan: DeploySteps, step: str
) -> None:
    pulumi = Plan(STEPS[step](plan))
    pack = "/infra/policy_pack"
    declared = yaml.safe_load((REPOSITORY / "infra/policy_pack/PulumiPolicy.yaml").read_text())
    venv = f"{pack}/{declared['runtime']['options']['virtualenv']}"
    created = pulumi.exec_position("python3", "-m", "venv", venv)
    installed = pulumi.exec_position(
        f"{venv}/bin/pip", "install", "--require-hashes", "--requirement"
    )
    assert pulumi.position("withFile", path=f"{pack}/requirements.txt") < created < installed
    first_cli = min(
        index
        for index, field in enumerate(pulumi.fields)
        if field.name == "withExec" and field.args["args"][0] == "pulumi"
    )
    assert installed < first_cli


@pytest.mark.parametrize("env", list(Environment))
def test_the_environment_stack_is_selected_never_created(
    source: dagger.Directory, env: Environment
) -> None:
    pulumi = Plan(deploy_steps(source, env).roll_out().container)
    select = next(c for c in pulumi.execs if c[:3] == ["pulumi", "stack", "select"])
    assert select[-1] == env.value
    assert "--create" not in select
    up = pulumi.execs[-1]
    assert up[up.index("--stack") + 1] == env.value


def test_targeted_update_moves_only_the_migration_task_definition_to_the_new_tag(
    plan: DeploySteps,
) -> None:
    up = Plan(plan.update_migration_task_definition().container).execs[-1]
    assert up[:2] == ["pulumi", "up"]
    assert f"cloudmetrics:imageTag={REVISION}" in up
    assert up[up.index("--target") + 1] == (
        "urn:pulumi:dev::cloudmetrics::"
        "cloudmetrics:infra:MigrationTask$aws:ecs/taskDefinition:TaskDefinition::migrations-task"
    )
    assert "--yes" in up
    assert "--non-interactive" in up


def test_full_update_has_no_target_and_the_same_tag(plan: DeploySteps) -> None:
    up = Plan(plan.roll_out().container).execs[-1]
    assert up[:2] == ["pulumi", "up"]
    assert "--target" not in up
    assert f"cloudmetrics:imageTag={REVISION}" in up


def test_outputs_are_read_as_json(plan: DeploySteps) -> None:
    assert Plan(plan.read_outputs().container).execs[-1][:4] == [
        "pulumi",
        "stack",
        "output",
        "--json",
    ]


def test_migration_task_runs_in_private_subnets_with_the_service_group(plan: DeploySteps) -> None:
    aws = Plan(plan.start_migration_task(OUTPUTS).container)
    assert aws.base_image.startswith("amazon/aws-cli:2.")
    run = aws.execs[-1]
    assert run[:3] == ["aws", "ecs", "run-task"]
    assert run[run.index("--task-definition") + 1] == "cloudmetrics-dev-migrate"
    assert run[run.index("--cluster") + 1] == "cloudmetrics-dev"
    network = json.loads(run[run.index("--network-configuration") + 1])["awsvpcConfiguration"]
    assert network == {
        "subnets": ["subnet-a", "subnet-b", "subnet-c"],
        "securityGroups": ["sg-service"],
        "assignPublicIp": "DISABLED",
    }
    assert set(aws.secret_variables) == {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    }


def test_waits_for_the_task_to_stop_then_reads_its_exit_codes(plan: DeploySteps) -> None:
    aws = Plan(plan.wait_for_migration_task(OUTPUTS, "arn:task/1").container)
    wait, describe = aws.execs[-2:]
    assert wait[:4] == ["aws", "ecs", "wait", "tasks-stopped"]
    assert describe[:3] == ["aws", "ecs", "describe-tasks"]
    assert wait[wait.index("--tasks") + 1] == "arn:task/1"
    assert describe[describe.index("--tasks") + 1] == "arn:task/1"


def test_ecr_token_is_written_to_a_file_by_the_shell_never_to_stdout(plan: DeploySteps) -> None:
    password = plan.ecr_password()
    login = Plan(password)
    assert login.calls("file")[-1].args["path"] == ECR_PASSWORD_FILE
    (exec_call,) = [f for f in login.fields if f.name == "withExec"]
    assert exec_call.args["args"] == ["sh", "-c", ECR_LOGIN_SCRIPT]
    assert ECR_LOGIN_SCRIPT.endswith(f"aws ecr get-login-password > {ECR_PASSWORD_FILE}")
    # dagger 0.21's redirect_stdout adds a writer beside the log; it must not be used.
    assert "redirectStdout" not in exec_call.args
    assert ECR_PASSWORD_FILE.startswith("/tmp/")  # noqa: S108 - inside the container


def test_image_lookup_asks_the_repository_for_the_revision_tag(plan: DeploySteps) -> None:
    lookup = Plan(plan.image_lookup(SOURCE_REPOSITORY).container).calls("withExec")[-1]
    command = lookup.args["args"]
    assert command[:3] == ["aws", "ecr", "batch-get-image"]
    assert command[command.index("--registry-id") + 1] == "111111111111"
    assert command[command.index("--repository-name") + 1] == "cloudmetrics-dev"
    assert f"imageTag={REVISION}" in command
    assert lookup.args["expect"] == "ANY"


def test_every_step_leaves_its_exit_code_to_its_judge(plan: DeploySteps) -> None:
    for name, build in STEPS.items():
        last = Plan(build(plan)).calls("withExec")[-1]
        assert last.args.get("expect") == "ANY", name


def test_smoke_checks_the_release_with_the_shipped_image(plan: DeploySteps) -> None:
    smoke = Plan(STEPS["smoke"](plan))
    assert smoke.execs[-1] == [
        "cloudmetrics",
        "smoke",
        "--url",
        OUTPUTS.alb_url,
        "--expect-release",
        REVISION,
    ]
    assert smoke.labels["org.opencontainers.image.revision"] == REVISION


def test_smoke_gets_the_key_it_was_handed_as_a_secret_variable(plan: DeploySteps) -> None:
    smoke = Plan(STEPS["smoke"](plan))
    assert set(smoke.secret_variables) == {"CLOUDMETRICS_API_KEY"}
    assert smoke.position("withSecretVariable") < smoke.exec_position("cloudmetrics", "smoke")
    assert "CLOUDMETRICS_API_KEY" not in smoke.env


def test_the_read_key_becomes_a_secret_and_only_a_key_is_accepted() -> None:
    key = SECRET_VALUES["CLOUDMETRICS_API_KEY"]
    made = Plan(smoke_key_secret(Environment.dev, f"{key}\n")).calls("setSecret")[-1]
    assert made.args == {"name": "smoke-api-key-dev", "plaintext": key}
    for empty in ("", "\n", "None\n"):
        with pytest.raises(StepFailed, match="holds no value"):
            smoke_key_secret(Environment.dev, empty)
    wrong = "not-a-key-" + key
    with pytest.raises(StepFailed, match="does not hold an API key") as refused:
        smoke_key_secret(Environment.dev, wrong)
    assert key not in str(refused.value)


def test_the_smoke_key_is_read_from_the_stack_outputs_secret_into_a_private_file(
    plan: DeploySteps,
) -> None:
    read = plan.read_smoke_key(SMOKE_KEY_OUTPUTS)
    aws = Plan(read.container)
    assert aws.base_image.startswith("amazon/aws-cli:2.")
    (exec_call,) = aws.calls("withExec")
    (shell, flag, script) = exec_call.args["args"]
    assert (shell, flag) == ("sh", "-c")
    # umask 077 first: the file is the shell user's alone from the moment it exists.
    assert script == (
        "umask 077 && aws secretsmanager get-secret-value"
        f" --secret-id {SMOKE_KEY_SECRET_ARN} --query SecretString --output text"
        f" > {SMOKE_KEY_FILE}"
    )
    assert "redirectStdout" not in exec_call.args
    assert exec_call.args.get("expect") == "ANY"
    assert set(aws.secret_variables) == {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    }
    assert Plan(written_smoke_key(read)).calls("file")[-1].args["path"] == SMOKE_KEY_FILE
    assert SMOKE_KEY_FILE.startswith("/tmp/")  # noqa: S108 - inside the container


def test_the_smoke_key_registration_runs_like_the_migration_task(plan: DeploySteps) -> None:
    registration = Plan(STEPS["start smoke key registration"](plan)).execs[-1]
    migration = Plan(STEPS["start migration task"](plan)).execs[-1]
    family = registration.index("--task-definition") + 1
    assert registration[family] == "cloudmetrics-dev-register-smoke-key"
    # Same cluster, subnets, security group and launch type: only the task differs.
    assert registration[:family] + registration[family + 1 :] == (
        migration[:family] + migration[family + 1 :]
    )
    wait, describe = Plan(STEPS["wait for smoke key registration"](plan)).execs[-2:]
    assert wait[:4] == ["aws", "ecs", "wait", "tasks-stopped"]
    assert describe[describe.index("--tasks") + 1] == "arn:task/2"
    outputs = Plan(STEPS["smoke key outputs"](plan)).execs[-1]
    assert outputs == Plan(STEPS["read outputs"](plan)).execs[-1]


def test_stack_config_check_runs_first_without_credentials(plan: DeploySteps) -> None:
    check = Plan(plan.check_stack_config().container)
    assert check.execs[-1] == ["/infra/venv/bin/python", "check_stack_config.py", "--stack", "dev"]
    assert check.secret_variables == {}
    assert check.position("withDirectory", path="/infra") < check.exec_position(
        "/infra/venv/bin/python"
    )


@pytest.mark.parametrize("step", ["migration task definition", "roll out"])
def test_every_update_runs_the_policy_pack(plan: DeploySteps, step: str) -> None:
    up = Plan(STEPS[step](plan)).execs[-1]
    assert up[up.index("--policy-pack") + 1] == "/infra/policy_pack"


def test_verify_release_reads_the_service_then_its_task_definition(plan: DeploySteps) -> None:
    service = Plan(STEPS["primary deployment"](plan)).execs[-1]
    assert service[:3] == ["aws", "ecs", "describe-services"]
    assert service[service.index("--services") + 1] == OUTPUTS.service_name
    definition = Plan(STEPS["release image"](plan)).execs[-1]
    assert definition[:3] == ["aws", "ecs", "describe-task-definition"]
    assert definition[definition.index("--task-definition") + 1] == "arn:td/1"


@pytest.mark.parametrize("revision", ["local", "latest", "main", "ABCDEF1", "abc12", ""])
def test_only_a_commit_id_can_be_deployed(source: dagger.Directory, revision: str) -> None:
    plan = deploy_steps(source)
    with pytest.raises(RevisionError, match="git commit id"):
        dataclasses.replace(plan.target, revision=revision)


def test_short_and_full_commit_ids_are_accepted(source: dagger.Directory) -> None:
    plan = deploy_steps(source)
    assert dataclasses.replace(plan.target, revision="1a2b3c4").revision == "1a2b3c4"
    assert plan.target.revision == REVISION


def test_promotions_need_a_source_repository_and_dev_takes_none(source: dagger.Directory) -> None:
    staging = deploy_steps(source, Environment.staging).target
    with pytest.raises(RevisionError, match="--source-repository"):
        dataclasses.replace(staging, source_repository=None)
    dev = deploy_steps(source).target
    with pytest.raises(RevisionError, match="dev builds its image"):
        dataclasses.replace(dev, source_repository=SOURCE_REPOSITORY)
