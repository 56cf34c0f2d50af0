"""The containers of a deploy: pinned tools, secrets as secrets, commands per the contract."""

import dataclasses
import json
from collections.abc import Callable

import dagger
import pytest
from cloudmetrics_ci.deploy_plan import ECR_PASSWORD_FILE, DeployPlan, RevisionError
from cloudmetrics_ci.environments import Environment
from cloudmetrics_ci.freshness import RUN_ID_VARIABLE

from tests.ci.deploy_fixtures import OUTPUTS, REVISION, RUN_ID, SECRET_VALUES, deploy_plan
from tests.ci.graph import Plan, images, plain_values

STEPS: dict[str, Callable[[DeployPlan], dagger.Container]] = {
    "read outputs": lambda plan: plan.read_outputs(),
    "image tag lookup": lambda plan: plan.image_tag_lookup(OUTPUTS),
    "ecr login": lambda plan: plan.ecr_login(),
    "migration task definition": lambda plan: plan.update_migration_task_definition(),
    "start migration task": lambda plan: plan.start_migration_task(OUTPUTS),
    "wait for migration task": lambda plan: plan.wait_for_migration_task(OUTPUTS, "arn:task/1"),
    "roll out": lambda plan: plan.roll_out(),
    "smoke": lambda plan: plan.smoke(OUTPUTS),
}


@pytest.fixture
def plan(source: dagger.Directory) -> DeployPlan:
    return deploy_plan(source)


@pytest.mark.parametrize("step", sorted(STEPS))
def test_images_are_pinned(plan: DeployPlan, step: str) -> None:
    for address in images(STEPS[step](plan)):
        assert ":" in address, address
        assert not address.endswith(":latest"), address


@pytest.mark.parametrize("step", sorted(STEPS))
def test_secret_values_never_appear_as_plain_values(plan: DeployPlan, step: str) -> None:
    values = list(plain_values(STEPS[step](plan)))
    for secret in SECRET_VALUES.values():
        assert not any(secret in value for value in values)


@pytest.mark.parametrize("step", sorted(STEPS))
def test_side_effecting_commands_are_keyed_to_the_run(plan: DeployPlan, step: str) -> None:
    container = Plan(STEPS[step](plan))
    assert container.env[RUN_ID_VARIABLE] == RUN_ID
    assert container.position("withEnvVariable", name=RUN_ID_VARIABLE) < max(
        index for index, field in enumerate(container.fields) if field.name == "withExec"
    )


