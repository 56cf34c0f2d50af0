"""The judges of the deploy steps, on what pulumi and the AWS CLI print."""

import json

import pytest
from cloudmetrics_ci.deploy_steps import (
    Outcome,
    StepFailed,
    image_lookup_judge,
    primary_deployment_judge,
    published_digest,
    read_outputs_judge,
    release_image_judge,
    smoke_key_outputs_judge,
    started_task_judge,
    stopped_task_judge,
)
from cloudmetrics_ci.pulumi import StackOutputError

from tests.ci.canned_deploy import (
    DIGEST,
    IMAGE_MISSING,
    OLD_REVISION,
    OTHER_DIGEST,
    OUTPUTS,
    RAW_OUTPUTS,
    REVISION,
    SMOKE_KEY_OUTPUTS,
    SMOKE_KEY_SECRET_ARN,
    image_found,
    ok,
    service,
    stopped,
    task_definition,
)


def test_reads_the_contract_outputs() -> None:
    assert read_outputs_judge(ok(RAW_OUTPUTS)) == OUTPUTS
    assert OUTPUTS.registry == "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    assert OUTPUTS.repository_name == "cloudmetrics"
    assert OUTPUTS.migration_task_family == "cloudmetrics-dev-migrate"


SMOKE_KEY_NAMES = ("smokeKeySecretArn", "smokeKeyTaskDefinitionArn")
BEFORE_THE_ROLL_OUT = sorted(set(RAW_OUTPUTS) - set(SMOKE_KEY_NAMES))


@pytest.mark.parametrize("missing", BEFORE_THE_ROLL_OUT)
def test_a_missing_output_is_named(missing: str) -> None:
    partial = {k: v for k, v in RAW_OUTPUTS.items() if k != missing}
    with pytest.raises(StackOutputError, match=missing):
        read_outputs_judge(ok(partial))


def test_a_stack_that_predates_the_smoke_key_can_still_be_deployed() -> None:
    # Its first deploy makes the key in `pulumi up`; only the read after that needs it.
    older = {name: RAW_OUTPUTS[name] for name in BEFORE_THE_ROLL_OUT}
    assert read_outputs_judge(ok(older)) == OUTPUTS


def test_reads_the_smoke_key_outputs_after_the_roll_out() -> None:
    assert smoke_key_outputs_judge(ok(RAW_OUTPUTS)) == SMOKE_KEY_OUTPUTS
    assert SMOKE_KEY_OUTPUTS.registration_task_family == "cloudmetrics-dev-register-smoke-key"


@pytest.mark.parametrize("missing", SMOKE_KEY_NAMES)
def test_a_missing_smoke_key_output_is_named(missing: str) -> None:
    partial = {k: v for k, v in RAW_OUTPUTS.items() if k != missing}
    with pytest.raises(StackOutputError, match=missing):
        smoke_key_outputs_judge(ok(partial))


@pytest.mark.parametrize(
    "arn",
    [
        "cloudmetrics-dev/smoke-api-key",
        "arn:aws:ssm:eu-west-1:123456789012:parameter/x",
        SMOKE_KEY_SECRET_ARN + " > /dev/null; cat /tmp/smoke-api-key",
        SMOKE_KEY_SECRET_ARN + "'$(id)'",
    ],
)
def test_the_secret_arn_must_be_one_and_nothing_a_shell_would_run(arn: str) -> None:
    with pytest.raises(StackOutputError, match="not a secret's ARN"):
        smoke_key_outputs_judge(ok({**RAW_OUTPUTS, "smokeKeySecretArn": arn}))


def test_outputs_that_are_not_json_or_a_failed_command_are_refused() -> None:
    with pytest.raises(StackOutputError):
        read_outputs_judge(Outcome(0, "error: no stack named 'dev' found"))
    with pytest.raises(StepFailed, match="exited with 255"):
        read_outputs_judge(Outcome(255, json.dumps(RAW_OUTPUTS)))
    with pytest.raises(StackOutputError, match="privateSubnetIds"):
        read_outputs_judge(ok({**RAW_OUTPUTS, "privateSubnetIds": "subnet-a"}))


def test_image_lookup_reads_the_digest_or_a_missing_tag() -> None:
    assert image_lookup_judge(image_found()) == DIGEST
    assert image_lookup_judge(IMAGE_MISSING) is None
    with pytest.raises(StepFailed, match="AccessDenied"):
        image_lookup_judge(ok({"images": [], "failures": [{"failureCode": "AccessDenied"}]}))
    with pytest.raises(StepFailed, match="digest"):
        image_lookup_judge(ok({"images": [{"imageDigest": "latest"}]}))


def test_published_digest_must_match_the_source_when_given() -> None:
    assert published_digest(f"repo:tag@{DIGEST}") == DIGEST
    assert published_digest(f"repo:tag@{DIGEST}", DIGEST) == DIGEST
    with pytest.raises(StepFailed, match=OTHER_DIGEST):
        published_digest(f"repo:tag@{OTHER_DIGEST}", DIGEST)
    with pytest.raises(StepFailed, match="names no digest"):
        published_digest("repo:tag")


def test_started_task_arn_and_run_task_failures() -> None:
    assert started_task_judge(ok({"tasks": [{"taskArn": "arn:t/1"}], "failures": []})) == "arn:t/1"
    with pytest.raises(StepFailed, match="RESOURCE:MEMORY"):
        started_task_judge(ok({"tasks": [], "failures": [{"reason": "RESOURCE:MEMORY"}]}))


def test_only_exit_code_zero_of_every_container_passes() -> None:
    stopped_task_judge(stopped(0))
    for code in (1, 137, None):
        with pytest.raises(StepFailed, match="exit codes"):
            stopped_task_judge(stopped(code))
    with pytest.raises(StepFailed):
        stopped_task_judge(Outcome(0, '{"tasks": [{"containers": []}]}'))

    # Every container, not any one: a task whose migration failed beside a sidecar that
    # exited cleanly has failed.
    def two(code: int) -> Outcome:
        containers = [{"name": "log-router", "exitCode": 0}, {"name": "migrate", "exitCode": code}]
        return Outcome(0, json.dumps({"tasks": [{"containers": containers}]}))

    stopped_task_judge(two(0))
    with pytest.raises(StepFailed, match="'migrate': 1"):
        stopped_task_judge(two(1))


def test_primary_deployment_must_have_completed() -> None:
    assert primary_deployment_judge(service()).endswith("task-definition/api:12")
    for state in ("FAILED", "IN_PROGRESS"):
        with pytest.raises(StepFailed, match=state):
            primary_deployment_judge(service(state))
    with pytest.raises(StepFailed, match="0 primary"):
        primary_deployment_judge(Outcome(0, '{"services": [{"deployments": []}]}'))


def test_release_image_must_be_this_revision() -> None:
    judge = release_image_judge(f"{OUTPUTS.ecr_repository_url}:{REVISION}")
    judge(task_definition(REVISION))
    with pytest.raises(StepFailed, match="rolled the deployment back"):
        judge(task_definition(OLD_REVISION))
