"""A rotated database password rolls the service (docs/adr/0030): the rotation's events start a
state machine that forces a new deployment of exactly this environment's service."""

from __future__ import annotations

import json
from typing import Any, cast

from tests.infra.iam_evaluation import allowed
from tests.infra.mock_cloud import Snapshot
from tests.infra.snapshot_views import role_policy


def matches(pattern: Any, event: Any) -> bool:
    """EventBridge's matching for the pattern features used here: value lists, nested objects
    and $or."""
    if isinstance(pattern, list):
        return event in cast("list[Any]", pattern)
    if not isinstance(pattern, dict) or not isinstance(event, dict):
        return False
    fields = cast("dict[str, Any]", pattern)
    data = cast("dict[str, Any]", event)
    for key, expected in fields.items():
        if key == "$or":
            if not any(matches(option, data) for option in expected):
                return False
        elif key not in data or not matches(expected, data[key]):
            return False
    return True


def rotation_event(secret_arn: str) -> dict[str, Any]:
    # Secrets Manager's "rotation succeeded" service event, as CloudTrail delivers it.
    return {
        "source": "aws.secretsmanager",
        "detail-type": "AWS Service Event via CloudTrail",
        "detail": {
            "eventSource": "secretsmanager.amazonaws.com",
            "eventName": "RotationSucceeded",
            "additionalEventData": {"SecretId": secret_arn},
        },
    }


def stage_moved_event(secret_arn: str) -> dict[str, Any]:
    # The rotation's last API call: the new version becomes AWSCURRENT.
    return {
        "source": "aws.secretsmanager",
        "detail-type": "AWS API Call via CloudTrail",
        "detail": {
            "eventName": "UpdateSecretVersionStage",
            "requestParameters": {"secretId": secret_arn, "versionStage": "AWSCURRENT"},
        },
    }


def database_secret(stack: Snapshot) -> str:
    instance = stack.one("aws:rds/instance:Instance")
    return str(instance.state["masterUserSecrets"][0]["secretArn"])


def test_the_rule_fires_on_this_secrets_rotation_only(stack: Snapshot) -> None:
    pattern = json.loads(stack.named("rotation-rule").inputs["eventPattern"])
    secret = database_secret(stack)
    assert matches(pattern, rotation_event(secret))
    assert matches(pattern, stage_moved_event(secret))
    assert not matches(pattern, rotation_event(secret.replace("rds!db", "rds!other")))
    assert not matches(pattern, {**rotation_event(secret), "source": "aws.rds"})


def test_the_rule_starts_a_state_machine_that_rolls_this_service(stack: Snapshot) -> None:
    target = stack.named("rotation-target").inputs
    machine = stack.one("aws:sfn/stateMachine:StateMachine")
    assert target["arn"] == machine.state["arn"]
    (state,) = json.loads(machine.inputs["definition"])["States"].values()
    assert state["Resource"] == "arn:aws:states:::aws-sdk:ecs:updateService"
    service = stack.one("aws:ecs/service:Service")
    cluster = stack.one("aws:ecs/cluster:Cluster")
    assert state["Parameters"] == {
        "Cluster": cluster.inputs["name"],
        "Service": service.inputs["name"],
        "ForceNewDeployment": True,
    }


def test_each_role_may_do_its_one_step_only(stack: Snapshot) -> None:
    service_arn = stack.one("aws:ecs/service:Service").state["arn"]
    machine_arn = stack.one("aws:sfn/stateMachine:StateMachine").state["arn"]
    machine_role = role_policy(stack, "rotation-machine-role")
    assert allowed(machine_role, "ecs:UpdateService", service_arn)
    assert [s["Action"] for s in machine_role] == [["ecs:UpdateService"]]
    events_role = role_policy(stack, "rotation-events-role")
    assert allowed(events_role, "states:StartExecution", machine_arn)
    assert [s["Action"] for s in events_role] == [["states:StartExecution"]]
    target = stack.named("rotation-target").inputs
    assert target["roleArn"] == stack.named("rotation-events-role").state["arn"]
