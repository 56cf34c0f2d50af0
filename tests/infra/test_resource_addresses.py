"""Resources that moved into shared components keep their URNs, so an `up` replaces nothing.

A URN is a resource's identity in the state: if it changed without an alias, the engine would
delete the deployed resource and create a new one. The URNs below are the ones stacks were
deployed with before the one-off tasks and the certificates shared a component; they are written
out, not computed from the code, so renaming a component or a resource fails here.
"""

from __future__ import annotations

import pytest

from tests.infra.mock_cloud import Snapshot

DEPLOYED_URNS = [
    "cloudmetrics:infra:MigrationTask::migrations",
    "cloudmetrics:infra:MigrationTask$aws:ecs/taskDefinition:TaskDefinition::migrations-task",
    "cloudmetrics:infra:SmokeKeyRegistration::smoke-key-registration",
    "cloudmetrics:infra:SmokeKeyRegistration$aws:ecs/taskDefinition:TaskDefinition"
    "::smoke-key-registration-task",
]


@pytest.mark.parametrize("address", DEPLOYED_URNS)
def test_deployed_resource_keeps_its_urn(stack: Snapshot, address: str) -> None:
    urn = f"urn:pulumi:{stack.environment}::cloudmetrics::{address}"
    assert urn in stack.urns, f"{urn} would be replaced"


def test_one_off_task_definitions_keep_their_families_and_outputs(stack: Snapshot) -> None:
    prefix = stack.named("web-task").inputs["family"].removesuffix("-web")
    migrations = stack.named("migrations-task")
    registration = stack.named("smoke-key-registration-task")
    assert migrations.inputs["family"] == f"{prefix}-migrate"
    assert registration.inputs["family"] == f"{prefix}-register-smoke-key"
    # ci/ reads these output names after `up`.
    assert stack.outputs["migrationTaskDefinitionArn"] == migrations.state["arn"]
    assert stack.outputs["smokeKeyTaskDefinitionArn"] == registration.state["arn"]