def test_pulumi_runs_in_its_pinned_image_with_secrets_as_secret_variables(
    plan: DeployPlan,
) -> None:
    pulumi = Plan(plan.roll_out())
    assert pulumi.base_image.startswith("pulumi/pulumi-python:3.")
    assert set(pulumi.secret_variables) == {
        "PULUMI_BACKEND_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    }
    assert "PULUMI_CONFIG_PASSPHRASE" not in pulumi.env
    assert pulumi.env["AWS_REGION"] == "eu-west-1"


def test_pulumi_dependencies_are_installed_before_the_program_is_copied(
    plan: DeployPlan,
) -> None:
    pulumi = Plan(plan.roll_out())
    installed = pulumi.exec_position("pulumi", "install")
    assert pulumi.position("withFile", path="/infra/requirements.txt") < installed
    assert installed < pulumi.position("withDirectory", path="/infra")
    assert pulumi.cache_mounts == {"/root/.cache/pip": "cloudmetrics-pip"}


@pytest.mark.parametrize("env", list(Environment))
def test_the_environment_stack_is_selected_never_created(
    source: dagger.Directory, env: Environment
) -> None:
    pulumi = Plan(deploy_plan(source, env).roll_out())
    select = next(c for c in pulumi.execs if c[:3] == ["pulumi", "stack", "select"])
    assert select[-1] == env.value
    assert "--create" not in select
    up = pulumi.execs[-1]
    assert up[up.index("--stack") + 1] == env.value


def test_targeted_update_moves_only_the_migration_task_definition_to_the_new_tag(
    plan: DeployPlan,
) -> None:
    up = Plan(plan.update_migration_task_definition()).execs[-1]
    assert up[:2] == ["pulumi", "up"]
    assert f"cloudmetrics:imageTag={REVISION}" in up
    assert up[up.index("--target") + 1] == (
        "urn:pulumi:dev::cloudmetrics::"
        "cloudmetrics:infra:MigrationTask$aws:ecs/taskDefinition:TaskDefinition::migrations-task"
    )
    assert "--yes" in up
    assert "--non-interactive" in up


def test_full_update_has_no_target_and_the_same_tag(plan: DeployPlan) -> None:
    up = Plan(plan.roll_out()).execs[-1]
    assert up[:2] == ["pulumi", "up"]
    assert "--target" not in up
    assert f"cloudmetrics:imageTag={REVISION}" in up


def test_outputs_are_read_as_json(plan: DeployPlan) -> None:
    assert Plan(plan.read_outputs()).execs[-1][:4] == ["pulumi", "stack", "output", "--json"]


def test_migration_task_runs_in_private_subnets_with_the_service_group(plan: DeployPlan) -> None:
    aws = Plan(plan.start_migration_task(OUTPUTS))
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


def test_waits_for_the_task_to_stop_then_reads_its_exit_codes(plan: DeployPlan) -> None:
    aws = Plan(plan.wait_for_migration_task(OUTPUTS, "arn:task/1"))
    wait, describe = aws.execs[-2:]
    assert wait[:4] == ["aws", "ecs", "wait", "tasks-stopped"]
    assert describe[:3] == ["aws", "ecs", "describe-tasks"]
    assert wait[wait.index("--tasks") + 1] == "arn:task/1"
    assert describe[describe.index("--tasks") + 1] == "arn:task/1"


def test_ecr_token_goes_to_a_file_not_to_the_log(plan: DeployPlan) -> None:
    login = Plan(plan.ecr_login()).calls("withExec")[-1]
    assert login.args["args"] == ["aws", "ecr", "get-login-password"]
    assert login.args["redirectStdout"] == ECR_PASSWORD_FILE
    assert ECR_PASSWORD_FILE.startswith("/tmp/")  # noqa: S108 - inside the container


def test_publish_authenticates_to_the_environment_registry(
    plan: DeployPlan, source: dagger.Directory
) -> None:
    password = deploy_plan(source).target.backend_url  # any secret object will do
    image = Plan(plan.publishable_image(OUTPUTS, password))
    (auth,) = image.calls("withRegistryAuth")
    assert auth.args["address"] == "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    assert auth.args["username"] == "AWS"
    assert isinstance(auth.args["secret"], dagger.Secret)
    assert plan.image_reference(OUTPUTS) == f"{OUTPUTS.ecr_repository_url}:{REVISION}"


def test_image_tag_lookup_tolerates_a_missing_tag(plan: DeployPlan) -> None:
    lookup = Plan(plan.image_tag_lookup(OUTPUTS)).calls("withExec")[-1]
    assert lookup.args["args"][:3] == ["aws", "ecr", "describe-images"]
    assert f"imageTag={REVISION}" in lookup.args["args"]
    assert lookup.args["expect"] == "ANY"


def test_smoke_uses_the_deployed_image_against_the_load_balancer(plan: DeployPlan) -> None:
    smoke = Plan(plan.smoke(OUTPUTS))
    assert smoke.execs[-1] == ["cloudmetrics", "smoke", "--url", OUTPUTS.alb_url]
    assert smoke.labels["org.opencontainers.image.revision"] == REVISION


@pytest.mark.parametrize("revision", ["local", "latest", "main", "ABCDEF1", "abc12", ""])
def test_only_a_commit_id_can_be_deployed(source: dagger.Directory, revision: str) -> None:
    plan = deploy_plan(source)
    with pytest.raises(RevisionError, match="git commit id"):
        dataclasses.replace(plan.target, revision=revision)


def test_short_and_full_commit_ids_are_accepted(source: dagger.Directory) -> None:
    plan = deploy_plan(source)
    assert dataclasses.replace(plan.target, revision="1a2b3c4").revision == "1a2b3c4"
    assert plan.target.revision == REVISION
