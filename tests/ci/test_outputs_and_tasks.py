"""Parsing what pulumi and the AWS CLI print: outputs, task ARNs, exit codes."""

import json

import pytest
from cloudmetrics_ci.ecs import MigrationTaskError, started_task_arn, stopped_task
from cloudmetrics_ci.outputs import StackOutputError, StackOutputs

from tests.ci.deploy_fixtures import OUTPUTS

RAW_OUTPUTS = {
    "albUrl": OUTPUTS.alb_url,
    "ecrRepositoryUrl": OUTPUTS.ecr_repository_url,
    "clusterName": OUTPUTS.cluster_name,
    "serviceName": OUTPUTS.service_name,
    "migrationTaskDefinitionArn": OUTPUTS.migration_task_definition_arn,
    "privateSubnetIds": list(OUTPUTS.private_subnet_ids),
    "serviceSecurityGroupId": OUTPUTS.service_security_group_id,
}


def test_reads_the_contract_outputs() -> None:
    assert StackOutputs.from_json(json.dumps(RAW_OUTPUTS)) == OUTPUTS


def test_derives_registry_repository_and_task_family() -> None:
    assert OUTPUTS.registry == "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    assert OUTPUTS.repository_name == "cloudmetrics-dev"
    assert OUTPUTS.migration_task_family == "cloudmetrics-dev-migrate"


@pytest.mark.parametrize("missing", sorted(RAW_OUTPUTS))
def test_a_missing_output_is_named(missing: str) -> None:
    partial = {k: v for k, v in RAW_OUTPUTS.items() if k != missing}
    with pytest.raises(StackOutputError, match=missing):
        StackOutputs.from_json(json.dumps(partial))


def test_non_json_outputs_are_refused() -> None:
    with pytest.raises(StackOutputError):
        StackOutputs.from_json("error: no stack named 'dev' found")


def test_subnets_must_be_a_list_of_strings() -> None:
    with pytest.raises(StackOutputError, match="privateSubnetIds"):
        StackOutputs.from_json(json.dumps({**RAW_OUTPUTS, "privateSubnetIds": "subnet-a"}))


def test_started_task_arn() -> None:
    output = json.dumps({"tasks": [{"taskArn": "arn:aws:ecs:task/1"}], "failures": []})
    assert started_task_arn(output) == "arn:aws:ecs:task/1"


def test_run_task_failures_are_reported() -> None:
    output = json.dumps({"tasks": [], "failures": [{"reason": "RESOURCE:MEMORY"}]})
    with pytest.raises(MigrationTaskError, match="RESOURCE:MEMORY"):
        started_task_arn(output)


def describe(*containers: dict[str, object], reason: str = "Essential container exited") -> str:
    return json.dumps({"tasks": [{"containers": list(containers), "stoppedReason": reason}]})


def test_exit_code_zero_succeeds() -> None:
    assert stopped_task(describe({"name": "migrate", "exitCode": 0})).succeeded


def test_non_zero_exit_code_fails() -> None:
    task = stopped_task(describe({"name": "migrate", "exitCode": 1}))
    assert not task.succeeded
    assert task.exit_codes == {"migrate": 1}


def test_a_container_that_never_ran_fails() -> None:
    # e.g. the image could not be pulled: no exit code at all.
    task = stopped_task(describe({"name": "migrate"}, reason="CannotPullContainerError"))
    assert not task.succeeded
    assert task.stopped_reason == "CannotPullContainerError"


def test_a_task_without_containers_fails() -> None:
    assert not stopped_task(describe()).succeeded
