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
    *(
        f"cloudmetrics:infra:{component}${type_}::{name}-certificate{suffix}"
        for component, name in (("ContentDelivery", "edge"), ("LoadBalancer", "entrance"))
        for type_, suffix in (
            ("aws:acm/certificate:Certificate", ""),
            ("aws:route53/record:Record", "-validation-record"),
            ("aws:acm/certificateValidation:CertificateValidation", "-validation"),
        )
    ),
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


def test_certificates_keep_their_regions(stack: Snapshot) -> None:
    # CloudFront's certificate and its validation are in us-east-1 (their own provider), the
    # ALB's in the stack's region; a changed provider would replace them.
    default = stack.named("entrance-certificate").provider
    edge_provider = stack.named("edge-certificate").provider
    assert edge_provider != default
    assert stack.named("edge-certificate-validation").provider == edge_provider
    assert stack.named("entrance-certificate-validation").provider == default
    for name in ("edge", "entrance"):
        assert stack.named(f"{name}-certificate-validation-record").provider == default
